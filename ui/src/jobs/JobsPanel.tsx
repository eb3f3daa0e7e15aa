// The downloads panel: a card per job, Pause all and Resume all in the header, and the
// confirmation before a cancel. Subscribes to the whole job list, so progress re-renders this
// panel and nothing else. A bulk backup can add thousands of jobs, so past MAX_CARDS the panel
// shows the unfinished ones first and the Backups screen lists every video.
import { useCallback, useMemo, useState, useSyncExternalStore } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { JobPhase, JobSnapshot } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatCount, formatCountOf } from "../format/format";
import { CancelJobDialog } from "./CancelJobDialog";
import { JobItem, type JobActionError, type JobActions } from "./JobItem";
import {
  isActivePhase,
  isFinishedPhase,
  isPausablePhase,
  phaseKey,
  queuedJob,
  type JobStore,
} from "./store";

type JobsPanelProps = {
  store: JobStore;
  /** Video names by uid, from the loaded list. */
  names?: ReadonlyMap<string, string>;
  /** Opens the signing dialog for a job that failed with `signing_key_needed`. */
  onSetUpSigning?: (job: JobSnapshot) => void;
  /** Opens the settings, offered on jobs that failed with another signing error. */
  onOpenSettings?: () => void;
};

/** Job cards the panel renders at most. */
export const MAX_CARDS = 50;

/**
 * Returns the jobs to show as cards, oldest first: all of them up to `limit`, else the
 * unfinished ones first and the newest finished ones in the places left.
 */
export function cardsToShow(jobs: JobSnapshot[], limit = MAX_CARDS): JobSnapshot[] {
  if (jobs.length <= limit) {
    return jobs;
  }
  const unfinished = jobs.filter((job) => !isFinishedPhase(job.phase)).slice(0, limit);
  const room = limit - unfinished.length;
  const finished = room > 0 ? jobs.filter((job) => isFinishedPhase(job.phase)).slice(-room) : [];
  return [...unfinished, ...finished].sort((a, b) => a.id - b.id);
}

/**
 * Summarizes the jobs by state for screen readers: "2 downloads running, 1 paused, 3 done."
 * The text changes only when a job changes state, so the live region does not repeat every
 * progress step.
 */
export function summarizeJobs(jobs: JobSnapshot[]): string {
  if (jobs.length === 0) {
    return "No downloads.";
  }
  const count = (test: (phase: JobPhase) => boolean) =>
    jobs.filter((job) => test(job.phase)).length;
  const running = count(isActivePhase);
  const parts = [
    `${formatCountOf(running, "download")} running`,
    `${formatCount(count((phase) => phase === "paused"))} paused`,
    `${formatCount(count((phase) => phase === "done"))} done`,
    `${formatCount(count((phase) => phase === "failed"))} failed`,
  ];
  return `${parts.join(", ")}.`;
}

/** Returns a copy of `map` with `key` set to `value`, or removed when `value` is undefined. */
function withEntry<V>(map: ReadonlyMap<number, V>, key: number, value: V | undefined) {
  const next = new Map(map);
  if (value === undefined) {
    next.delete(key);
  } else {
    next.set(key, value);
  }
  return next;
}

