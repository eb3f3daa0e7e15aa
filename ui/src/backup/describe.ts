// Plain words for the reasons and states of bulk backups.
import type { BackupOutcome, BackupReason, BackupState } from "../backend/types";

const REASONS: Record<BackupReason, string> = {
  alreadyOffline: "Already in the library",
  liveRecordingTooLong: "A live recording of 4 hours or more, of which Cloudflare makes no MP4",
  processingFailed: "Cloudflare failed to process this video",
  notReady: "Cloudflare is still processing this video",
  removedFromStream: "Deleted on Cloudflare since an earlier sync",
};

/** Returns the reason a video is not downloaded, in words, with Stream's detail when given. */
export function describeReason(reason: BackupReason, detail: string | null = null): string {
  const text = REASONS[reason];
  return detail === null || detail === "" ? text : `${text}: ${detail}`;
}

const OUTCOMES: Record<BackupOutcome, string> = {
  queued: "Waiting",
  running: "Downloading",
  paused: "Paused",
  done: "Done",
  failed: "Failed",
  skipped: "Skipped",
  unavailable: "Unavailable",
  cancelled: "Cancelled",
};

/** Returns the label of a backup item's outcome. */
export function describeOutcome(outcome: BackupOutcome): string {
  return OUTCOMES[outcome];
}

const STATES: Record<BackupState, string> = {
  running: "Running",
  restoring: "Restoring the account",
  done: "Finished",
  cancelled: "Cancelled",
};

/** Returns the label of a backup's state. */
export function describeBackupState(state: BackupState): string {
  return STATES[state];
}
