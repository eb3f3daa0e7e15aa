// Filtering, sorting and backup selection of the videos list. Everything runs on the mirror in
// memory, so a 10,000-video account filters as the user types.
import {
  EMPTY_SELECTION,
  selectionBound,
  selectionMatcher,
  type BackupTarget,
} from "../backup/selection";
import type { BackupSelection, VideoRow } from "../backend/types";
import { sortRows, type SortOrder } from "../components/sorting";

export type OfflineFilter = "any" | "offline" | "online";

export type PrivacyFilter = "any" | "private" | "public";

export type VideoFilters = {
  /** Text to find in the name, uid or creator. */
  query: string;
  offline: OfflineFilter;
  privacy: PrivacyFilter;
  /** A creator id, or null for every creator. */
  creator: string | null;
  /** First upload day to show, `YYYY-MM-DD` in UTC, or "" for no limit. */
  from: string;
  /** Last upload day to show, `YYYY-MM-DD` in UTC, or "" for no limit. */
  to: string;
};

export const NO_FILTERS: VideoFilters = {
  query: "",
  offline: "any",
  privacy: "any",
  creator: null,
  from: "",
  to: "",
};

export const VIDEO_SORT_KEYS = ["name", "created", "duration", "size"] as const;

export type VideoSortKey = (typeof VIDEO_SORT_KEYS)[number];

export const DEFAULT_VIDEO_SORT: SortOrder<VideoSortKey> = {
  key: "created",
  direction: "descending",
};

/** Returns the videos whose name, uid or creator contains `query`, ignoring case. */
export function filterVideos(videos: VideoRow[], query: string): VideoRow[] {
  const needle = query.trim().toLowerCase();
  if (needle === "") {
    return videos;
  }
  return videos.filter(
    (video) =>
      video.name.toLowerCase().includes(needle) ||
      video.uid.toLowerCase().includes(needle) ||
      (video.creator?.toLowerCase().includes(needle) ?? false),
  );
}

/** Returns true when any filter beyond the defaults is set. */
export function hasFilters(filters: VideoFilters): boolean {
  return (
    filters.query.trim() !== "" ||
    filters.offline !== "any" ||
    filters.privacy !== "any" ||
    filters.creator !== null ||
    filters.from !== "" ||
    filters.to !== ""
  );
}

/** Returns the videos that pass every filter, in their original order. */
export function applyFilters(videos: VideoRow[], filters: VideoFilters): VideoRow[] {
  const since = filters.from === "" ? null : selectionBound(filters.from, "since");
  const until = filters.to === "" ? null : selectionBound(filters.to, "until");

  return filterVideos(videos, filters.query).filter((video) => {
    if (filters.offline !== "any" && video.offline.length > 0 !== (filters.offline === "offline")) {
      return false;
    }
    if (filters.privacy !== "any" && video.requireSignedUrls !== (filters.privacy === "private")) {
      return false;
    }
    if (filters.creator !== null && video.creator !== filters.creator) {
      return false;
    }
    const created = Date.parse(video.created);
    return (since === null || created >= since) && (until === null || created < until);
  });
}

/** Returns a sorted copy of `videos`. Unknown durations and sizes sort last. */
export function sortVideos(videos: VideoRow[], order: SortOrder<VideoSortKey>): VideoRow[] {
  switch (order.key) {
    case "name":
      return sortRows(videos, (video) => video.name, order.direction);
    case "created":
      return sortRows(videos, (video) => Date.parse(video.created), order.direction);
    case "duration":
      return sortRows(videos, (video) => video.durationSeconds, order.direction);
    case "size":
      return sortRows(videos, (video) => video.sizeBytes, order.direction);
  }
}

/** Returns the distinct creator ids of `videos`, sorted. */
export function creatorsOf(videos: VideoRow[]): string[] {
  const creators = new Set<string>();
  for (const video of videos) {
    if (video.creator !== null && video.creator !== "") {
      creators.add(video.creator);
    }
  }
  return [...creators].sort((a, b) => a.localeCompare(b));
}

/** Returns the filters as a backup selection, ignoring the ones a selection cannot express. */
export function filtersAsSelection(filters: VideoFilters): BackupSelection {
  const query = filters.query.trim();
  return {
    ...EMPTY_SELECTION,
    search: query === "" ? null : query,
    since: filters.from === "" ? null : filters.from,
    until: filters.to === "" ? null : filters.to,
    creator: filters.creator,
  };
}

/** Returns true when `rows` and the uids in `uids` are the same set of videos. */
function sameVideos(rows: VideoRow[], uids: ReadonlySet<string>): boolean {
  return rows.length === uids.size && rows.every((row) => uids.has(row.uid));
}

/**
 * Returns the selection for a backup. Picked rows go as their uids, and with nothing picked
 * the rows on screen do. Either set goes as the filters instead when the engine's reading of
 * those filters (name-only search, UTC dates, creator) takes exactly that set, which keeps
 * "back up everything" a short request that names no uid.
 */
export function backupTarget(
  picked: ReadonlySet<string>,
  visible: VideoRow[],
  all: VideoRow[],
  filters: VideoFilters,
): BackupTarget {
  const rows = picked.size === 0 ? visible : all.filter((video) => picked.has(video.uid));
  const uids = new Set(rows.map((row) => row.uid));

  const byFilters = filtersAsSelection(filters);
  const filterRows = all.filter(selectionMatcher(byFilters));
  if (sameVideos(filterRows, uids)) {
    return {
      selection: byFilters,
      count: rows.length,
      description: hasFilters(filters)
        ? "every video that matches the filters"
        : "every video of the account",
    };
  }
  return {
    selection: { ...EMPTY_SELECTION, uids: rows.map((row) => row.uid) },
    count: rows.length,
    description: picked.size === 0 ? "the videos shown" : "the selected videos",
  };
}
