// One card of the downloads panel: the job's phase, progress and notice, and the actions its
// phase allows (Pause, Resume, Cancel, Retry). A job that failed for lack of a usable token
// links to where the user can fix that.
import { memo } from "react";

import type { ErrorPayload, JobSnapshot } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatBytes, formatDownloadType } from "../format/format";
import { SIGNING_ERROR_CODES } from "../signing/describe";
import { NoticeMessage } from "./NoticeMessage";
import { isActivePhase, isFinishedPhase, isPausablePhase } from "./store";

/**
 * Returns the one-line description of where a job is. `removed` marks a done job whose item
 * was deleted from the library since.
 */
export function describeJob(job: JobSnapshot, removed = false): string {
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
    case "paused":
      if (job.bytesDone === 0) {
        return "Paused";
      }
      return job.bytesTotal === null
        ? `Paused at ${formatBytes(job.bytesDone)}`
        : `Paused at ${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}`;
    case "verifying":
      return "Verifying";
    case "done":
      return removed ? "Removed from library" : "Done: in the library";
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
  const hasBytes = job.phase === "transferring" || job.phase === "paused";
  if (hasBytes && job.bytesTotal !== null && job.bytesTotal > 0) {
    return { value: job.bytesDone, max: job.bytesTotal };
  }
  return null;
}

/** A job action that failed, shown on the job's card. */
export type JobActionError = { title: string; error: ErrorPayload };

/** The job actions a card offers; the panel sends them to the backend. */
export type JobActions = {
  pause: (job: JobSnapshot) => void;
  resume: (job: JobSnapshot) => void;
  cancel: (job: JobSnapshot) => void;
  retry: (job: JobSnapshot) => void;
};

type JobItemProps = {
  job: JobSnapshot;
  /** The video's name from the list, for jobs that failed before Rust fetched the title. */
  knownName: string | undefined;
  /** True for a done job whose library item was deleted since. */
  removed: boolean;
  /** True while a request for this job runs and its phase has not changed since. */
  busy: boolean;
  /** True when no newer job exists for the same video and download type. */
  newest: boolean;
  actionError: JobActionError | null;
  actions: JobActions;
  onSetUpSigning: ((job: JobSnapshot) => void) | undefined;
  onOpenSettings: (() => void) | undefined;
};

export const JobItem = memo(function JobItem({
  job,
  knownName,
  removed,
  busy,
  newest,
  actionError,
  actions,
  onSetUpSigning,
  onOpenSettings,
}: JobItemProps) {
  const active = isActivePhase(job.phase);
  const paused = job.phase === "paused";
  const progress = progressOf(job);
  const description = describeJob(job, removed);
  const title = job.title ?? knownName ?? job.uid;
  const errorCode = job.phase === "failed" ? job.error?.code : undefined;
  const keyNeeded = errorCode === "signing_key_needed" && onSetUpSigning !== undefined;
  const signingProblem =
    !keyNeeded &&
    errorCode !== undefined &&
    SIGNING_ERROR_CODES.has(errorCode) &&
    onOpenSettings !== undefined;
  const retryable = (job.phase === "failed" || job.phase === "cancelled") && newest;

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
      <p className="job-status" data-testid="job-status">
        {description}
      </p>
      {(active || paused) &&
        (progress === null ? (
          // A paused job without a known size shows no bar, because an indeterminate bar moves.
          active && <progress aria-label={`${title}: ${description}`} />
        ) : (
          <progress
            aria-label={`${title}: ${description}`}
            value={progress.value}
            max={progress.max}
          />
        ))}
      {!isFinishedPhase(job.phase) && job.notice !== null && <NoticeMessage notice={job.notice} />}
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
      {actionError !== null && <ErrorMessage title={actionError.title} error={actionError.error} />}
      <div className="job-actions">
        {isPausablePhase(job.phase) && (
          <button
            type="button"
            data-testid="pause-job"
            aria-label={`Pause the download of ${title}`}
            disabled={busy}
            onClick={() => actions.pause(job)}
          >
            Pause
          </button>
        )}
        {paused && (
          <button
            type="button"
            data-testid="resume-job"
            aria-label={`Resume the download of ${title}`}
            disabled={busy}
            onClick={() => actions.resume(job)}
          >
            Resume
          </button>
        )}
        {(active || paused) && (
          <button
            type="button"
            data-testid="cancel-job"
            aria-label={`Cancel the download of ${title}`}
            onClick={() => actions.cancel(job)}
          >
            Cancel
          </button>
        )}
        {retryable && (
          <button
            type="button"
            data-testid="retry-job"
            aria-label={`Retry the download of ${title}`}
            disabled={busy}
            onClick={() => actions.retry(job)}
          >
            Retry
          </button>
        )}
      </div>
    </li>
  );
});
