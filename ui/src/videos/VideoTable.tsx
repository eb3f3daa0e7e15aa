// The table of the account's videos: a checkbox, a thumbnail, the sync's marks, the offline
// marks and the download buttons per row. Only the rows in view are in the DOM (see useVirtualRows), so every row has
// the same height, set by ROW_HEIGHT_PX here and `.video-table tr.data-row` in styles.css.
// The arrow keys move between rows (see useRowFocus), Space selects the focused row and Enter
// makes its video available offline.
import {
  memo,
  useCallback,
  useEffect,
  useImperativeHandle,
  useRef,
  type ChangeEvent,
  type RefObject,
} from "react";

import type { DownloadType, JobPhase, VideoRow } from "../backend/types";
import { SortHeader, SpacerRow } from "../components/SortHeader";
import type { SortOrder } from "../components/sorting";
import { ROW_INDEX_ATTRIBUTE, useRowFocus, type RowFocusHandle } from "../components/useRowFocus";
import { useVirtualRows } from "../components/useVirtualRows";
import { formatBytes, formatDate, formatDuration } from "../format/format";
import { isActivePhase, phaseKey, type PhaseIndex } from "../jobs/store";
import type { VideoSortKey } from "./filters";

/** Height of one row in pixels, which styles.css also gives `.video-table tr.data-row`. */
export const ROW_HEIGHT_PX = 64;

const COLUMNS = 8;

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
  if (video.removed) {
    return {
      disabled: true,
      reason: "Deleted on Cloudflare, so it can no longer be downloaded.",
    };
  }
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

/** Renders the sync's mark of a row: New, Renamed (with the previous name) or Removed from Stream. */
function ChangeMarks({ video }: { video: VideoRow }) {
  if (video.removed) {
    return (
      <>
        <span
          className="badge badge-removed"
          data-testid="change-mark"
          data-change="removed"
          title="The last sync no longer found this video on Cloudflare Stream."
        >
          Removed from Stream
        </span>
        {video.offline.length > 0 && (
          <span
            className="badge badge-warning"
            data-testid="only-copy"
            title="The video was deleted on Cloudflare, so the file in your library is now the only copy."
          >
            Only copy is offline
          </span>
        )}
      </>
    );
  }
  if (video.change === "new") {
    return (
      <span
        className="badge badge-new"
        data-testid="change-mark"
        data-change="new"
        title="Uploaded since an earlier sync."
      >
        New
      </span>
    );
  }
  if (video.change === "renamed") {
    const previous = video.previousName ?? "an unknown name";
    return (
      <span
        className="badge badge-renamed"
        data-testid="change-mark"
        data-change="renamed"
        title={`Previously “${previous}”`}
      >
        Renamed<span className="visually-hidden">, previously “{previous}”</span>
      </span>
    );
  }
  return null;
}

function Thumbnail({ url }: { url: string | null }) {
  if (url === null) {
    return <span className="thumb thumb-placeholder" data-testid="thumbnail" aria-hidden="true" />;
  }
  return (
    <img
      className="thumb"
      data-testid="thumbnail"
      src={url}
      alt=""
      width={80}
      height={45}
      loading="lazy"
      decoding="async"
    />
  );
}

type RowProps = {
  video: VideoRow;
  index: number;
  /** True for the one row in the tab order; the other rows' controls leave it too. */
  tabbable: boolean;
  picked: boolean;
  videoPhase: JobPhase | undefined;
  audioPhase: JobPhase | undefined;
  onPick: (index: number, picked: boolean, range: boolean) => void;
  onDownload: (video: VideoRow, downloadType: DownloadType) => void;
};

