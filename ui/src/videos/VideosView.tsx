// The videos screen: the account's videos from the local mirror, synced in the background,
// with search, filters, sorting, selection for a bulk backup, and the downloads panel.
//
// Taking a private video offline while no way of making tokens is set up opens SigningDialog
// first. The download starts once the user's choice succeeded, and not at all on Cancel.
import {
  useCallback,
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type {
  AppStatus,
  BackupProgress,
  DownloadType,
  ErrorPayload,
  JobSnapshot,
  VideoRow,
} from "../backend/types";
import { BackupDialog } from "../backup/BackupDialog";
import type { BackupTarget } from "../backup/selection";
import { ErrorMessage } from "../components/ErrorMessage";
import { sortValue, toggleSort, type SortOrder } from "../components/sorting";
import type { RowFocusHandle } from "../components/useRowFocus";
import { formatCount, formatCountOf } from "../format/format";
import { JobsPanel } from "../jobs/JobsPanel";
import { phaseKey, queuedJob, type JobStore, type PhaseIndex } from "../jobs/store";
import { useViewCommand } from "../shell/viewCommands";
import { SigningDialog } from "../signing/SigningDialog";
import { FilterBar } from "./FilterBar";
import {
  applyFilters,
  backupTarget,
  creatorsOf,
  DEFAULT_VIDEO_SORT,
  NO_FILTERS,
  sortVideos,
  type VideoFilters,
  type VideoSortKey,
} from "./filters";
import { countMarks, SyncStatus } from "./SyncStatus";
import { SyncMemory } from "./syncPolicy";
import { useVideoList } from "./useVideoList";
import { VideoTable } from "./VideoTable";

export { filterVideos } from "./filters";

const DOWNLOAD_TYPES: DownloadType[] = ["default", "audio"];

/** Columns whose first click sorts from the largest or newest value. */
const DESCENDING_FIRST: ReadonlySet<VideoSortKey> = new Set(["created", "duration", "size"]);

/**
 * Returns `videos` with each download type whose job moved to "done" between `before` and
 * `after` added to `offline`. Returns the same array when nothing changed.
 */
export function markFinished(
  videos: VideoRow[],
  before: PhaseIndex,
  after: PhaseIndex,
): VideoRow[] {
  if (before === after) {
    return videos;
  }
  let changed = false;
  const marked = videos.map((video) => {
    const finished = DOWNLOAD_TYPES.filter((downloadType) => {
      const key = phaseKey(video.uid, downloadType);
      return (
        after.get(key) === "done" &&
        before.get(key) !== "done" &&
        !video.offline.includes(downloadType)
      );
    });
    if (finished.length === 0) {
      return video;
    }
    changed = true;
    return { ...video, offline: [...video.offline, ...finished] };
  });
  return changed ? marked : videos;
}

/**
 * Returns `picked` with the rows from `from` to `to` (inclusive, either order) of `rows` set
 * to `checked`.
 */
export function pickRange(
  picked: ReadonlySet<string>,
  rows: VideoRow[],
  from: number,
  to: number,
  checked: boolean,
): Set<string> {
  const next = new Set(picked);
  for (let index = Math.min(from, to); index <= Math.max(from, to); index += 1) {
    const uid = rows[index]?.uid;
    if (uid !== undefined) {
      if (checked) {
        next.add(uid);
      } else {
        next.delete(uid);
      }
    }
  }
  return next;
}

/** A requested download of one video in one download type. */
type DownloadTarget = { uid: string; name: string; downloadType: DownloadType };

type Props = {
  status: AppStatus;
  jobs: JobStore;
  onOpenSettings: () => void;
  onStatusChange: (status: AppStatus) => void;
  /** The app's memory of full syncs, which outlives this screen. Unless set, a new one. */
  syncMemory?: SyncMemory;
  /** Called once a bulk backup has started. */
  onBackupStarted?: (backup: BackupProgress) => void;
};

export function VideosView({
  status,
  jobs,
  onOpenSettings,
  onStatusChange,
  syncMemory,
  onBackupStarted,
}: Props) {
  const backend = useBackend();
  const [ownMemory] = useState(() => new SyncMemory());
  const configured = status.credentialSource !== "none";
  const account = `${status.accountId ?? ""}@${status.apiBase}`;
  const { list, sync, setVideos, reopen, startSync, acknowledge } = useVideoList(
    configured,
    account,
    syncMemory ?? ownMemory,
  );

  const [filters, setFilters] = useState<VideoFilters>(NO_FILTERS);
  const [order, setOrder] = useState<SortOrder<VideoSortKey>>(DEFAULT_VIDEO_SORT);
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [backupFor, setBackupFor] = useState<BackupTarget | null>(null);
  const [startError, setStartError] = useState<{ title: string; error: ErrorPayload } | null>(null);
  const [acknowledgeError, setAcknowledgeError] = useState<ErrorPayload | null>(null);
  const [signingFor, setSigningFor] = useState<DownloadTarget | null>(null);
  const phases = useSyncExternalStore(jobs.subscribe, jobs.getPhases);
  const deferredFilters = useDeferredValue(filters);
  const searchField = useRef<HTMLInputElement>(null);
  const rowFocus = useRef<RowFocusHandle>(null);

  useViewCommand("refresh", () => {
    if (configured) {
      startSync("full");
    }
  });
  useViewCommand("search", () => {
    searchField.current?.focus();
    searchField.current?.select();
  });

  const all = useMemo(() => (list.kind === "loaded" ? list.videos : []), [list]);
  const creators = useMemo(() => creatorsOf(all), [all]);
  const visible = useMemo(
    () => sortVideos(applyFilters(all, deferredFilters), order),
    [all, deferredFilters, order],
  );
  const pickedShown = useMemo(
    () => visible.reduce((count, video) => count + (picked.has(video.uid) ? 1 : 0), 0),
    [visible, picked],
  );

  // Mark rows offline when one of their jobs finishes while this screen is open. Jobs that
  // finished earlier are already in the list, which Rust builds from the catalog, and a later
  // Delete in the library must not be hidden by an old "done" job.
  const seenPhases = useRef(phases);
  useEffect(() => {
    if (list.kind !== "loaded") {
      return;
    }
    const before = seenPhases.current;
    seenPhases.current = phases;
    setVideos((videos) => markFinished(videos, before, phases));
  }, [phases, list.kind, setVideos]);

  // A sync can drop videos, and a picked one that is gone must not reach a backup.
  useEffect(() => {
    setPicked((previous) => {
      if (previous.size === 0) {
        return previous;
      }
      const present = new Set(all.map((video) => video.uid));
      const kept = [...previous].filter((uid) => present.has(uid));
      return kept.length === previous.size ? previous : new Set(kept);
    });
  }, [all]);

  // Row callbacks read the rows through a ref, so they stay stable and memoized rows do not
  // re-render when another row is picked.
  const visibleRef = useRef(visible);
  visibleRef.current = visible;
  const anchor = useRef<number | null>(null);

  const onPick = useCallback((index: number, checked: boolean, range: boolean) => {
    const rows = visibleRef.current;
    const from = range && anchor.current !== null ? anchor.current : index;
    anchor.current = index;
    setPicked((previous) => pickRange(previous, rows, from, index, checked));
  }, []);

  const onPickAll = useCallback((checked: boolean) => {
    const rows = visibleRef.current;
    anchor.current = null;
    setPicked((previous) => pickRange(previous, rows, 0, rows.length - 1, checked));
  }, []);

  const onSort = useCallback((key: VideoSortKey) => {
    setOrder((previous) =>
      toggleSort(previous, key, DESCENDING_FIRST.has(key) ? "descending" : "ascending"),
    );
  }, []);

  const start = useCallback(
    async ({ uid, name, downloadType }: DownloadTarget) => {
      setStartError(null);
      try {
        const id = await backend.startDownload(uid, downloadType);
        // Show the job at once; the channel's snapshots replace this one as they arrive.
        jobs.seed([queuedJob(id, uid, name, downloadType)]);
      } catch (caught) {
        setStartError({
          title: `Could not start the download of “${name}”`,
          error: toErrorPayload(caught),
        });
      }
    },
    [backend, jobs],
  );

  const signingMode = status.signing.mode;
  const onDownload = useCallback(
    (video: VideoRow, downloadType: DownloadType) => {
      const target = { uid: video.uid, name: video.name, downloadType };
      if (video.requireSignedUrls && signingMode === "none") {
        setSigningFor(target);
        return;
      }
      void start(target);
    },
    [signingMode, start],
  );

  function onSigningDone(next: AppStatus) {
    const target = signingFor;
    setSigningFor(null);
    onStatusChange(next);
    if (target !== null) {
      void start(target);
    }
  }

  async function onAcknowledge() {
    setAcknowledgeError(null);
    try {
      await acknowledge();
    } catch (caught) {
      setAcknowledgeError(toErrorPayload(caught));
    }
  }

  function onBackupDone(backup: BackupProgress) {
    setBackupFor(null);
    setPicked(new Set());
    anchor.current = null;
    onBackupStarted?.(backup);
  }

  const names = useMemo(() => new Map(all.map((video) => [video.uid, video.name])), [all]);

  // Offered on jobs that failed with `signing_key_needed`, while signing is still not set up.
  const onSetUpSigning = useMemo(
    () =>
      signingMode === "none"
        ? (job: JobSnapshot) =>
            setSigningFor({
              uid: job.uid,
              name: job.title ?? names.get(job.uid) ?? job.uid,
              downloadType: job.downloadType,
            })
        : undefined,
    [signingMode, names],
  );

  const marks = useMemo(() => countMarks(all), [all]);

  if (!configured) {
    return (
      <main className="view" aria-labelledby="view-heading">
        <h1 id="view-heading" tabIndex={-1}>
          Videos
        </h1>
        <p className="empty">
          Add a Cloudflare account id and API token to list its videos.{" "}
          <button type="button" className="link" onClick={onOpenSettings}>
            Open Settings
          </button>
        </p>
      </main>
    );
  }

  const hidden = picked.size - pickedShown;
  const resetKey = `${JSON.stringify(deferredFilters)}|${sortValue(order)}`;

  return (
    <main className="view view-with-side" aria-labelledby="view-heading">
      <div className="view-main">
        <div className="view-head">
          <h1 id="view-heading" tabIndex={-1}>
            Videos
          </h1>
          <div className="search">
            <label htmlFor="video-search" className="visually-hidden">
              Search videos
            </label>
            <input
              id="video-search"
              ref={searchField}
              type="search"
              placeholder="Search videos"
              aria-describedby="video-search-help"
              value={filters.query}
              onChange={(event) => setFilters({ ...filters, query: event.target.value })}
              onKeyDown={(event) => {
                if (event.key === "ArrowDown") {
                  event.preventDefault();
                  rowFocus.current?.focusCurrentRow();
                }
              }}
            />
            <p id="video-search-help" className="help">
              Searches names, uids and creators as you type, without going online. Press ↓ to move
              to the list.
            </p>
          </div>
        </div>

        {list.kind === "loaded" && (
          <SyncStatus
            lastSync={list.lastSync}
            sync={sync}
            marks={marks}
            acknowledgeError={acknowledgeError}
            onRefresh={() => startSync("full")}
            onAcknowledge={() => void onAcknowledge()}
          />
        )}

        {startError !== null && <ErrorMessage title={startError.title} error={startError.error} />}

        {list.kind === "loading" && (
          <p className="loading" role="status">
            Loading videos…
          </p>
        )}

        {list.kind === "failed" && (
          <ErrorMessage title="Could not load the videos" error={list.error} onRetry={reopen} />
        )}

        {list.kind === "loaded" && all.length === 0 && (
          <p className="empty">
            {sync.running
              ? "Reading the account's video list from Cloudflare…"
              : list.lastSync === null
                ? "The video list has not been read from Cloudflare yet."
                : "This account has no videos yet."}
          </p>
        )}

        {list.kind === "loaded" && all.length > 0 && (
          <>
            <FilterBar
              filters={filters}
              creators={creators}
              order={order}
              onFiltersChange={setFilters}
              onOrderChange={setOrder}
            />
            <div className="selection-bar">
              <p className="selection-count" data-testid="selection-count" aria-live="polite">
                {picked.size === 0
                  ? `${formatCountOf(visible.length, "video")} shown of ${formatCount(all.length)}`
                  : `${formatCount(picked.size)} selected`}
                {hidden > 0 && `, ${formatCount(hidden)} of them hidden by the filters`}
              </p>
              <div className="actions">
                {picked.size > 0 && (
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      setPicked(new Set());
                      anchor.current = null;
                    }}
                  >
                    Clear selection
                  </button>
                )}
                <button
                  type="button"
                  className="primary"
                  data-testid="back-up"
                  disabled={picked.size === 0 && visible.length === 0}
                  onClick={() => setBackupFor(backupTarget(picked, visible, all, filters))}
                >
                  {picked.size === 0
                    ? `Back up all ${formatCount(visible.length)} shown…`
                    : `Back up ${formatCount(picked.size)} selected…`}
                </button>
              </div>
            </div>
            {visible.length === 0 ? (
              <p className="empty" role="status">
                No videos match this search.
              </p>
            ) : (
              <VideoTable
                videos={visible}
                phases={phases}
                order={order}
                resetKey={resetKey}
                picked={picked}
                pickedShown={pickedShown}
                onSort={onSort}
                onPick={onPick}
                onPickAll={onPickAll}
                onDownload={onDownload}
                rowFocusRef={rowFocus}
              />
            )}
          </>
        )}
      </div>

      <JobsPanel
        store={jobs}
        names={names}
        onSetUpSigning={onSetUpSigning}
        onOpenSettings={onOpenSettings}
      />

      {signingFor !== null && (
        <SigningDialog
          videoName={signingFor.name}
          demo={status.demo}
          onDone={onSigningDone}
          onCancel={() => setSigningFor(null)}
        />
      )}

      {backupFor !== null && (
        <BackupDialog
          target={backupFor}
          onCancel={() => setBackupFor(null)}
          onStarted={onBackupDone}
        />
      )}
    </main>
  );
}
