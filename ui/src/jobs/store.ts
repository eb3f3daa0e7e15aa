// Client-side state of the download jobs: the newest snapshot per job id, fed by watch_jobs.
//
// Progress snapshots arrive often, so the store keeps two views with separate identities:
// `jobs` (a new array on every change, read only by the jobs panel) and `phases` (the latest
// phase per video and download type, replaced only when a phase changes). The video table
// subscribes to `phases`, so byte counts ticking up never re-render it.
//
// The store also remembers which done jobs produced a library item that was deleted later,
// as the library list shows it, so the jobs panel stops calling them "in the library".
import type { DownloadType, JobPhase, JobSnapshot } from "../backend/types";

const ACTIVE_PHASES: ReadonlySet<JobPhase> = new Set([
  "queued",
  "preparing",
  "transferring",
  "verifying",
]);

const PAUSABLE_PHASES: ReadonlySet<JobPhase> = new Set(["queued", "preparing", "transferring"]);

const FINISHED_PHASES: ReadonlySet<JobPhase> = new Set(["done", "failed", "cancelled"]);

/** Returns true while a job runs or waits for a slot, which excludes "paused". */
export function isActivePhase(phase: JobPhase): boolean {
  return ACTIVE_PHASES.has(phase);
}

/** Returns true for the phases the queue can pause. A verifying job finishes instead. */
export function isPausablePhase(phase: JobPhase): boolean {
  return PAUSABLE_PHASES.has(phase);
}

/** Returns true once a job has ended for good: done, failed or cancelled. */
export function isFinishedPhase(phase: JobPhase): boolean {
  return FINISHED_PHASES.has(phase);
}

/** Returns the key `phases` uses for one video and download type. */
export function phaseKey(uid: string, downloadType: DownloadType): string {
  return `${uid}:${downloadType}`;
}

/** Returns the snapshot shown for a job that start_download has just created. */
export function queuedJob(
  id: number,
  uid: string,
  title: string | null,
  downloadType: DownloadType,
): JobSnapshot {
  return {
    id,
    uid,
    title,
    downloadType,
    phase: "queued",
    preparePercent: null,
    bytesDone: 0,
    bytesTotal: null,
    error: null,
    itemId: null,
    notice: null,
  };
}

export type PhaseIndex = ReadonlyMap<string, JobPhase>;

export class JobStore {
  private readonly byId = new Map<number, JobSnapshot>();
  private readonly listeners = new Set<() => void>();
  private jobs: JobSnapshot[] = [];
  private phases: PhaseIndex = new Map();
  private removed: ReadonlySet<number> = new Set();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Returns every job, oldest first. */
  readonly getJobs = (): JobSnapshot[] => this.jobs;

  /** Returns the latest phase per video and download type (see `phaseKey`). */
  readonly getPhases = (): PhaseIndex => this.phases;

  /** Returns the ids of done jobs whose library item no longer exists. */
  readonly getRemoved = (): ReadonlySet<number> => this.removed;

  /** Stores a snapshot from the channel; it replaces any older snapshot of the same job. */
  apply(job: JobSnapshot): void {
    const previous = this.byId.get(job.id);
    this.byId.set(job.id, job);
    this.changed(previous?.phase !== job.phase);
  }

  /**
   * Adds the jobs watch_jobs returned. A job the channel already reported is kept as it is,
   * because a channel message can overtake the command's response and is never older.
   */
  seed(jobs: JobSnapshot[]): void {
    let added = false;
    for (const job of jobs) {
      if (!this.byId.has(job.id)) {
        this.byId.set(job.id, job);
        added = true;
      }
    }
    if (added) {
      this.changed(true);
    }
  }

  /**
   * Returns the library item of each done job, by job id. Take it before requesting the
   * library list and pass it to `markMissingItems` with the result, so a job that finishes
   * while the request runs is not mistaken for a deleted item.
   */
  doneItems(): ReadonlyMap<number, number> {
    const items = new Map<number, number>();
    for (const job of this.byId.values()) {
      if (job.phase === "done" && job.itemId !== null) {
        items.set(job.id, job.itemId);
      }
    }
    return items;
  }

  /**
   * Marks the jobs of `doneBefore` (from `doneItems`) whose item is not among `presentItemIds`
   * as removed from the library.
   */
  markMissingItems(doneBefore: ReadonlyMap<number, number>, presentItemIds: ReadonlySet<number>) {
    const missing = [...doneBefore]
      .filter(([jobId, itemId]) => !presentItemIds.has(itemId) && !this.removed.has(jobId))
      .map(([jobId]) => jobId);
    if (missing.length > 0) {
      this.removed = new Set([...this.removed, ...missing]);
      this.notify();
    }
  }

  /** Drops jobs that have finished, failed or been cancelled. Paused jobs stay. */
  clearFinished(): void {
    let removed = false;
    for (const [id, job] of this.byId) {
      if (isFinishedPhase(job.phase)) {
        this.byId.delete(id);
        removed = true;
      }
    }
    if (removed) {
      this.changed(true);
    }
  }

  private changed(phasesChanged: boolean): void {
    this.jobs = [...this.byId.values()].sort((a, b) => a.id - b.id);
    if (phasesChanged) {
      const phases = new Map<string, JobPhase>();
      // Sorted by id, so a newer job for the same video and type overwrites an older one.
      for (const job of this.jobs) {
        phases.set(phaseKey(job.uid, job.downloadType), job.phase);
      }
      this.phases = phases;
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}
