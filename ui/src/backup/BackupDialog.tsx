// The dialog before a bulk backup: the estimate of what it downloads, skips and costs, the
// videos it cannot download and why, the file type, and the choice to restore the account
// afterwards. Changing the file type requests a new estimate, because what is already offline
// differs per type.
import { useEffect, useRef, useState } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type {
  BackupCandidate,
  BackupEstimate,
  BackupProgress,
  BackupReason,
  DownloadType,
  ErrorPayload,
} from "../backend/types";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatBytes, formatCount, formatCountOf, formatMinutes } from "../format/format";
import { describeReason } from "./describe";
import type { BackupTarget } from "./selection";

/** Unavailable videos listed by name. The rest are only counted, to keep the dialog short. */
export const MAX_LISTED_UNAVAILABLE = 200;

type EstimateState =
  | { kind: "loading" }
  | { kind: "loaded"; estimate: BackupEstimate }
  | { kind: "failed"; error: ErrorPayload };

/** Counts the unavailable videos per reason, in the order the reasons first appear. */
function countByReason(candidates: BackupCandidate[]): Array<[BackupReason, number]> {
  const counts = new Map<BackupReason, number>();
  for (const candidate of candidates) {
    if (candidate.reason !== null) {
      counts.set(candidate.reason, (counts.get(candidate.reason) ?? 0) + 1);
    }
  }
  return [...counts];
}

function EstimateFigures({ estimate }: { estimate: BackupEstimate }) {
  return (
    <dl className="estimate" data-testid="estimate">
      <dt>Videos selected</dt>
      <dd data-testid="estimate-selected">{formatCount(estimate.selected)}</dd>
      <dt>To download</dt>
      <dd data-testid="estimate-download">{formatCount(estimate.toDownload.length)}</dd>
      <dt>Already offline (skipped)</dt>
      <dd data-testid="estimate-skipped">{formatCount(estimate.skipped.length)}</dd>
      <dt>Cannot be downloaded</dt>
      <dd data-testid="estimate-unavailable">{formatCount(estimate.unavailable.length)}</dd>
      <dt>Total size</dt>
      <dd data-testid="estimate-size">{formatBytes(estimate.totalBytes)}</dd>
      <dt>Billed minutes</dt>
      <dd data-testid="estimate-minutes">{formatMinutes(estimate.billedMinutes)}</dd>
    </dl>
  );
}

function UnavailableList({ candidates }: { candidates: BackupCandidate[] }) {
  if (candidates.length === 0) {
    return null;
  }
  const listed = candidates.slice(0, MAX_LISTED_UNAVAILABLE);
  const rest = candidates.length - listed.length;
  return (
    <section className="unavailable" aria-labelledby="unavailable-heading">
      <h3 id="unavailable-heading">Cannot be downloaded</h3>
      <ul className="reason-counts">
        {countByReason(candidates).map(([reason, count]) => (
          <li key={reason} data-testid="unavailable-reason" data-reason={reason}>
            {describeReason(reason)}: {formatCountOf(count, "video")}
          </li>
        ))}
      </ul>
      <ul className="unavailable-list" data-testid="unavailable-list">
        {listed.map((candidate) => (
          <li key={candidate.uid} data-testid="unavailable-item" data-reason={candidate.reason}>
            <span className="unavailable-title">{candidate.title}</span>{" "}
            <span className="help">
              {candidate.reason === null ? "" : describeReason(candidate.reason, candidate.detail)}
            </span>
          </li>
        ))}
      </ul>
      {rest > 0 && <p className="help">…and {formatCountOf(rest, "more video")}.</p>}
    </section>
  );
}

type Props = {
  target: BackupTarget;
  onCancel: () => void;
  onStarted: (backup: BackupProgress) => void;
};

