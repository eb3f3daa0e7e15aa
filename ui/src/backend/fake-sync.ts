// The fake backend's mirror sync: compares the fake account's videos with the mirror the way
// the engine does, and marks what changed. Unlike the engine it makes no requests, so the
// counts of API calls in its summaries are only what a real walk of that size would take.
import type { SyncMode, SyncSummary, VideoRow } from "./types";

/** Videos per page of the list API, which sets how often progress is reported. */
export const LIST_PAGE_SIZE = 1000;

export type SyncResult = { mirror: VideoRow[]; summary: SyncSummary; listed: number[] };

/** Sorts rows newest first, as the mirror hands them out. */
export function newestFirst(rows: VideoRow[]): VideoRow[] {
  return [...rows].sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
}

/** Returns the counts of listed videos a walk over `count` videos reports, one per page. */
function pageCounts(count: number): number[] {
  const counts: number[] = [];
  for (let listed = LIST_PAGE_SIZE; listed < count; listed += LIST_PAGE_SIZE) {
    counts.push(listed);
  }
  counts.push(count);
  return counts;
}

/**
 * Syncs `mirror` with `account`. A quick sync adds only unknown videos, and falls back to a
 * full one when the counts show a deletion. A full sync also marks renames, and marks a
 * deleted video as removed while a copy of it is offline, else drops it. The first sync of an
 * empty mirror (`firstSync`) marks nothing, because every video would be new.
 */
export function syncMirror(
  mirror: VideoRow[],
  account: VideoRow[],
  mode: SyncMode,
  firstSync: boolean,
): SyncResult {
  const known = new Map(mirror.map((row) => [row.uid, row]));
  const unknown = account.filter((video) => !known.has(video.uid));
  const present = mirror.filter((row) => !row.removed).length;
  const ranMode: SyncMode =
    mode === "quick" && present + unknown.length === account.length ? "quick" : "full";

  let added = 0;
  let renamed = 0;
  const next: VideoRow[] = [];
  for (const video of account) {
    const old = known.get(video.uid);
    if (old === undefined) {
      added += 1;
      next.push({ ...video, change: firstSync ? null : "new", previousName: null, removed: false });
    } else if (ranMode === "quick") {
      next.push(old);
    } else if (old.name !== video.name) {
      renamed += 1;
      next.push({
        ...video,
        offline: old.offline,
        change: "renamed",
        previousName: old.name,
        removed: false,
      });
    } else {
      next.push({ ...video, offline: old.offline, change: old.change, removed: false });
    }
  }

  let removed = 0;
  if (ranMode === "full") {
    const accountUids = new Set(account.map((video) => video.uid));
    for (const row of mirror) {
      if (accountUids.has(row.uid)) {
        continue;
      }
      if (!row.removed) {
        removed += 1;
      }
      if (row.offline.length > 0) {
        next.push({ ...row, removed: true, change: row.removed ? row.change : "removed" });
      }
    }
  } else {
    next.push(...mirror.filter((row) => row.removed));
  }

  const listed = ranMode === "quick" ? [unknown.length] : pageCounts(account.length);
  const summary: SyncSummary = {
    mode: ranMode,
    total: next.filter((row) => !row.removed).length,
    added,
    renamed,
    changed: 0,
    removed,
    apiCalls: ranMode === "quick" ? 1 : Math.max(1, Math.ceil(account.length / LIST_PAGE_SIZE)),
    elapsedMs: 0,
    finishedAt: new Date().toISOString(),
  };
  return { mirror: newestFirst(next), summary, listed };
}
