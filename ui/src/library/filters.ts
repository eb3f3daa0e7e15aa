// Filtering and sorting of the offline library, in memory.
import type { DownloadType, LibraryEntry } from "../backend/types";
import { sortRows, type SortOrder } from "../components/sorting";

export type LibraryFilters = {
  /** Text to find in the title, file name, uid or creator. */
  query: string;
  /** A download type, or "any". */
  type: DownloadType | "any";
  /** A creator id, or null for every creator. */
  creator: string | null;
};

export const NO_LIBRARY_FILTERS: LibraryFilters = { query: "", type: "any", creator: null };

export const LIBRARY_SORT_KEYS = [
  "title",
  "added",
  "created",
  "duration",
  "size",
  "creator",
  "type",
] as const;

export type LibrarySortKey = (typeof LIBRARY_SORT_KEYS)[number];

export const DEFAULT_LIBRARY_SORT: SortOrder<LibrarySortKey> = {
  key: "added",
  direction: "descending",
};

/** Returns the entries whose title, creator, file name or uid contains `query`, ignoring case. */
export function filterLibrary(entries: LibraryEntry[], query: string): LibraryEntry[] {
  const needle = query.trim().toLowerCase();
  if (needle === "") {
    return entries;
  }
  return entries.filter(
    (entry) =>
      entry.title.toLowerCase().includes(needle) ||
      entry.fileName.toLowerCase().includes(needle) ||
      entry.uid.toLowerCase().includes(needle) ||
      (entry.creator?.toLowerCase().includes(needle) ?? false),
  );
}

/** Returns the entries that pass every filter, in their original order. */
export function applyLibraryFilters(
  entries: LibraryEntry[],
  filters: LibraryFilters,
): LibraryEntry[] {
  return filterLibrary(entries, filters.query).filter(
    (entry) =>
      (filters.type === "any" || entry.downloadType === filters.type) &&
      (filters.creator === null || entry.creator === filters.creator),
  );
}

/** Returns a value to sort by that is null when unknown, so unknown values sort last. */
function timeOrNull(iso: string | null): number | null {
  if (iso === null) {
    return null;
  }
  const time = Date.parse(iso);
  return Number.isNaN(time) ? null : time;
}

/** Returns a sorted copy of `entries`. */
export function sortLibrary(
  entries: LibraryEntry[],
  order: SortOrder<LibrarySortKey>,
): LibraryEntry[] {
  switch (order.key) {
    case "title":
      return sortRows(entries, (entry) => entry.title, order.direction);
    case "added":
      return sortRows(entries, (entry) => timeOrNull(entry.addedAt), order.direction);
    case "created":
      return sortRows(entries, (entry) => timeOrNull(entry.videoCreated), order.direction);
    case "duration":
      return sortRows(entries, (entry) => entry.duration, order.direction);
    case "size":
      return sortRows(entries, (entry) => entry.bytes, order.direction);
    case "creator":
      return sortRows(entries, (entry) => entry.creator, order.direction);
    case "type":
      return sortRows(entries, (entry) => entry.downloadType, order.direction);
  }
}

/** Returns the distinct creator ids of `entries`, sorted. */
export function libraryCreators(entries: LibraryEntry[]): string[] {
  const creators = new Set<string>();
  for (const entry of entries) {
    if (entry.creator !== null && entry.creator !== "") {
      creators.add(entry.creator);
    }
  }
  return [...creators].sort((a, b) => a.localeCompare(b));
}

/**
 * Returns the index of the caption to show by default: the first whose language equals
 * `preferred` (a BCP 47 tag such as navigator.language), else the first with the same primary
 * language ("en" for "en-GB"). Returns -1 when none matches, so no caption shows unasked.
 */
export function defaultCaptionIndex(
  captions: ReadonlyArray<{ language: string }>,
  preferred: string,
): number {
  const target = preferred.toLowerCase();
  const exact = captions.findIndex((caption) => caption.language.toLowerCase() === target);
  if (exact !== -1 || target === "") {
    return exact;
  }
  const primary = target.split("-")[0];
  return captions.findIndex((caption) => caption.language.toLowerCase().split("-")[0] === primary);
}
