// The status line of the videos list: when the mirror was last synced, a sync that runs now,
// the counts of the marks the sync left (New, Renamed, Removed from Stream), "Mark as seen"
// and Refresh, which runs a full sync.
import type { ErrorPayload, SyncSummary, VideoRow } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatCount, formatCountOf, formatDateTime } from "../format/format";
import type { SyncState } from "./useVideoList";

export type MarkCounts = { added: number; renamed: number; removed: number };

/** Counts the rows that carry each change mark. */
export function countMarks(videos: VideoRow[]): MarkCounts {
  const counts = { added: 0, renamed: 0, removed: 0 };
  for (const video of videos) {
    if (video.change === "new") {
      counts.added += 1;
    } else if (video.change === "renamed") {
      counts.renamed += 1;
    } else if (video.change === "removed") {
      counts.removed += 1;
    }
  }
  return counts;
}

/** Describes a sync that runs now. */
function describeRunning(sync: SyncState): string {
  if (sync.mode === null) {
    return "A sync started earlier is still running…";
  }
  const what = sync.mode === "full" ? "Syncing the whole video list" : "Checking for new videos";
  return sync.listed === null ? `${what}…` : `${what}… ${formatCount(sync.listed)} listed`;
}

/** Describes the last finished sync. */
function describeLast(lastSync: SyncSummary | null): string {
  if (lastSync === null) {
    return "Not synced yet.";
  }
  const mode = lastSync.mode === "full" ? "full sync" : "quick sync";
  return `Last synced ${formatDateTime(lastSync.finishedAt)} (${mode}, ${formatCountOf(lastSync.total, "video")}).`;
}

type Props = {
  lastSync: SyncSummary | null;
  sync: SyncState;
  marks: MarkCounts;
  acknowledgeError: ErrorPayload | null;
  onRefresh: () => void;
  onAcknowledge: () => void;
};

export function SyncStatus({
  lastSync,
  sync,
  marks,
  acknowledgeError,
  onRefresh,
  onAcknowledge,
}: Props) {
  const parts = [
    marks.added > 0 ? `${formatCount(marks.added)} new` : null,
    marks.renamed > 0 ? `${formatCount(marks.renamed)} renamed` : null,
    marks.removed > 0 ? `${formatCount(marks.removed)} removed from Stream` : null,
  ].filter((part) => part !== null);

  return (
    <div className="sync-status" data-testid="sync-status" data-syncing={sync.running}>
      <p role="status" className="sync-text">
        <span data-testid="sync-summary">
          {sync.running ? describeRunning(sync) : describeLast(lastSync)}
        </span>
        {parts.length > 0 && (
          <span className="sync-marks" data-testid="sync-marks">
            {" "}
            Changes: {parts.join(", ")}.
          </span>
        )}
      </p>
      <div className="actions">
        {parts.length > 0 && (
          <button
            type="button"
            className="link"
            data-testid="acknowledge-changes"
            onClick={onAcknowledge}
          >
            Mark as seen
          </button>
        )}
        <button
          type="button"
          data-testid="refresh-videos"
          disabled={sync.running}
          title="Reads the whole video list from Cloudflare, which also finds renamed and deleted videos."
          onClick={onRefresh}
        >
          {sync.running ? "Syncing…" : "Refresh"}
        </button>
      </div>
      {sync.error !== null && (
        <ErrorMessage
          title="Could not sync the video list"
          error={sync.error}
          onRetry={onRefresh}
        />
      )}
      {acknowledgeError !== null && (
        <ErrorMessage title="Could not clear the marks" error={acknowledgeError} />
      )}
    </div>
  );
}
