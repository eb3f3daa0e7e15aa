// The table of offline items with a thumbnail, Play, Reveal, Delete and a drag handle per row.
// Only the rows in view are in the DOM (see useVirtualRows), so every row has the same height,
// set by ROW_HEIGHT_PX here and `.library-table tr.data-row` in styles.css.
import { memo, type MouseEvent } from "react";

import type { FileCheck } from "../backend/backend";
import type { LibraryEntry } from "../backend/types";
import { SortHeader, SpacerRow } from "../components/SortHeader";
import type { SortOrder } from "../components/sorting";
import { useVirtualRows } from "../components/useVirtualRows";
import { formatBytes, formatDateTime, formatDownloadType, formatDuration } from "../format/format";
import type { LibrarySortKey } from "./filters";

/** Height of one row in pixels, which styles.css also gives `.library-table tr.data-row`. */
export const ROW_HEIGHT_PX = 64;

const COLUMNS = 8;

/** Returns the warning for a file that no longer matches the catalog, or null when it does. */
export function describeFileCheck(check: FileCheck | undefined): string | null {
  switch (check?.state) {
    case "missing":
      return "Missing — removed outside Offstream";
    case "size-mismatch":
      return `Changed — the file is ${formatBytes(check.actualBytes)}, the catalog expects another size`;
    default:
      return null;
  }
}

type RowActions = {
  onPlay: (entry: LibraryEntry) => void;
  onReveal: (entry: LibraryEntry) => void;
  onDelete: (entry: LibraryEntry) => void;
  onDragOut: (entry: LibraryEntry) => void;
};

type RowProps = RowActions & {
  entry: LibraryEntry;
  index: number;
  check: FileCheck | undefined;
  playing: boolean;
};

const LibraryTableRow = memo(function LibraryTableRow({
  entry,
  index,
  check,
  playing,
  onPlay,
  onReveal,
  onDelete,
  onDragOut,
}: RowProps) {
  const warning = describeFileCheck(check);
  const missing = check?.state === "missing";

  function startDrag(event: MouseEvent) {
    // The drag plugin needs the primary button still held, so it starts on mousedown.
    if (event.button !== 0) {
      return;
    }
    event.preventDefault();
    onDragOut(entry);
  }

  return (
    <tr
      className="data-row"
      data-testid="library-row"
      data-uid={entry.uid}
      aria-rowindex={index + 2}
      aria-current={playing ? "true" : undefined}
    >
      <td className="drag-cell">
        {!missing && (
          // Dragging has no keyboard equivalent in the drag plugin; Reveal is the keyboard
          // path to the same file, so the handle stays out of the tab order.
          <span
            className="drag-handle"
            data-testid="drag-out"
            title="Drag the file to another app"
            aria-hidden="true"
            onMouseDown={startDrag}
          >
            ⠿
          </span>
        )}
      </td>
      <td className="thumb-cell">
        {entry.thumbnailUrl === null ? (
          <span className="thumb thumb-placeholder" data-testid="thumbnail" aria-hidden="true" />
        ) : (
          <img
            className="thumb"
            data-testid="thumbnail"
            src={entry.thumbnailUrl}
            alt=""
            width={80}
            height={45}
            loading="lazy"
            decoding="async"
          />
        )}
      </td>
      <th scope="row" className="name-cell">
        <span className="video-name" title={entry.title}>
          {entry.title}
        </span>
        <span className="row-meta">
          {warning !== null && (
            <span className="badge badge-warning" data-testid="missing" data-reason={check?.state}>
              {warning}
            </span>
          )}
          {entry.captions.length > 0 && (
            <span
              className="badge badge-private"
              data-testid="captions-badge"
              title={entry.captions.map((caption) => caption.label || caption.language).join(", ")}
            >
              CC
              <span className="visually-hidden">
                {" "}
                captions:{" "}
                {entry.captions.map((caption) => caption.label || caption.language).join(", ")}
              </span>
            </span>
          )}
          {entry.creator !== null && <span className="creator">{entry.creator}</span>}
          <span className="creator" title={entry.path}>
            {entry.fileName}
          </span>
        </span>
      </th>
      <td>{formatDownloadType(entry.downloadType)}</td>
      <td className="numeric">{formatDuration(entry.duration)}</td>
      <td className="numeric">{formatBytes(entry.bytes)}</td>
      <td>
        <time dateTime={entry.addedAt}>{formatDateTime(entry.addedAt)}</time>
      </td>
      <td className="actions-cell">
        <button
          type="button"
          className="primary"
          data-testid="play"
          disabled={missing}
          title={missing ? "The file is missing." : undefined}
          aria-label={`Play ${entry.title}`}
          onClick={() => onPlay(entry)}
        >
          Play
        </button>
        <button
          type="button"
          data-testid="reveal"
          disabled={missing}
          aria-label={`Show ${entry.title} in the file manager`}
          onClick={() => onReveal(entry)}
        >
          Reveal in file manager
        </button>
        <button
          type="button"
          className="danger"
          data-testid="delete"
          aria-label={`Delete ${entry.title}`}
          onClick={() => onDelete(entry)}
        >
          Delete
        </button>
      </td>
    </tr>
  );
});

type Props = RowActions & {
  entries: LibraryEntry[];
  checks: ReadonlyMap<number, FileCheck>;
  playingId: number | null;
  order: SortOrder<LibrarySortKey>;
  /** Changes whenever the rows are filtered or sorted anew, which scrolls back to the top. */
  resetKey: unknown;
  onSort: (key: LibrarySortKey) => void;
};

export function LibraryTable({
  entries,
  checks,
  playingId,
  order,
  resetKey,
  onSort,
  ...actions
}: Props) {
  const rows = useVirtualRows(entries.length, ROW_HEIGHT_PX, resetKey);

  return (
    <div
      className="table-scroll"
      ref={rows.scrollRef}
      onScroll={rows.onScroll}
      data-testid="library-scroll"
    >
      <table className="data-table library-table" aria-rowcount={entries.length + 1}>
        <caption className="visually-hidden">Offline library</caption>
        <colgroup>
          <col className="col-drag" />
          <col className="col-thumb" />
          <col />
          <col className="col-type" />
          <col className="col-duration" />
          <col className="col-size" />
          <col className="col-date" />
          <col className="col-library-actions" />
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">
              <span className="visually-hidden">Drag</span>
            </th>
            <th scope="col">
              <span className="visually-hidden">Thumbnail</span>
            </th>
            <SortHeader label="Title" sortKey="title" order={order} onSort={onSort} />
            <SortHeader label="Type" sortKey="type" order={order} onSort={onSort} />
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
            <SortHeader label="Added" sortKey="added" order={order} onSort={onSort} />
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          <SpacerRow height={rows.paddingTop} columns={COLUMNS} />
          {entries.slice(rows.start, rows.end).map((entry, offset) => (
            <LibraryTableRow
              key={entry.id}
              entry={entry}
              index={rows.start + offset}
              check={checks.get(entry.id)}
              playing={playingId === entry.id}
              {...actions}
            />
          ))}
          <SpacerRow height={rows.paddingBottom} columns={COLUMNS} />
        </tbody>
      </table>
    </div>
  );
}
