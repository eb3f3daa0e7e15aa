// The table of the account's videos with a download button per row.
import { memo } from "react";

import type { DownloadType, JobPhase, VideoRow } from "../backend/types";
import { formatBytes, formatDate, formatDuration } from "../format/format";
import { isActivePhase, phaseKey, type PhaseIndex } from "../jobs/store";

const STATE_LABELS: Record<string, string> = {
  "pending-upload": "Waiting for upload",
  downloading: "Fetching source",
  queued: "Queued for encoding",
  inprogress: "Encoding",
  ready: "Ready",
  error: "Error",
  "live-inprogress": "Live",
};

/** Returns the label of a Stream processing state; unknown states show as the API names them. */
export function formatVideoState(state: string): string {
  return STATE_LABELS[state] ?? state;
}

type Availability = { disabled: boolean; reason: string | undefined };

/** Decides whether a download of one type can start, and if not, why. */
export function downloadAvailability(
  video: VideoRow,
  downloadType: DownloadType,
  phase: JobPhase | undefined,
): Availability {
  if (!video.readyToStream) {
    return {
      disabled: true,
      reason: `Not ready yet: Cloudflare is still processing this video (${formatVideoState(video.state)}).`,
    };
  }
  if (phase !== undefined && isActivePhase(phase)) {
    return { disabled: true, reason: "A download of this video is in progress." };
  }
  if (phase === "paused") {
    return {
      disabled: true,
      reason: "A download of this video is paused. Resume it in the Downloads panel.",
    };
  }
  if (video.offline.includes(downloadType)) {
    return { disabled: true, reason: "Already in the library. Delete it there to download again." };
  }
  return { disabled: false, reason: undefined };
}

type RowProps = {
  video: VideoRow;
  videoPhase: JobPhase | undefined;
  audioPhase: JobPhase | undefined;
  onDownload: (video: VideoRow, downloadType: DownloadType) => void;
};

const VideoTableRow = memo(function VideoTableRow({
  video,
  videoPhase,
  audioPhase,
  onDownload,
}: RowProps) {
  const videoOffline = video.offline.includes("default");
  const audioOffline = video.offline.includes("audio");
  const videoAvailability = downloadAvailability(video, "default", videoPhase);
  const audioAvailability = downloadAvailability(video, "audio", audioPhase);

  return (
    <tr data-testid="video-row" data-uid={video.uid}>
      <th scope="row" className="name-cell">
        <span className="video-name">{video.name}</span>
        {video.requireSignedUrls && (
          <span
            className="badge badge-private"
            data-testid="private-badge"
            title="Requires signed URLs: playback and downloads need a signed token."
          >
            Private
          </span>
        )}
        {video.creator !== null && <span className="creator">{video.creator}</span>}
      </th>
      <td className="numeric">{formatDuration(video.durationSeconds)}</td>
      <td className="numeric">{formatBytes(video.sizeBytes)}</td>
      <td>
        <time dateTime={video.created}>{formatDate(video.created)}</time>
      </td>
      <td>{formatVideoState(video.state)}</td>
      <td>
        {videoOffline && (
          <span className="badge badge-offline" data-testid="offline-mark">
            Offline
          </span>
        )}
        {audioOffline && (
          <span className="badge badge-offline" data-testid="offline-audio-mark">
            Audio offline
          </span>
        )}
      </td>
      <td className="actions-cell">
        <button
          type="button"
          className="primary"
          data-testid="make-offline"
          disabled={videoAvailability.disabled}
          title={videoAvailability.reason}
          aria-label={`Make ${video.name} available offline`}
          onClick={() => onDownload(video, "default")}
        >
          Make available offline
        </button>
        <button
          type="button"
          data-testid="make-offline-audio"
          disabled={audioAvailability.disabled}
          title={audioAvailability.reason ?? "Download only the audio track as M4A."}
          aria-label={`Make the audio of ${video.name} available offline`}
          onClick={() => onDownload(video, "audio")}
        >
          Audio only
        </button>
      </td>
    </tr>
  );
});

type Props = {
  videos: VideoRow[];
  phases: PhaseIndex;
  onDownload: (video: VideoRow, downloadType: DownloadType) => void;
};

export function VideoTable({ videos, phases, onDownload }: Props) {
  return (
    <table className="data-table">
      <caption className="visually-hidden">Videos in the account</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col" className="numeric">
            Duration
          </th>
          <th scope="col" className="numeric">
            Size
          </th>
          <th scope="col">Uploaded</th>
          <th scope="col">Status</th>
          <th scope="col">Offline</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {videos.map((video) => (
          <VideoTableRow
            key={video.uid}
            video={video}
            videoPhase={phases.get(phaseKey(video.uid, "default"))}
            audioPhase={phases.get(phaseKey(video.uid, "audio"))}
            onDownload={onDownload}
          />
        ))}
      </tbody>
    </table>
  );
}
