// The videos screen: the account's videos with a search box, and the downloads panel.
//
// Taking a private video offline while no way of making tokens is set up opens SigningDialog
// first. The download starts once the user's choice succeeded, and not at all on Cancel.
//
// Typing filters the loaded list at once. Enter sends the search to the server, which also
// finds videos the last load did not return.
import {
  useCallback,
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type KeyboardEvent,
} from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type {
  AppStatus,
  DownloadType,
  ErrorPayload,
  JobSnapshot,
  VideoRow,
} from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { JobsPanel } from "../jobs/JobsPanel";
import { phaseKey, queuedJob, type JobStore, type PhaseIndex } from "../jobs/store";
import { SigningDialog } from "../signing/SigningDialog";
import { VideoTable } from "./VideoTable";

const DOWNLOAD_TYPES: DownloadType[] = ["default", "audio"];

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

type LoadState =
  | { kind: "loading" }
  | { kind: "loaded"; videos: VideoRow[]; search: string | null }
  | { kind: "failed"; error: ErrorPayload };

/** A requested download of one video in one download type. */
type DownloadTarget = { uid: string; name: string; downloadType: DownloadType };

type Props = {
  status: AppStatus;
  jobs: JobStore;
  onOpenSettings: () => void;
  onStatusChange: (status: AppStatus) => void;
};

export function VideosView({ status, jobs, onOpenSettings, onStatusChange }: Props) {
  const backend = useBackend();
  const [load, setLoad] = useState<LoadState>({ kind: "loading" });
  const [query, setQuery] = useState("");
  const [startError, setStartError] = useState<{ title: string; error: ErrorPayload } | null>(null);
  const [signingFor, setSigningFor] = useState<DownloadTarget | null>(null);
  const phases = useSyncExternalStore(jobs.subscribe, jobs.getPhases);
  const deferredQuery = useDeferredValue(query);
  const requestId = useRef(0);
  const configured = status.credentialSource !== "none";

  const fetchVideos = useCallback(
    async (search: string | null) => {
      // Only the newest request may update the screen, so a slow older one cannot win.
      requestId.current += 1;
      const id = requestId.current;
      setLoad({ kind: "loading" });
      try {
        const videos = await backend.listVideos(search);
        if (id === requestId.current) {
          setLoad({ kind: "loaded", videos, search });
        }
      } catch (caught) {
        if (id === requestId.current) {
          setLoad({ kind: "failed", error: toErrorPayload(caught) });
        }
      }
    },
    [backend],
  );

  // Reload when the account or the API base changes.
  useEffect(() => {
    if (configured) {
      void fetchVideos(null);
    }
  }, [configured, fetchVideos, status.accountId, status.apiBase]);

  // Mark rows offline when one of their jobs finishes while this screen is open. Jobs that
  // finished earlier are already in the list, which Rust builds from the catalog, and a later
  // Delete in the library must not be hidden by an old "done" job.
  const seenPhases = useRef(phases);
  useEffect(() => {
    if (load.kind !== "loaded") {
      return;
    }
    const before = seenPhases.current;
    seenPhases.current = phases;
    setLoad((previous) =>
      previous.kind === "loaded"
        ? { ...previous, videos: markFinished(previous.videos, before, phases) }
        : previous,
    );
  }, [phases, load.kind]);

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

  const names = useMemo(
    () =>
      new Map(load.kind === "loaded" ? load.videos.map((video) => [video.uid, video.name]) : []),
    [load],
  );

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

  const visible = useMemo(
    () => (load.kind === "loaded" ? filterVideos(load.videos, deferredQuery) : []),
    [load, deferredQuery],
  );

  function onSearchChange(value: string) {
    setQuery(value);
    // After a server search the loaded list contains only its matches. Clearing the box
    // reloads the whole account, because a new filter would otherwise search the old matches.
    if (value.trim() === "" && load.kind === "loaded" && load.search !== null) {
      void fetchVideos(null);
    }
  }

  function onSearchKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Enter") {
      event.preventDefault();
      const search = query.trim();
      void fetchVideos(search === "" ? null : search);
    }
  }

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
              type="search"
              placeholder="Search videos"
              aria-describedby="video-search-help"
              value={query}
              onChange={(event) => onSearchChange(event.target.value)}
              onKeyDown={onSearchKey}
            />
            <p id="video-search-help" className="help">
              Filters as you type. Press Enter to search the whole account.
            </p>
          </div>
        </div>

        {startError !== null && <ErrorMessage title={startError.title} error={startError.error} />}

        {load.kind === "loading" && (
          <p className="loading" role="status">
            Loading videos…
          </p>
        )}

        {load.kind === "failed" && (
          <ErrorMessage
            title="Could not load the videos"
            error={load.error}
            onRetry={() => void fetchVideos(null)}
          />
        )}

        {load.kind === "loaded" &&
          (visible.length === 0 ? (
            <p className="empty" role="status">
              {load.videos.length === 0 && load.search === null
                ? "This account has no videos yet."
                : "No videos match this search."}
            </p>
          ) : (
            <VideoTable videos={visible} phases={phases} onDownload={onDownload} />
          ))}
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
    </main>
  );
}
