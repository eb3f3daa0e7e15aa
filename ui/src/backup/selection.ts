// The meaning of a BackupSelection, as the engine's estimate applies it to the mirror. The
// videos view uses it to decide whether its filters can travel as a selection, and the fake
// backend uses it to estimate.
import type { BackupSelection, VideoRow } from "../backend/types";

/** The selection of a backup started from the videos list, and the dialog's description of it. */
export type BackupTarget = {
  selection: BackupSelection;
  /** Videos in the list that the selection takes. */
  count: number;
  /** Completes "Takes … offline", such as "the selected videos". */
  description: string;
};

/** A selection with no filter, which takes the whole account. */
export const EMPTY_SELECTION: BackupSelection = {
  uids: null,
  search: null,
  since: null,
  until: null,
  creator: null,
};

const DAY_MS = 24 * 60 * 60 * 1000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Returns the time in milliseconds of a selection bound. A date `YYYY-MM-DD` means its start in
 * UTC for `since`, and the start of the next day (so "before its end") for `until`. Returns
 * null for text that is no date.
 */
export function selectionBound(value: string, edge: "since" | "until"): number | null {
  const text = value.trim();
  if (DATE_ONLY.test(text)) {
    const start = Date.parse(`${text}T00:00:00Z`);
    if (Number.isNaN(start)) {
      return null;
    }
    return edge === "since" ? start : start + DAY_MS;
  }
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time;
}

/** Returns a predicate that is true for the videos `selection` takes. */
export function selectionMatcher(selection: BackupSelection): (video: VideoRow) => boolean {
  const uids = selection.uids === null ? null : new Set(selection.uids);
  const needle = selection.search?.trim().toLowerCase() ?? "";
  const since = selection.since === null ? null : selectionBound(selection.since, "since");
  const until = selection.until === null ? null : selectionBound(selection.until, "until");
  const creator = selection.creator;

  return (video) => {
    if (uids !== null && !uids.has(video.uid)) {
      return false;
    }
    if (needle !== "" && !video.name.toLowerCase().includes(needle)) {
      return false;
    }
    if (creator !== null && video.creator !== creator) {
      return false;
    }
    if (since === null && until === null) {
      return true;
    }
    const created = Date.parse(video.created);
    return (since === null || created >= since) && (until === null || created < until);
  };
}