export function JobsPanel({ store, names, onSetUpSigning, onOpenSettings }: JobsPanelProps) {
  const backend = useBackend();
  const jobs = useSyncExternalStore(store.subscribe, store.getJobs);
  const removed = useSyncExternalStore(store.subscribe, store.getRemoved);
  const [actionErrors, setActionErrors] = useState<ReadonlyMap<number, JobActionError>>(new Map());
  // The phase each job had when a request for it was sent. Its buttons stay disabled until
  // the phase changes, because Rust announces a pause only once the transfer has stopped.
  const [pending, setPending] = useState<ReadonlyMap<number, JobPhase>>(new Map());
  const [confirming, setConfirming] = useState<number | null>(null);
  const [panelError, setPanelError] = useState<JobActionError | null>(null);

  /** Runs a request for one job, and shows its error on the job's card. */
  const runForJob = useCallback(
    async (job: JobSnapshot, failureTitle: string, request: () => Promise<void>) => {
      setActionErrors((previous) => withEntry(previous, job.id, undefined));
      setPending((previous) => withEntry(previous, job.id, job.phase));
      try {
        await request();
      } catch (caught) {
        setPending((previous) => withEntry(previous, job.id, undefined));
        setActionErrors((previous) =>
          withEntry(previous, job.id, { title: failureTitle, error: toErrorPayload(caught) }),
        );
      }
    },
    [],
  );

  // Stable across renders so memoized cards re-render only when their own job changes.
  const actions: JobActions = useMemo(
    () => ({
      pause: (job) => void runForJob(job, "Could not pause", () => backend.pauseDownload(job.id)),
      resume: (job) =>
        void runForJob(job, "Could not resume", () => backend.resumeDownload(job.id)),
      cancel: (job) => setConfirming(job.id),
      retry: (job) =>
        void runForJob(job, "Could not retry", async () => {
          const id = await backend.startDownload(job.uid, job.downloadType);
          // Show the new job at once; the channel's snapshots replace this one as they arrive.
          store.seed([queuedJob(id, job.uid, job.title, job.downloadType)]);
        }),
    }),
    [backend, runForJob, store],
  );

  function confirmCancel(job: JobSnapshot, removePartial: boolean) {
    setConfirming(null);
    void runForJob(job, "Could not cancel", () => backend.cancelDownload(job.id, removePartial));
  }

  async function runForAll(failureTitle: string, request: () => Promise<void>) {
    setPanelError(null);
    try {
      await request();
    } catch (caught) {
      setPanelError({ title: failureTitle, error: toErrorPayload(caught) });
    }
  }

  // The newest job id per video and download type: only that job offers Retry.
  const newestIds = useMemo(() => {
    const newest = new Map<string, number>();
    for (const job of jobs) {
      newest.set(phaseKey(job.uid, job.downloadType), job.id);
    }
    return newest;
  }, [jobs]);

  const cards = useMemo(() => cardsToShow(jobs), [jobs]);
  const finished = jobs.some((job) => isFinishedPhase(job.phase));
  const pausable = jobs.some((job) => isPausablePhase(job.phase));
  const resumable = jobs.some((job) => job.phase === "paused");
  // A job that ended while its dialog was open needs no confirmation any more.
  const confirmingJob = jobs.find((job) => job.id === confirming && !isFinishedPhase(job.phase));

  return (
    <aside className="jobs panel" aria-labelledby="jobs-heading">
      <div className="jobs-head">
        <h2 id="jobs-heading">Downloads</h2>
        <div className="jobs-head-actions">
          {pausable && (
            <button
              type="button"
              className="link"
              data-testid="pause-all"
              onClick={() =>
                void runForAll("Could not pause the downloads", () => backend.pauseAllDownloads())
              }
            >
              Pause all
            </button>
          )}
          {resumable && (
            <button
              type="button"
              className="link"
              data-testid="resume-all"
              onClick={() =>
                void runForAll("Could not resume the downloads", () => backend.resumeAllDownloads())
              }
            >
              Resume all
            </button>
          )}
          {finished && (
            <button type="button" className="link" onClick={() => store.clearFinished()}>
              Clear finished
            </button>
          )}
        </div>
      </div>
      <p
        className="visually-hidden"
        aria-live="polite"
        aria-atomic="true"
        data-testid="jobs-summary"
      >
        {summarizeJobs(jobs)}
      </p>
      {panelError !== null && <ErrorMessage title={panelError.title} error={panelError.error} />}
      {jobs.length === 0 ? (
        <p className="empty">No downloads yet. Use “Make available offline” on a video.</p>
      ) : (
        <ul className="job-list">
          {cards.map((job) => (
            <JobItem
              key={job.id}
              job={job}
              knownName={names?.get(job.uid)}
              removed={removed.has(job.id)}
              busy={pending.get(job.id) === job.phase}
              newest={newestIds.get(phaseKey(job.uid, job.downloadType)) === job.id}
              actionError={actionErrors.get(job.id) ?? null}
              actions={actions}
              onSetUpSigning={onSetUpSigning}
              onOpenSettings={onOpenSettings}
            />
          ))}
        </ul>
      )}
      {cards.length < jobs.length && (
        <p className="help" data-testid="jobs-more">
          Showing {cards.length} of {jobs.length} downloads. The Backups screen lists every video of
          a bulk backup.
        </p>
      )}
      {confirmingJob !== undefined && (
        <CancelJobDialog
          title={confirmingJob.title ?? names?.get(confirmingJob.uid) ?? confirmingJob.uid}
          onConfirm={(removePartial) => confirmCancel(confirmingJob, removePartial)}
          onClose={() => setConfirming(null)}
        />
      )}
    </aside>
  );
}
