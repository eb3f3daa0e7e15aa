// Client-side state of the download jobs: the newest snapshot per job id, fed by watch_jobs.
//
// Progress snapshots arrive often, so the store keeps two views with separate identities:
// `jobs` (a new array on every change, read only by the jobs panel) and `phases` (the latest
// phase per video and download type, replaced only when a phase changes). The video table
// subscribes to `phases`, so byte counts ticking up never re-render it.
import type { DownloadType, JobPhase, JobSnapshot } from "../backend/types";

const ACTIVE_PHASES: ReadonlySet<JobPhase> = new Set([
  "queued",
  "preparing",
  "transferring",
  "verifying",
]);

/** Returns true while a job can still progress or be cancelled. */
export function isActivePhase(phase: JobPhase): boolean {
  return ACTIVE_PHASES.has(phase);
}

/** Returns the key `phases` uses for one video and download type. */
export function phaseKey(uid: string, downloadType: DownloadType): string {
  return `${uid}:${downloadType}`;
}

export type PhaseIndex = ReadonlyMap<string, JobPhase>;

export class JobStore {
  private readonly byId = new Map<number, JobSnapshot>();
  private readonly listeners = new Set<() => void>();
  private jobs: JobSnapshot[] = [];
  private phases: PhaseIndex = new Map();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Returns every job, oldest first. */
  readonly getJobs = (): JobSnapshot[] => this.jobs;

  /** Returns the latest phase per video and download type (see `phaseKey`). */
  readonly getPhases = (): PhaseIndex => this.phases;

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

  /** Drops jobs that have finished, failed or been cancelled. */
  clearFinished(): void {
    let removed = false;
    for (const [id, job] of this.byId) {
      if (!isActivePhase(job.phase)) {
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
    for (const listener of this.listeners) {
      listener();
    }
  }
}