export function BackupDialog({ target, onCancel, onStarted }: Props) {
  const backend = useBackend();
  const [downloadType, setDownloadType] = useState<DownloadType>("default");
  const [restoreAccount, setRestoreAccount] = useState(false);
  const [state, setState] = useState<EstimateState>({ kind: "loading" });
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<ErrorPayload | null>(null);
  const requestId = useRef(0);

  useEffect(() => {
    requestId.current += 1;
    const id = requestId.current;
    setState({ kind: "loading" });
    backend
      .estimateBackup(target.selection, downloadType)
      .then((estimate) => {
        if (id === requestId.current) {
          setState({ kind: "loaded", estimate });
        }
      })
      .catch((caught: unknown) => {
        if (id === requestId.current) {
          setState({ kind: "failed", error: toErrorPayload(caught) });
        }
      });
  }, [backend, target.selection, downloadType]);

  async function start() {
    setStarting(true);
    setStartError(null);
    try {
      const backup = await backend.startBackup(target.selection, downloadType, {
        restoreAccount,
      });
      onStarted(backup);
    } catch (caught) {
      setStartError(toErrorPayload(caught));
      setStarting(false);
    }
  }

  const estimate = state.kind === "loaded" ? state.estimate : null;

  return (
    <Dialog
      title="Back up videos"
      testId="backup-dialog"
      className="dialog-wide"
      description={
        <p>
          Takes {target.description} offline as one job: {formatCountOf(target.count, "video")}{" "}
          chosen in the list.
        </p>
      }
      onCancel={() => {
        if (!starting) {
          onCancel();
        }
      }}
    >
      <fieldset className="choice-group">
        <legend>File type</legend>
        <label className="checkbox-label">
          <input
            type="radio"
            name="backup-type"
            value="default"
            data-testid="backup-type-video"
            checked={downloadType === "default"}
            disabled={starting}
            onChange={() => setDownloadType("default")}
          />
          Video (MP4)
        </label>
        <label className="checkbox-label">
          <input
            type="radio"
            name="backup-type"
            value="audio"
            data-testid="backup-type-audio"
            checked={downloadType === "audio"}
            disabled={starting}
            onChange={() => setDownloadType("audio")}
          />
          Audio only (M4A)
        </label>
      </fieldset>

      {state.kind === "loading" && (
        <p className="loading" role="status">
          Estimating…
        </p>
      )}
      {state.kind === "failed" && (
        <ErrorMessage title="Could not estimate the backup" error={state.error} />
      )}
      {estimate !== null && (
        <>
          <EstimateFigures estimate={estimate} />
          <p className="help">
            Cloudflare bills each MP4 download as minutes delivered: the sum of the durations of the
            videos it downloads.
            {estimate.unknownDurations > 0 && (
              <span data-testid="estimate-unknown">
                {" "}
                {formatCountOf(estimate.unknownDurations, "video")} without a known duration{" "}
                {estimate.unknownDurations === 1 ? "is" : "are"} not counted, so the real figure is
                higher.
              </span>
            )}{" "}
            The size is that of the uploaded originals; the files Cloudflare makes differ.
          </p>
          <UnavailableList candidates={estimate.unavailable} />
        </>
      )}

      <div className="checkbox-field">
        <label className="checkbox-label">
          <input
            type="checkbox"
            data-testid="backup-restore"
            checked={restoreAccount}
            disabled={starting}
            aria-describedby="backup-restore-help"
            onChange={(event) => setRestoreAccount(event.target.checked)}
          />
          Restore the account afterwards
        </label>
        <p id="backup-restore-help" className="help">
          When the backup ends, deletes on Cloudflare the downloads it had to enable, and keeps the
          ones that existed before.
        </p>
      </div>

      {startError !== null && (
        <ErrorMessage title="Could not start the backup" error={startError} />
      )}

      <div className="actions">
        <button type="button" disabled={starting} onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          data-testid="start-backup"
          disabled={starting || estimate === null || estimate.selected === 0}
          onClick={() => void start()}
        >
          {starting ? "Starting…" : "Start backup"}
        </button>
      </div>
    </Dialog>
  );
}
