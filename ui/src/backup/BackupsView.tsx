// The backups screen: every bulk backup with its counts and progress, and for the chosen one
// the per-video states, Pause all and Resume all, Cancel, the manifest export and the restore
// step. Running backups are polled about once a second.
import { useCallback, useEffect, useRef, useState } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { BackupProgress, ErrorPayload } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { useViewCommand } from "../shell/viewCommands";
import { BackupDetails } from "./BackupDetails";
import { BackupList } from "./BackupList";

/** Delay between two progress requests while a backup runs. */
export const BACKUP_POLL_MS = 1000;

/** Returns true while a backup still changes: running or restoring the account. */
export function isBackupLive(backup: BackupProgress): boolean {
  return backup.state === "running" || backup.state === "restoring";
}

type LoadState =
  | { kind: "loading" }
  | { kind: "loaded"; backups: BackupProgress[] }
  | { kind: "failed"; error: ErrorPayload };

type Props = {
  /** The backup to show first, such as one just started. Unless set, the newest one. */
  initialId?: number | null;
};

export function BackupsView({ initialId = null }: Props) {
  const backend = useBackend();
  const [load, setLoad] = useState<LoadState>({ kind: "loading" });
  const [selectedId, setSelectedId] = useState<number | null>(initialId);
  const [pollError, setPollError] = useState<ErrorPayload | null>(null);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const refresh = useCallback(async () => {
    try {
      const backups = await backend.listBackups();
      if (alive.current) {
        setLoad({ kind: "loaded", backups });
      }
    } catch (caught) {
      if (alive.current) {
        setLoad({ kind: "failed", error: toErrorPayload(caught) });
      }
    }
  }, [backend]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useViewCommand("refresh", () => void refresh());

  /** Replaces one backup in the list with a newer state of it. */
  const replace = useCallback((next: BackupProgress) => {
    setLoad((previous) =>
      previous.kind === "loaded"
        ? {
            kind: "loaded",
            backups: previous.backups.map((backup) => (backup.id === next.id ? next : backup)),
          }
        : previous,
    );
  }, []);

  const reload = useCallback(
    async (id: number) => {
      const next = await backend.backupProgress(id);
      if (alive.current) {
        replace(next);
      }
    },
    [backend, replace],
  );

  // Polls every live backup, one request each, until none is live. Each tick schedules the
  // next one once its requests have settled. A failed request shows its error until one works.
  const [tick, setTick] = useState(0);
  const liveIds =
    load.kind === "loaded"
      ? load.backups
          .filter(isBackupLive)
          .map((backup) => backup.id)
          .join(",")
      : "";
  useEffect(() => {
    if (liveIds === "") {
      return;
    }
    const timer = setTimeout(() => {
      const ids = liveIds.split(",").map(Number);
      Promise.all(ids.map((id) => reload(id)))
        .then(() => {
          if (alive.current) {
            setPollError(null);
          }
        })
        .catch((caught: unknown) => {
          if (alive.current) {
            setPollError(toErrorPayload(caught));
          }
        })
        .finally(() => {
          if (alive.current) {
            setTick((value) => value + 1);
          }
        });
    }, BACKUP_POLL_MS);
    return () => clearTimeout(timer);
  }, [liveIds, tick, reload]);

  const backups = load.kind === "loaded" ? load.backups : [];
  const selected = backups.find((backup) => backup.id === selectedId) ?? backups[0] ?? null;

  return (
    <main className="view" aria-labelledby="view-heading">
      <h1 id="view-heading" tabIndex={-1}>
        Backups
      </h1>

      {load.kind === "loading" && (
        <p className="loading" role="status">
          Loading the backups…
        </p>
      )}
      {load.kind === "failed" && (
        <ErrorMessage
          title="Could not load the backups"
          error={load.error}
          onRetry={() => void refresh()}
        />
      )}
      {pollError !== null && (
        <ErrorMessage title="Could not update the backup progress" error={pollError} />
      )}

      {load.kind === "loaded" && backups.length === 0 && (
        <p className="empty">
          No backups yet. Select videos on the Videos screen and choose “Back up…”.
        </p>
      )}

      {selected !== null && (
        <div className="backups-layout">
          <BackupList backups={backups} selectedId={selected.id} onSelect={setSelectedId} />
          <BackupDetails key={selected.id} backup={selected} onReload={reload} />
        </div>
      )}
    </main>
  );
}
