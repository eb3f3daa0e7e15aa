// The download jobs: each one's phase on Cloudflare, then on this machine, with Cancel while it
// runs. Subscribes to the whole job list, so progress re-renders this panel and nothing else.
// A job that failed for lack of a usable token links to where the user can fix that.
import { memo, useState, useSyncExternalStore } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { ErrorPayload, JobSnapshot } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatBytes, formatDownloadType } from "../format/format";
import { SIGNING_ERROR_CODES } from "../signing/describe";
import { isActivePhase, type JobStore } from "./store";

/** Returns the one-line description of where a job is. */
export function describeJob(job: JobSnapshot): string {
  switch (job.phase) {
    case "queued":
      return "Queued";
    case "preparing":
      return job.preparePercent === null
        ? "Preparing on Cloudflare…"
        : `Preparing on Cloudflare ${Math.round(job.preparePercent)}%`;
    case "transferring":
      return job.bytesTotal === null
        ? `Downloading ${formatBytes(job.bytesDone)}`
        : `Downloading ${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}`;
    case "verifying":
      return "Verifying";
    case "done":
      return "Done: in the library";
    case "failed":
      return "Failed";
    case "cancelled":
      return "Cancelled";
  }
}

/** Returns the progress bar's value and maximum, or null for an indeterminate bar. */
function progressOf(job: JobSnapshot): { value: number; max: number } | null {
  if (job.phase === "preparing" && job.preparePercent !== null) {
    return { value: job.preparePercent, max: 100 };
  }
  if (job.phase === "transferring" && job.bytesTotal !== null && job.bytesTotal > 0) {
    return { value: job.bytesDone, max: job.bytesTotal };
  }
  return null;
}

type JobItemProps = {
  job: JobSnapshot;
  /** The video's name from the list, for jobs that failed before Rust fetched the title. */
  knownName: string | undefined;
  cancelError: ErrorPayload | null;
  onCancel: (job: JobSnapshot) => void;
  onSetUpSigning: ((job: JobSnapshot) => void) | undefined;
  onOpenSettings: (() => void) | undefined;
};

const JobItem = memo(function JobItem({
  job,
  knownName,
  cancelError,
  onCancel,
  onSetUpSigning,
  onOpenSettings,
}: JobItemProps) {
  const active = isActivePhase(job.phase);
  const progress = progressOf(job);
  const description = describeJob(job);
  const title = job.title ?? knownName ?? job.uid;
  const errorCode = job.phase === "failed" ? job.error?.code : undefined;
  const keyNeeded = errorCode === "signing_key_needed" && onSetUpSigning !== undefined;
  const signingProblem =
    !keyNeeded &&
    errorCode !== undefined &&
    SIGNING_ERROR_CODES.has(errorCode) &&
    onOpenSettings !== undefined;

  return (
    <li
      className={`job job-${job.phase}`}
      data-testid="job"
      data-uid={job.uid}
      data-phase={job.phase}
    >
      <div className="job-head">
        <span className="job-title">{title}</span>
        <span className="job-type">{formatDownloadType(job.downloadType)}</span>
      </div>
      <p className="job-status">{description}</p>
      {active &&
        (progress === null ? (
          <progress aria-label={`${title}: ${description}`} />
        ) : (
          <progress
            aria-label={`${title}: ${description}`}
            value={progress.value}
            max={progress.max}
          />
        ))}
      {job.phase === "failed" && job.error !== null && (
        <ErrorMessage title="Download failed" error={job.error} />
      )}
      {keyNeeded && (
        <button
          type="button"
          data-testid="set-up-signing"
          aria-label={`Set up private downloads for ${title}`}
          onClick={() => onSetUpSigning(job)}
        >
          Set up private downloads…
        </button>
      )}
      {signingProblem && (
        <button type="button" data-testid="open-signing-settings" onClick={onOpenSettings}>
          Open signing settings
        </button>
      )}
      {cancelError !== null && <ErrorMessage title="Could not cancel" error={cancelError} />}
      {active && (
        <button
          type="button"
          data-testid="cancel-job"
          aria-label={`Cancel the download of ${title}`}
          onClick={() => onCancel(job)}
        >
          Cancel
        </button>
      )}
    </li>
  );
});

type JobsPanelProps = {
  store: JobStore;
  /** Video names by uid, from the loaded list. */
  names?: ReadonlyMap<string, string>;
  /** Opens the signing dialog for a job that failed with `signing_key_needed`. */
  onSetUpSigning?: (job: JobSnapshot) => void;
  /** Opens the settings, offered on jobs that failed with another signing error. */
  onOpenSettings?: () => void;
};

export function JobsPanel({ store, names, onSetUpSigning, onOpenSettings }: JobsPanelProps) {
  const backend = useBackend();
  const jobs = useSyncExternalStore(store.subscribe, store.getJobs);
  const [cancelErrors, setCancelErrors] = useState<ReadonlyMap<number, ErrorPayload>>(new Map());

  // Stable across renders so memoized items re-render only when their own job changes.
  const [cancel] = useState(() => async (job: JobSnapshot) => {
    try {
      await backend.cancelDownload(job.id);
    } catch (caught) {
      setCancelErrors((previous) => new Map(previous).set(job.id, toErrorPayload(caught)));
    }
  });

  const finished = jobs.some((job) => !isActivePhase(job.phase));

  return (
    <aside className="jobs panel" aria-labelledby="jobs-heading">
      <div className="jobs-head">
        <h2 id="jobs-heading">Downloads</h2>
        {finished && (
          <button type="button" className="link" onClick={() => store.clearFinished()}>
            Clear finished
          </button>
        )}
      </div>
      {jobs.length === 0 ? (
        <p className="empty">No downloads yet. Use “Make available offline” on a video.</p>
      ) : (
        <ul className="job-list">
          {jobs.map((job) => (
            <JobItem
              key={job.id}
              job={job}
              knownName={names?.get(job.uid)}
              cancelError={cancelErrors.get(job.id) ?? null}
              onCancel={cancel}
              onSetUpSigning={onSetUpSigning}
              onOpenSettings={onOpenSettings}
            />
          ))}
        </ul>
      )}
    </aside>
  );
}
