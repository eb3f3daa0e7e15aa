// The library screen: offline items with search, filters and sorting, a player with the
// items' captions, the storage overview, and checks that each file is still on disk with the
// size the catalog recorded. Each loaded list marks the done jobs whose item is missing in the
// job store, so the downloads panel stops calling them "in the library".
import {
  useCallback,
  useDeferredValue,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type SyntheticEvent,
} from "react";

import { toErrorPayload, type FileCheck } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { ErrorPayload, LibraryEntry } from "../backend/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage } from "../components/ErrorMessage";
import type { RowFocusHandle } from "../components/useRowFocus";
import { SortSelect, type SortOption } from "../components/SortSelect";
import { sortValue, toggleSort, type SortOrder } from "../components/sorting";
import { formatCount, formatDownloadType } from "../format/format";
import type { JobStore } from "../jobs/store";
import { useViewCommand } from "../shell/viewCommands";

import {
  applyLibraryFilters,
  DEFAULT_LIBRARY_SORT,
  defaultCaptionIndex,
  LIBRARY_SORT_KEYS,
  libraryCreators,
  NO_LIBRARY_FILTERS,
  sortLibrary,
  type LibraryFilters,
  type LibrarySortKey,
} from "./filters";
import { LibraryTable } from "./LibraryTable";
import { StorageOverviewPanel } from "./StorageOverview";

export { filterLibrary } from "./filters";

const SORT_OPTIONS: SortOption[] = [
  { value: "added:descending", label: "Recently added" },
  { value: "added:ascending", label: "First added" },
  { value: "created:descending", label: "Newest upload" },
  { value: "created:ascending", label: "Oldest upload" },
  { value: "title:ascending", label: "Title, A to Z" },
  { value: "title:descending", label: "Title, Z to A" },
  { value: "duration:descending", label: "Longest first" },
  { value: "duration:ascending", label: "Shortest first" },
  { value: "size:descending", label: "Largest first" },
  { value: "size:ascending", label: "Smallest first" },
  { value: "creator:ascending", label: "Creator, A to Z" },
  { value: "creator:descending", label: "Creator, Z to A" },
  { value: "type:ascending", label: "Audio first" },
  { value: "type:descending", label: "Video first" },
];

/** Columns whose first click sorts from the largest or newest value. */
const DESCENDING_FIRST: ReadonlySet<LibrarySortKey> = new Set([
  "added",
  "created",
  "duration",
  "size",
]);

const MEDIA_ERRORS: Record<number, string> = {
  1: "Playback was aborted.",
  2: "A network error stopped the playback.",
  3: "The file could not be decoded.",
  4: "The player cannot open this file. On Linux, install gstreamer1.0-plugins-good and gstreamer1.0-libav.",
};

type LoadState =
  | { kind: "loading" }
  | { kind: "loaded"; entries: LibraryEntry[] }
  | { kind: "failed"; error: ErrorPayload };

type ActionError = { title: string; error: ErrorPayload };

type Props = {
  /** The app's job store, in which each loaded list marks done jobs whose item is missing. */
  jobs?: JobStore;
};

