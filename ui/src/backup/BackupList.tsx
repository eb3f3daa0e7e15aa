// The list of backups, newest first, each with its counts and a progress bar.
import type { BackupProgress } from "../backend/types";
import { formatCount, formatCountOf, formatDownloadType } from "../format/format";
import { describeBackupState } from "./describe";

/** Returns how many videos of a backup have ended, whatever the outcome. */
export function endedCount(backup: BackupProgress): number {
  return backup.total - backup.active;
}

/** Returns the counts of a backup in one line, leaving out zeros after "done". */
export function describeCounts(backup: BackupProgress): string {
  const parts = [`${formatCount(backup.done)} done`];
  if (backup.failed > 0) {
    parts.push(`${formatCount(backup.failed)} failed`);
  }
  if (backup.skipped > 0) {
    parts.push(`${formatCount(backup.skipped)} skipped`);
  }
  if (backup.unavailable > 0) {
    parts.push(`${formatCount(backup.unavailable)} unavailable`);
  }
  if (backup.active > 0) {
    parts.push(`${formatCount(backup.active)} to go`);
  }
  return parts.join(", ");
}

type Props = {
  backups: BackupProgress[];
  selectedId: number;
  onSelect: (id: number) => void;
};

export function BackupList({ backups, selectedId, onSelect }: Props) {
  return (
    <nav className="backup-list panel" aria-label="Backups">
      <ul>
        {backups.map((backup) => (
          <li key={backup.id}>
            <button
              type="button"
              className="backup-card"
              data-testid="backup-card"
              data-id={backup.id}
              data-state={backup.state}
              aria-current={backup.id === selectedId ? "true" : undefined}
              onClick={() => onSelect(backup.id)}
            >
              <span className="backup-card-title">
                Backup {backup.id}{" "}
                <span className="job-type">{formatDownloadType(backup.downloadType)}</span>
              </span>
              <span className="backup-card-state">
                {describeBackupState(backup.state)}: {formatCountOf(backup.total, "video")}
              </span>
              <progress
                value={endedCount(backup)}
                max={Math.max(1, backup.total)}
                aria-label={`Progress of backup ${backup.id}`}
              />
              <span className="help">{describeCounts(backup)}</span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
