// One backup in detail: its counts and progress, Pause all and Resume all, Cancel, the
// manifest export, the restore step and the per-video states.
import { useState } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { BackupProgress, ErrorPayload, ManifestFormat, RestoreReport } from "../backend/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatCount, formatCountOf, formatDownloadType } from "../format/format";
import { BackupItems } from "./BackupItems";
import { describeCounts, endedCount } from "./BackupList";
import { describeBackupState } from "./describe";

/** Describes what a restore step did. */
export function describeRestore(report: RestoreReport): string {
  const parts = [`Deleted ${formatCountOf(report.deleted, "download")} on Cloudflare`];
  if (report.kept > 0) {
    parts.push(`kept ${formatCount(report.kept)} that existed before the backup`);
  }
  if (report.failed > 0) {
    parts.push(`${formatCount(report.failed)} could not be deleted (see the videos below)`);
  }
  return `${parts.join("; ")}.`;
}

type ActionError = { title: string; error: ErrorPayload };

type Props = {
  backup: BackupProgress;
  /** Fetches the backup's progress again after an action. */
  onReload: (id: number) => Promise<void>;
};

export function BackupDetails({ backup, onReload }: Props) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ActionError | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [restoreReport, setRestoreReport] = useState<RestoreReport | null>(null);
  const [confirming, setConfirming] = useState<"cancel" | "restore" | null>(null);

  /** Runs one action, shows its error, and reloads the backup afterwards. */
  async function run<T>(failureTitle: string, action: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setActionError(null);
    try {
      return await action();
    } catch (caught) {
      setActionError({ title: failureTitle, error: toErrorPayload(caught) });
      return undefined;
    } finally {
      setBusy(false);
      await onReload(backup.id).catch(() => {});
    }
  }

  async function exportManifest(format: ManifestFormat) {
    setExported(null);
    const label = format.toUpperCase();
    await run(`Could not export the ${label} manifest`, async () => {
      const path = await backend.chooseManifestPath(
        `offstream-backup-${backup.id}.${format}`,
        format,
      );
      if (path === null) {
        return;
      }
      const rows = await backend.exportManifest(backup.id, format, path);
      setExported(`Wrote ${formatCountOf(rows, "row")} to ${path}.`);
    });
  }

  async function restore() {
    setConfirming(null);
    const report = await run("Could not restore the account", () =>
      backend.restoreAccount(backup.id),
    );
    if (report !== undefined) {
      setRestoreReport(report);
    }
  }

  async function cancel() {
    setConfirming(null);
    await run("Could not cancel the backup", () => backend.cancelBackup(backup.id));
  }

  const live = backup.state === "running" || backup.state === "restoring";
  const pausable = backup.items.some(
    (item) => item.outcome === "queued" || item.outcome === "running",
  );
  const resumable = backup.items.some((item) => item.outcome === "paused");
  const offerRestore =
    !backup.restoreAccount &&
    backup.state !== "running" &&
    backup.done > 0 &&
    restoreReport === null;

  return (
    <section
      className="backup-details panel"
      aria-labelledby="backup-heading"
      data-testid="backup-details"
      data-id={backup.id}
    >
      <div className="section-head">
        <h2 id="backup-heading">
          Backup {backup.id}{" "}
          <span className="job-type">{formatDownloadType(backup.downloadType)}</span>
        </h2>
        <p className="backup-state" data-testid="backup-state" data-state={backup.state}>
          {describeBackupState(backup.state)}
        </p>
      </div>

      <progress
        value={endedCount(backup)}
        max={Math.max(1, backup.total)}
        aria-label={`Progress of backup ${backup.id}`}
        data-testid="backup-progress"
      />
      <p data-testid="backup-counts" role="status">
        {formatCount(endedCount(backup))} of {formatCountOf(backup.total, "video")} ended:{" "}
        {describeCounts(backup)}.
      </p>

      {backup.restoreAccount && (
        <p className="help" data-testid="backup-restore-state">
          {backup.state === "restoring"
            ? "Deleting the downloads this backup enabled on Cloudflare…"
            : backup.state === "done"
              ? `Account restored: ${formatCountOf(backup.restored, "download")} deleted on Cloudflare.`
              : "The downloads this backup enables on Cloudflare are deleted once it ends."}
        </p>
      )}
      {restoreReport !== null && (
        <p role="status" data-testid="restore-result">
          {describeRestore(restoreReport)}
        </p>
      )}

      <div className="actions">
        {live && pausable && (
          <button
            type="button"
            data-testid="backup-pause-all"
            disabled={busy}
            onClick={() =>
              void run("Could not pause the downloads", () => backend.pauseAllDownloads())
            }
          >
            Pause all
          </button>
        )}
        {live && resumable && (
          <button
            type="button"
            data-testid="backup-resume-all"
            disabled={busy}
            onClick={() =>
              void run("Could not resume the downloads", () => backend.resumeAllDownloads())
            }
          >
            Resume all
          </button>
        )}
        {backup.state === "running" && (
          <button
            type="button"
            className="danger"
            data-testid="cancel-backup"
            disabled={busy}
            onClick={() => setConfirming("cancel")}
          >
            Cancel backup
          </button>
        )}
        <button
          type="button"
          data-testid="export-json"
          disabled={busy}
          onClick={() => void exportManifest("json")}
        >
          Export manifest (JSON)
        </button>
        <button
          type="button"
          data-testid="export-csv"
          disabled={busy}
          onClick={() => void exportManifest("csv")}
        >
          Export manifest (CSV)
        </button>
        {offerRestore && (
          <button
            type="button"
            data-testid="restore-account"
            disabled={busy}
            onClick={() => setConfirming("restore")}
          >
            Restore the account…
          </button>
        )}
      </div>
      <p className="help">
        Pause all and Resume all act on every download, including the ones outside this backup. The
        manifest lists each video of the backup that is in the library, with its path, size and
        SHA-256.
      </p>

      {exported !== null && (
        <p role="status" data-testid="export-result">
          {exported}
        </p>
      )}
      {actionError !== null && <ErrorMessage title={actionError.title} error={actionError.error} />}

      <BackupItems items={backup.items} />

      {confirming === "cancel" && (
        <ConfirmDialog
          title="Cancel this backup?"
          confirmLabel="Cancel backup"
          cancelLabel="Keep running"
          confirmTestId="confirm-cancel-backup"
          onConfirm={() => void cancel()}
          onCancel={() => setConfirming(null)}
        >
          <p>
            The {formatCountOf(backup.active, "video")} not yet downloaded will not be. Files
            already in the library stay.
          </p>
        </ConfirmDialog>
      )}
      {confirming === "restore" && (
        <ConfirmDialog
          title="Restore the account?"
          confirmLabel="Delete downloads"
          confirmTestId="confirm-restore-account"
          onConfirm={() => void restore()}
          onCancel={() => setConfirming(null)}
        >
          <p>
            Deletes on Cloudflare the downloads this backup enabled. Downloads that existed before
            the backup, and the files in your library, stay.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
