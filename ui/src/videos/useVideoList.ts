// The videos screen's data: the mirror's cached list at once, then a sync in the background
// that refreshes it, and once more when the sync's thumbnails are downloaded. A sync that
// another window or an earlier visit started (the list has `syncing` set) is followed by
// re-reading the cache until it ends, instead of starting another.
import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type Dispatch,
  type SetStateAction,
} from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { ErrorPayload, SyncMode, SyncSummary, VideoRow } from "../backend/types";
import { chooseSyncMode, type SyncMemory } from "./syncPolicy";

/** How often the cache is re-read while a sync started elsewhere runs. */
export const SYNC_POLL_MS = 1500;

export type ListState =
  | { kind: "loading" }
  | { kind: "loaded"; videos: VideoRow[]; lastSync: SyncSummary | null }
  | { kind: "failed"; error: ErrorPayload };

export type SyncState = {
  /** A sync runs, started here or elsewhere. */
  running: boolean;
  /** The mode of the sync started here, or null for one started elsewhere. */
  mode: SyncMode | null;
  /** Videos listed so far by the sync started here. */
  listed: number | null;
  /** Error of the last sync started here. */
  error: ErrorPayload | null;
};

const IDLE: SyncState = { running: false, mode: null, listed: null, error: null };

export type VideoListControls = {
  list: ListState;
  sync: SyncState;
  /** Replaces the loaded rows, for marks that change on screen such as a finished download. */
  setVideos: Dispatch<SetStateAction<VideoRow[]>>;
  /** Re-reads the cache and syncs again with the mode the policy picks. */
  reopen: () => void;
  /** Starts a sync of `mode` unless one runs. */
  startSync: (mode: SyncMode) => void;
  /** Clears the change marks and re-reads the cache. */
  acknowledge: () => Promise<void>;
};

/**
 * Loads the account's videos from the mirror and syncs them in the background. Nothing runs
 * until `enabled` is true, and a change of `account` starts over.
 */
export function useVideoList(
  enabled: boolean,
  account: string,
  memory: SyncMemory,
): VideoListControls {
  const backend = useBackend();
  const [list, setList] = useState<ListState>({ kind: "loading" });
  const [sync, setSync] = useState<SyncState>(IDLE);
  const [attempt, setAttempt] = useState(0);
  // Bumped by each (re)open and unmount, so responses to older requests are dropped.
  const generation = useRef(0);
  const running = useRef(false);

  const readCache = useCallback(
    async (current: number) => {
      const cached = await backend.cachedVideos();
      if (current === generation.current) {
        setList({ kind: "loaded", videos: cached.videos, lastSync: cached.lastSync });
      }
      return cached;
    },
    [backend],
  );

  const runSync = useCallback(
    async (mode: SyncMode, current: number) => {
      if (running.current) {
        return;
      }
      running.current = true;
      setSync({ running: true, mode, listed: null, error: null });
      try {
        const summary = await backend.syncVideos(mode, (event) => {
          if (current !== generation.current) {
            return;
          }
          if (event.kind === "progress") {
            setSync((previous) => ({ ...previous, listed: event.listed }));
          } else {
            // Thumbnails arrive after the sync returned, and the cache now has their URLs.
            readCache(current).catch(() => {});
          }
        });
        memory.note(account, summary);
        await readCache(current);
        if (current === generation.current) {
          setSync(IDLE);
        }
      } catch (caught) {
        if (current === generation.current) {
          setSync({ ...IDLE, error: toErrorPayload(caught) });
        }
      } finally {
        running.current = false;
      }
    },
    [account, backend, memory, readCache],
  );

  useEffect(() => {
    if (!enabled) {
      return;
    }
    generation.current += 1;
    const current = generation.current;
    let timer: ReturnType<typeof setTimeout> | undefined;

    // Re-reads the cache until the sync that runs elsewhere has ended.
    const follow = async () => {
      try {
        const cached = await readCache(current);
        if (current !== generation.current) {
          return;
        }
        if (cached.syncing) {
          timer = setTimeout(() => void follow(), SYNC_POLL_MS);
        } else {
          setSync(IDLE);
        }
      } catch (caught) {
        if (current === generation.current) {
          setSync({ ...IDLE, error: toErrorPayload(caught) });
        }
      }
    };

    const open = async () => {
      setList((previous) => (previous.kind === "loaded" ? previous : { kind: "loading" }));
      let cached;
      try {
        cached = await readCache(current);
      } catch (caught) {
        if (current === generation.current) {
          setList({ kind: "failed", error: toErrorPayload(caught) });
        }
        return;
      }
      if (current !== generation.current) {
        return;
      }
      if (cached.syncing) {
        setSync({ running: true, mode: null, listed: null, error: null });
        timer = setTimeout(() => void follow(), SYNC_POLL_MS);
        return;
      }
      const mode = chooseSyncMode(cached.lastSync, memory.lastFullSync(account), Date.now());
      await runSync(mode, current);
    };

    void open();
    return () => {
      generation.current += 1;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  }, [enabled, account, attempt, memory, readCache, runSync]);

  const setVideos = useCallback((update: SetStateAction<VideoRow[]>) => {
    setList((previous) => {
      if (previous.kind !== "loaded") {
        return previous;
      }
      const videos = typeof update === "function" ? update(previous.videos) : update;
      return videos === previous.videos ? previous : { ...previous, videos };
    });
  }, []);

  const startSync = useCallback(
    (mode: SyncMode) => void runSync(mode, generation.current),
    [runSync],
  );

  const acknowledge = useCallback(async () => {
    await backend.acknowledgeChanges();
    await readCache(generation.current);
  }, [backend, readCache]);

  const reopen = useCallback(() => setAttempt((value) => value + 1), []);

  return { list, sync, setVideos, reopen, startSync, acknowledge };
}
