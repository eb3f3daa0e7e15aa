// The fake backend's bulk backups: an estimate from the mirror with the engine's reasons, and
// a backup whose videos a test moves forward by hand. Nothing is downloaded.
import { selectionMatcher } from "../backup/selection";
import type {
  BackupCandidate,
  BackupEstimate,
  BackupItemStatus,
  BackupOutcome,
  BackupProgress,
  BackupReason,
  BackupSelection,
  DownloadType,
  VideoRow,
} from "./types";

/** Live recordings of this many seconds or more get no MP4 download on Stream (4 hours). */
export const MAX_LIVE_RECORDING_SECONDS = 4 * 60 * 60;

const ACTIVE: ReadonlySet<BackupOutcome> = new Set(["queued", "running", "paused"]);

/** Returns the reason a video is not downloaded, or null when it is. */
function reasonOf(video: VideoRow, downloadType: DownloadType): BackupReason | null {
  if (video.offline.includes(downloadType)) {
    return "alreadyOffline";
  }
  if (video.removed) {
    return "removedFromStream";
  }
  if (video.state === "error") {
    return "processingFailed";
  }
  if (
    video.liveInput &&
    video.durationSeconds !== null &&
    video.durationSeconds >= MAX_LIVE_RECORDING_SECONDS
  ) {
    return "liveRecordingTooLong";
  }
  if (!video.readyToStream) {
    return "notReady";
  }
  return null;
}

/** Computes what a backup of `selection` would do, as estimate_backup does from the mirror. */
export function estimateFromMirror(
  mirror: VideoRow[],
  selection: BackupSelection,
  downloadType: DownloadType,
): BackupEstimate {
  const matches = mirror.filter(selectionMatcher(selection));
  const estimate: BackupEstimate = {
    downloadType,
    selection,
    selected: matches.length,
    toDownload: [],
    skipped: [],
    unavailable: [],
    totalBytes: 0,
    billedMinutes: 0,
    unknownDurations: 0,
  };

  for (const video of matches) {
    const reason = reasonOf(video, downloadType);
    const candidate: BackupCandidate = {
      uid: video.uid,
      title: video.name,
      created: video.created,
      duration: video.durationSeconds,
      size: video.sizeBytes,
      reason,
      detail: null,
    };
    if (reason === null) {
      estimate.toDownload.push(candidate);
      estimate.totalBytes += video.sizeBytes ?? 0;
      if (video.durationSeconds === null) {
        estimate.unknownDurations += 1;
      } else {
        estimate.billedMinutes += video.durationSeconds / 60;
      }
    } else if (reason === "alreadyOffline") {
      estimate.skipped.push(candidate);
    } else {
      estimate.unavailable.push(candidate);
    }
  }
  return estimate;
}

/** Returns true while a backup item waits, runs or is paused. */
export function isActiveOutcome(outcome: BackupOutcome): boolean {
  return ACTIVE.has(outcome);
}

/** Returns `backup` with its counts computed from its items. */
export function recount(backup: BackupProgress): BackupProgress {
  const count = (outcome: BackupOutcome) =>
    backup.items.filter((item) => item.outcome === outcome).length;
  return {
    ...backup,
    total: backup.items.length,
    done: count("done"),
    failed: count("failed"),
    skipped: count("skipped"),
    unavailable: count("unavailable"),
    active: backup.items.filter((item) => isActiveOutcome(item.outcome)).length,
    restored: backup.items.filter((item) => item.downloadDeleted).length,
  };
}

/** Builds the items of a new backup: downloads first, then the skipped and unavailable ones. */
export function itemsOf(estimate: BackupEstimate): BackupItemStatus[] {
  const item = (candidate: BackupCandidate, outcome: BackupOutcome): BackupItemStatus => ({
    uid: candidate.uid,
    title: candidate.title,
    outcome,
    jobId: null,
    reason: candidate.reason,
    error: null,
    downloadDeleted: false,
  });
  return [
    ...estimate.toDownload.map((candidate) => item(candidate, "queued")),
    ...estimate.skipped.map((candidate) => item(candidate, "skipped")),
    ...estimate.unavailable.map((candidate) => item(candidate, "unavailable")),
  ];
}

/**
 * Ends a backup whose items have all finished. With `restoreAccount`, the restore step marks
 * the download of every done item as deleted, since the fake account had none enabled before.
 */
export function settle(backup: BackupProgress): BackupProgress {
  if (backup.state !== "running" || backup.items.some((item) => isActiveOutcome(item.outcome))) {
    return recount(backup);
  }
  const items = backup.restoreAccount
    ? backup.items.map((item) =>
        item.outcome === "done" ? { ...item, downloadDeleted: true } : item,
      )
    : backup.items;
  return recount({ ...backup, state: "done", items });
}