const VideoTableRow = memo(function VideoTableRow({
  video,
  index,
  tabbable,
  picked,
  videoPhase,
  audioPhase,
  onPick,
  onDownload,
}: RowProps) {
  const videoOffline = video.offline.includes("default");
  const audioOffline = video.offline.includes("audio");
  const videoAvailability = downloadAvailability(video, "default", videoPhase);
  const audioAvailability = downloadAvailability(video, "audio", audioPhase);

  function onPickChange(event: ChangeEvent<HTMLInputElement>) {
    // React reports a checkbox change from the click event, whose shiftKey is set while Shift is held.
    const range = (event.nativeEvent as MouseEvent).shiftKey === true;
    onPick(index, event.target.checked, range);
  }

  const tabIndex = tabbable ? 0 : -1;

  return (
    <tr
      className="data-row"
      data-testid="video-row"
      data-uid={video.uid}
      aria-rowindex={index + 2}
      aria-label={video.name}
      tabIndex={tabIndex}
      {...{ [ROW_INDEX_ATTRIBUTE]: index }}
    >
      <td className="select-cell">
        <input
          type="checkbox"
          data-testid="select-video"
          tabIndex={tabIndex}
          aria-label={`Select ${video.name}`}
          checked={picked}
          onChange={onPickChange}
        />
      </td>
      <td className="thumb-cell">
        <Thumbnail url={video.thumbnailUrl} />
      </td>
      <th scope="row" className="name-cell">
        <span className="video-name" title={video.name}>
          {video.name}
        </span>
        <span className="row-meta">
          <ChangeMarks video={video} />
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
          {video.requireSignedUrls && (
            <span
              className="badge badge-private"
              data-testid="private-badge"
              title="Requires signed URLs: playback and downloads need a signed token."
            >
              Private
            </span>
          )}
          {video.liveInput && (
            <span className="badge badge-private" title="The recording of a live stream.">
              Live recording
            </span>
          )}
          {video.creator !== null && <span className="creator">{video.creator}</span>}
        </span>
      </th>
      <td className="numeric">{formatDuration(video.durationSeconds)}</td>
      <td className="numeric">{formatBytes(video.sizeBytes)}</td>
      <td>
        <time dateTime={video.created}>{formatDate(video.created)}</time>
      </td>
      <td>{formatVideoState(video.state)}</td>
      <td className="actions-cell">
        <button
          type="button"
          className="primary"
          data-testid="make-offline"
          tabIndex={tabIndex}
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
          tabIndex={tabIndex}
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

/** Renders the header checkbox, which is mixed while only some rows are picked. */
function PickAllBox({
  count,
  pickedCount,
  onPickAll,
}: {
  count: number;
  pickedCount: number;
  onPickAll: (picked: boolean) => void;
}) {
  const box = useRef<HTMLInputElement>(null);
  const all = count > 0 && pickedCount === count;
  const some = pickedCount > 0 && !all;

  useEffect(() => {
    if (box.current !== null) {
      box.current.indeterminate = some;
    }
  }, [some]);

  return (
    <input
      ref={box}
      type="checkbox"
      data-testid="select-all"
      aria-label={`Select all ${count} videos shown`}
      checked={all}
      onChange={() => onPickAll(!all)}
    />
  );
}

type Props = {
  videos: VideoRow[];
  phases: PhaseIndex;
  order: SortOrder<VideoSortKey>;
  /** Changes whenever the rows are filtered or sorted anew, which scrolls back to the top. */
  resetKey: unknown;
  picked: ReadonlySet<string>;
  /** Rows of `videos` that are picked. */
  pickedShown: number;
  onSort: (key: VideoSortKey) => void;
  onPick: (index: number, picked: boolean, range: boolean) => void;
  onPickAll: (picked: boolean) => void;
  onDownload: (video: VideoRow, downloadType: DownloadType) => void;
  rowFocusRef?: RefObject<RowFocusHandle | null>;
};

export function VideoTable({
  videos,
  phases,
  order,
  resetKey,
  picked,
  pickedShown,
  onSort,
  onPick,
  onPickAll,
  onDownload,
  rowFocusRef,
}: Props) {
  const rows = useVirtualRows(videos.length, ROW_HEIGHT_PX, resetKey);

  const onActivate = useCallback(
    (index: number) => {
      const video = videos[index];
      if (video === undefined) {
        return;
      }
      const phase = phases.get(phaseKey(video.uid, "default"));
      if (!downloadAvailability(video, "default", phase).disabled) {
        onDownload(video, "default");
      }
    },
    [videos, phases, onDownload],
  );
  const onToggle = useCallback(
    (index: number, range: boolean) => {
      const video = videos[index];
      if (video !== undefined) {
        onPick(index, !picked.has(video.uid), range);
      }
    },
    [videos, picked, onPick],
  );
  const focus = useRowFocus({ count: videos.length, rows, resetKey, onActivate, onToggle });
  useImperativeHandle(
    rowFocusRef,
    () => ({ focusCurrentRow: () => focus.focusRow(focus.tabRow) }),
    [focus],
  );

  return (
    <div
      className="table-scroll"
      ref={rows.scrollRef}
      onScroll={rows.onScroll}
      data-testid="video-scroll"
    >
      <table className="data-table video-table" aria-rowcount={videos.length + 1}>
        <caption className="visually-hidden">Videos in the account</caption>
        <colgroup>
          <col className="col-select" />
          <col className="col-thumb" />
          <col />
          <col className="col-duration" />
          <col className="col-size" />
          <col className="col-date" />
          <col className="col-state" />
          <col className="col-actions" />
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col" className="select-cell">
              <PickAllBox count={videos.length} pickedCount={pickedShown} onPickAll={onPickAll} />
            </th>
            <th scope="col">
              <span className="visually-hidden">Thumbnail</span>
            </th>
            <SortHeader label="Name" sortKey="name" order={order} onSort={onSort} />
            <SortHeader
              label="Duration"
              sortKey="duration"
              order={order}
              onSort={onSort}
              className="numeric"
            />
            <SortHeader
              label="Size"
              sortKey="size"
              order={order}
              onSort={onSort}
              className="numeric"
            />
            <SortHeader label="Uploaded" sortKey="created" order={order} onSort={onSort} />
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody ref={focus.bodyRef} onKeyDown={focus.onKeyDown} onFocus={focus.onFocus}>
          <SpacerRow height={rows.paddingTop} columns={COLUMNS} />
          {videos.slice(rows.start, rows.end).map((video, offset) => (
            <VideoTableRow
              key={video.uid}
              video={video}
              index={rows.start + offset}
              tabbable={rows.start + offset === focus.tabRow}
              picked={picked.has(video.uid)}
              videoPhase={phases.get(phaseKey(video.uid, "default"))}
              audioPhase={phases.get(phaseKey(video.uid, "audio"))}
              onPick={onPick}
              onDownload={onDownload}
            />
          ))}
          <SpacerRow height={rows.paddingBottom} columns={COLUMNS} />
        </tbody>
      </table>
    </div>
  );
}
