// The storage overview: the space the library and the thumbnail cache use, the space left on
// the library's volume, and a button that opens the library folder. Shown on the library
// screen and in Settings.
import { useCallback, useEffect, useId, useState } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { ErrorPayload, StorageOverview } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatBytes, formatCountOf } from "../format/format";

type LoadState =
  | { kind: "loading" }
  | { kind: "loaded"; overview: StorageOverview }
  | { kind: "failed"; error: ErrorPayload };

/** Describes the free space, or notes that the system does not report it. */
export function describeFreeSpace(overview: StorageOverview): string {
  if (overview.freeBytes === null) {
    return "Not reported by the system";
  }
  if (overview.volumeBytes === null) {
    return `${formatBytes(overview.freeBytes)} free`;
  }
  return `${formatBytes(overview.freeBytes)} free of ${formatBytes(overview.volumeBytes)}`;
}

type Props = {
  /** A change reloads the figures, such as after a delete in the library. */
  refreshKey?: unknown;
};

export function StorageOverviewPanel({ refreshKey = null }: Props) {
  const backend = useBackend();
  const headingId = useId();
  const [state, setState] = useState<LoadState>({ kind: "loading" });
  const [openError, setOpenError] = useState<ErrorPayload | null>(null);

  async function openFolder() {
    setOpenError(null);
    try {
      await backend.openLibraryFolder();
    } catch (caught) {
      setOpenError(toErrorPayload(caught));
    }
  }

  const load = useCallback(async () => {
    try {
      const overview = await backend.storageOverview();
      setState({ kind: "loaded", overview });
    } catch (caught) {
      setState({ kind: "failed", error: toErrorPayload(caught) });
    }
  }, [backend]);

  useEffect(() => {
    let active = true;
    backend
      .storageOverview()
      .then((overview) => {
        if (active) {
          setState({ kind: "loaded", overview });
        }
      })
      .catch((caught: unknown) => {
        if (active) {
          setState({ kind: "failed", error: toErrorPayload(caught) });
        }
      });
    return () => {
      active = false;
    };
  }, [backend, refreshKey]);

  return (
    <section className="panel storage" aria-labelledby={headingId} data-testid="storage-overview">
      <h2 id={headingId}>Storage</h2>
      {state.kind === "loading" && (
        <p className="loading" role="status">
          Measuring…
        </p>
      )}
      {state.kind === "failed" && (
        <ErrorMessage
          title="Could not measure the storage"
          error={state.error}
          onRetry={() => void load()}
        />
      )}
      {state.kind === "loaded" && <Figures overview={state.overview} />}
      <div className="actions">
        <button type="button" data-testid="open-library-folder" onClick={() => void openFolder()}>
          Open library folder
        </button>
      </div>
      {openError !== null && (
        <ErrorMessage title="Could not open the library folder" error={openError} />
      )}
    </section>
  );
}

function Figures({ overview }: { overview: StorageOverview }) {
  const { freeBytes, volumeBytes } = overview;
  return (
    <>
      <dl className="figures">
        <dt>Library</dt>
        <dd data-testid="storage-library">
          {formatBytes(overview.libraryBytes)} in {formatCountOf(overview.itemCount, "file")}
        </dd>
        <dt>Free space</dt>
        <dd data-testid="storage-free">{describeFreeSpace(overview)}</dd>
        <dt>Thumbnail cache</dt>
        <dd data-testid="storage-thumbnails">{formatBytes(overview.thumbnailBytes)}</dd>
      </dl>
      {freeBytes !== null && volumeBytes !== null && volumeBytes > 0 && (
        <meter
          className="volume-meter"
          min={0}
          max={volumeBytes}
          value={volumeBytes - freeBytes}
          high={volumeBytes * 0.9}
          aria-label="Space used on the library's volume"
        />
      )}
      <p className="help">
        Folder: <code>{overview.libraryDir}</code>
      </p>
    </>
  );
}
