// The library screen: offline items, a player, and checks that each file is still on disk with
// the size the catalog recorded. Each loaded list marks the done jobs whose item is missing in
// the job store, so the downloads panel stops calling them "in the library".
import { useCallback, useEffect, useMemo, useRef, useState, type SyntheticEvent } from "react";

import { toErrorPayload, type FileCheck } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { ErrorPayload, LibraryEntry } from "../backend/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatDownloadType } from "../format/format";
import type { JobStore } from "../jobs/store";
import { LibraryTable } from "./LibraryTable";

/** Returns the entries whose title, creator, file name or uid contains `query`, ignoring case. */
export function filterLibrary(entries: LibraryEntry[], query: string): LibraryEntry[] {
  const needle = query.trim().toLowerCase();
  if (needle === "") {
    return entries;
  }
  return entries.filter(
    (entry) =>
      entry.title.toLowerCase().includes(needle) ||
      entry.fileName.toLowerCase().includes(needle) ||
      entry.uid.toLowerCase().includes(needle) ||
      (entry.creator?.toLowerCase().includes(needle) ?? false),
  );
}

const MEDIA_ERRORS: Record<number, string> = {
  1: "Playback was aborted.",
  2: "A network error stopped the playback.",
  3: "The file could not be decoded.",
  4: "The player cannot open this file. On Linux, install gstreamer1.0-plugins-good and gstreamer1.0-libav.",
};

type LoadState =
  | { kind: "loading" }
  | { kind: "loaded"; entries: LibraryEntry[] }
  | { kind: "failed"; error: ErrorPayload };

type ActionError = { title: string; error: ErrorPayload };

type Props = {
  /** The app's job store, in which each loaded list marks done jobs whose item is missing. */
  jobs?: JobStore;
};

export function LibraryView({ jobs }: Props = {}) {
  const backend = useBackend();
  const [load, setLoad] = useState<LoadState>({ kind: "loading" });
  const [checks, setChecks] = useState<ReadonlyMap<number, FileCheck>>(new Map());
  const [query, setQuery] = useState("");
  const [playing, setPlaying] = useState<LibraryEntry | null>(null);
  const [playerError, setPlayerError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<LibraryEntry | null>(null);
  const [actionError, setActionError] = useState<ActionError | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const refresh = useCallback(async () => {
    setLoad((previous) => (previous.kind === "loaded" ? previous : { kind: "loading" }));
    const doneBefore = jobs?.doneItems();
    let entries: LibraryEntry[];
    try {
      entries = await backend.listLibrary();
    } catch (caught) {
      setLoad({ kind: "failed", error: toErrorPayload(caught) });
      return;
    }
    setLoad({ kind: "loaded", entries });
    if (jobs !== undefined && doneBefore !== undefined) {
      jobs.markMissingItems(doneBefore, new Set(entries.map((entry) => entry.id)));
    }

    const results = await Promise.all(
      entries.map(
        async (entry) => [entry.id, await backend.checkFile(entry.path, entry.bytes)] as const,
      ),
    );
    setChecks(new Map(results));
  }, [backend, jobs]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const visible = useMemo(
    () => (load.kind === "loaded" ? filterLibrary(load.entries, query) : []),
    [load, query],
  );

  const play = useCallback((entry: LibraryEntry) => {
    setPlayerError(null);
    setPlaying(entry);
  }, []);

  const reveal = useCallback(
    async (entry: LibraryEntry) => {
      setActionError(null);
      try {
        await backend.revealLibraryItem(entry.id);
      } catch (caught) {
        setActionError({ title: `Could not show “${entry.title}”`, error: toErrorPayload(caught) });
      }
    },
    [backend],
  );

  const dragOut = useCallback(
    async (entry: LibraryEntry) => {
      setActionError(null);
      try {
        await backend.startDragOut(entry.path);
      } catch (caught) {
        setActionError({ title: `Could not drag “${entry.title}”`, error: toErrorPayload(caught) });
      }
    },
    [backend],
  );

  async function confirmDelete(entry: LibraryEntry) {
    setConfirming(null);
    setActionError(null);
    // Stop the player first, so the media server is not streaming the file being deleted.
    if (playing?.id === entry.id) {
      setPlaying(null);
    }
    try {
      await backend.deleteLibraryItem(entry.id);
    } catch (caught) {
      setActionError({ title: `Could not delete “${entry.title}”`, error: toErrorPayload(caught) });
    }
    await refresh();
    heading.current?.focus();
  }

  function onMediaError(event: SyntheticEvent<HTMLVideoElement>) {
    const code = event.currentTarget.error?.code ?? 0;
    setPlayerError(MEDIA_ERRORS[code] ?? "The player stopped with an unknown error.");
  }

  return (
    <main className="view" aria-labelledby="view-heading">
      <div className="view-head">
        <h1 id="view-heading" ref={heading} tabIndex={-1}>
          Library
        </h1>
        <div className="search">
          <label htmlFor="library-search" className="visually-hidden">
            Search the library
          </label>
          <input
            id="library-search"
            type="search"
            placeholder="Search the library"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </div>
      </div>

      <section className="player panel" aria-label="Player">
        {playing === null ? (
          <p className="empty">Choose Play on an item to watch it here.</p>
        ) : (
          <>
            <p className="player-title">
              {playing.title}{" "}
              <span className="job-type">{formatDownloadType(playing.downloadType)}</span>
            </p>
            <video
              id="player"
              key={playing.id}
              controls
              autoPlay
              src={playing.mediaUrl}
              onError={onMediaError}
            />
            {playerError !== null && (
              <ErrorMessage
                title={`Cannot play “${playing.title}”`}
                error={{ code: "media", message: playerError }}
              />
            )}
          </>
        )}
      </section>

      {actionError !== null && <ErrorMessage title={actionError.title} error={actionError.error} />}

      {load.kind === "loading" && (
        <p className="loading" role="status">
          Loading the library…
        </p>
      )}

      {load.kind === "failed" && (
        <ErrorMessage
          title="Could not load the library"
          error={load.error}
          onRetry={() => void refresh()}
        />
      )}

      {load.kind === "loaded" &&
        (visible.length === 0 ? (
          <p className="empty" role="status">
            {load.entries.length === 0
              ? "Nothing offline yet. Use “Make available offline” on the Videos screen."
              : "No items match this search."}
          </p>
        ) : (
          <LibraryTable
            entries={visible}
            checks={checks}
            playingId={playing?.id ?? null}
            onPlay={play}
            onReveal={reveal}
            onDelete={setConfirming}
            onDragOut={dragOut}
          />
        ))}

      {confirming !== null && (
        <ConfirmDialog
          title="Delete from the library?"
          confirmLabel="Delete"
          confirmTestId="confirm-delete"
          onConfirm={() => void confirmDelete(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>
            The {confirming.downloadType === "audio" ? "M4A" : "MP4"} file of “{confirming.title}”
            will be deleted from this computer. The video stays on Cloudflare.
          </p>
        </ConfirmDialog>
      )}
    </main>
  );
}