export function LibraryView({ jobs }: Props = {}) {
  const backend = useBackend();
  const [load, setLoad] = useState<LoadState>({ kind: "loading" });
  const [checks, setChecks] = useState<ReadonlyMap<number, FileCheck>>(new Map());
  const [filters, setFilters] = useState<LibraryFilters>(NO_LIBRARY_FILTERS);
  const [order, setOrder] = useState<SortOrder<LibrarySortKey>>(DEFAULT_LIBRARY_SORT);
  const [loads, setLoads] = useState(0);
  const deferredFilters = useDeferredValue(filters);
  const id = useId();
  const [playing, setPlaying] = useState<LibraryEntry | null>(null);
  const [playerError, setPlayerError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<LibraryEntry | null>(null);
  const [actionError, setActionError] = useState<ActionError | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const searchField = useRef<HTMLInputElement>(null);
  const rowFocus = useRef<RowFocusHandle>(null);

  const refresh = useCallback(async () => {
    setLoad((previous) => (previous.kind === "loaded" ? previous : { kind: "loading" }));
    const doneBefore = jobs?.doneItems();
    let entries: LibraryEntry[];
    try {
      entries = await backend.listLibrary();
    } catch (caught) {
      setLoad({ kind: "failed", error: toErrorPayload(caught) });
      return;
    }
    setLoad({ kind: "loaded", entries });
    setLoads((count) => count + 1);
    if (jobs !== undefined && doneBefore !== undefined) {
      jobs.markMissingItems(doneBefore, new Set(entries.map((entry) => entry.id)));
    }

    const results = await Promise.all(
      entries.map(
        async (entry) => [entry.id, await backend.checkFile(entry.path, entry.bytes)] as const,
      ),
    );
    setChecks(new Map(results));
  }, [backend, jobs]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useViewCommand("refresh", () => void refresh());
  useViewCommand("search", () => {
    searchField.current?.focus();
    searchField.current?.select();
  });

  const entries = useMemo(() => (load.kind === "loaded" ? load.entries : []), [load]);
  const creators = useMemo(() => libraryCreators(entries), [entries]);
  const visible = useMemo(
    () => sortLibrary(applyLibraryFilters(entries, deferredFilters), order),
    [entries, deferredFilters, order],
  );

  const onSort = useCallback((key: LibrarySortKey) => {
    setOrder((previous) =>
      toggleSort(previous, key, DESCENDING_FIRST.has(key) ? "descending" : "ascending"),
    );
  }, []);

  const play = useCallback((entry: LibraryEntry) => {
    setPlayerError(null);
    setPlaying(entry);
  }, []);

  const reveal = useCallback(
    async (entry: LibraryEntry) => {
      setActionError(null);
      try {
        await backend.revealLibraryItem(entry.id);
      } catch (caught) {
        setActionError({ title: `Could not show “${entry.title}”`, error: toErrorPayload(caught) });
      }
    },
    [backend],
  );

  const dragOut = useCallback(
    async (entry: LibraryEntry) => {
      setActionError(null);
      try {
        await backend.startDragOut(entry.path);
      } catch (caught) {
        setActionError({ title: `Could not drag “${entry.title}”`, error: toErrorPayload(caught) });
      }
    },
    [backend],
  );

  async function confirmDelete(entry: LibraryEntry) {
    setConfirming(null);
    setActionError(null);
    // Stop the player first, so the media server is not streaming the file being deleted.
    if (playing?.id === entry.id) {
      setPlaying(null);
    }
    try {
      await backend.deleteLibraryItem(entry.id);
    } catch (caught) {
      setActionError({ title: `Could not delete “${entry.title}”`, error: toErrorPayload(caught) });
    }
    await refresh();
    heading.current?.focus();
  }

  function onMediaError(event: SyntheticEvent<HTMLVideoElement>) {
    const code = event.currentTarget.error?.code ?? 0;
    setPlayerError(MEDIA_ERRORS[code] ?? "The player stopped with an unknown error.");
  }

  return (
    <main className="view" aria-labelledby="view-heading">
      <div className="view-head">
        <h1 id="view-heading" ref={heading} tabIndex={-1}>
          Library
        </h1>
        <div className="search">
          <label htmlFor="library-search" className="visually-hidden">
            Search the library
          </label>
          <input
            id="library-search"
            ref={searchField}
            type="search"
            placeholder="Search the library"
            value={filters.query}
            onChange={(event) => setFilters({ ...filters, query: event.target.value })}
            onKeyDown={(event) => {
              if (event.key === "ArrowDown") {
                event.preventDefault();
                rowFocus.current?.focusCurrentRow();
              }
            }}
          />
        </div>
      </div>

      <fieldset className="filter-bar" data-testid="library-filters">
        <legend className="visually-hidden">Filter and sort the library</legend>
        <div className="filter">
          <label htmlFor={`${id}-type`}>Type</label>
          <select
            id={`${id}-type`}
            data-testid="filter-type"
            value={filters.type}
            onChange={(event) =>
              setFilters({ ...filters, type: event.target.value as LibraryFilters["type"] })
            }
          >
            <option value="any">Video and audio</option>
            <option value="default">{formatDownloadType("default")}</option>
            <option value="audio">{formatDownloadType("audio")}</option>
          </select>
        </div>
        <div className="filter">
          <label htmlFor={`${id}-creator`}>Creator</label>
          <select
            id={`${id}-creator`}
            data-testid="filter-creator"
            value={filters.creator ?? ""}
            onChange={(event) =>
              setFilters({
                ...filters,
                creator: event.target.value === "" ? null : event.target.value,
              })
            }
          >
            <option value="">Every creator</option>
            {creators.map((creator) => (
              <option key={creator} value={creator}>
                {creator}
              </option>
            ))}
          </select>
        </div>
        <SortSelect
          id={`${id}-sort`}
          testId="sort-library"
          order={order}
          keys={LIBRARY_SORT_KEYS}
          options={SORT_OPTIONS}
          onChange={setOrder}
        />
        {load.kind === "loaded" && (
          <p className="help filter-help" aria-live="polite">
            {formatCount(visible.length)} of {formatCount(entries.length)} items shown
          </p>
        )}
      </fieldset>

      <section className="player panel" aria-label="Player">
        {playing === null ? (
          <p className="empty">Choose Play on an item to watch it here.</p>
        ) : (
          <>
            <p className="player-title">
              {playing.title}{" "}
              <span className="job-type">{formatDownloadType(playing.downloadType)}</span>
            </p>
            <Player key={playing.id} entry={playing} onError={onMediaError} />
            {playerError !== null && (
              <ErrorMessage
                title={`Cannot play “${playing.title}”`}
                error={{ code: "media", message: playerError }}
              />
            )}
          </>
        )}
      </section>

      {actionError !== null && <ErrorMessage title={actionError.title} error={actionError.error} />}

      {load.kind === "loading" && (
        <p className="loading" role="status">
          Loading the library…
        </p>
      )}

      {load.kind === "failed" && (
        <ErrorMessage
          title="Could not load the library"
          error={load.error}
          onRetry={() => void refresh()}
        />
      )}

      {load.kind === "loaded" &&
        (visible.length === 0 ? (
          <p className="empty" role="status">
            {load.entries.length === 0
              ? "Nothing offline yet. Use “Make available offline” on the Videos screen."
              : "No items match this search."}
          </p>
        ) : (
          <LibraryTable
            entries={visible}
            checks={checks}
            playingId={playing?.id ?? null}
            order={order}
            resetKey={`${JSON.stringify(deferredFilters)}|${sortValue(order)}`}
            onSort={onSort}
            onPlay={play}
            onReveal={reveal}
            onDelete={setConfirming}
            onDragOut={dragOut}
            rowFocusRef={rowFocus}
          />
        ))}

      <StorageOverviewPanel refreshKey={loads} />

      {confirming !== null && (
        <ConfirmDialog
          title="Delete from the library?"
          confirmLabel="Delete"
          confirmTestId="confirm-delete"
          onConfirm={() => void confirmDelete(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>
            The {confirming.downloadType === "audio" ? "M4A" : "MP4"} file of “{confirming.title}”
            will be deleted from this computer. The video stays on Cloudflare.
          </p>
        </ConfirmDialog>
      )}
    </main>
  );
}

/**
 * Renders the video element with one subtitle track per caption file. The loopback media
 * server is another origin than the page, and a text track from another origin loads only in
 * CORS mode, so an item with captions requests its media in CORS mode too.
 */
function Player({
  entry,
  onError,
}: {
  entry: LibraryEntry;
  onError: (event: SyntheticEvent<HTMLVideoElement>) => void;
}) {
  const preferred = typeof navigator === "undefined" ? "" : navigator.language;
  const defaultIndex = defaultCaptionIndex(entry.captions, preferred);
  return (
    <video
      id="player"
      aria-label={`Player: ${entry.title}`}
      controls
      autoPlay
      src={entry.mediaUrl}
      crossOrigin={entry.captions.length > 0 ? "anonymous" : undefined}
      onError={onError}
    >
      {entry.captions.map((caption, index) => (
        <track
          key={caption.language}
          kind="subtitles"
          src={caption.url}
          srcLang={caption.language}
          label={caption.label === "" ? caption.language : caption.label}
          default={index === defaultIndex}
        />
      ))}
    </video>
  );
}
