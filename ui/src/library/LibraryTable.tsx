// The table of offline items with a thumbnail, Play, Reveal, Delete and a drag handle per row.
// Only the rows in view are in the DOM (see useVirtualRows), so every row has the same height,
// set by ROW_HEIGHT_PX here and `.library-table tr.data-row` in styles.css. The arrow keys move
// between rows (see useRowFocus) and Enter plays the focused row.
import { memo, useCallback, useImperativeHandle, type MouseEvent, type RefObject } from "react";

import type { FileCheck } from "../backend/backend";
import type { LibraryEntry } from "../backend/types";
import { SortHeader, SpacerRow } from "../components/SortHeader";
import type { SortOrder } from "../components/sorting";
import { ROW_INDEX_ATTRIBUTE, useRowFocus, type RowFocusHandle } from "../components/useRowFocus";
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
  /** True for the one row in the tab order; the other rows' buttons leave it too. */
  tabbable: boolean;
  check: FileCheck | undefined;
  playing: boolean;
};

const LibraryTableRow = memo(function LibraryTableRow({
  entry,
  index,
  tabbable,
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

  const tabIndex = tabbable ? 0 : -1;

  return (
    <tr
      className="data-row"
      data-testid="library-row"
      data-uid={entry.uid}
      aria-rowindex={index + 2}
      aria-current={playing ? "true" : undefined}
      aria-label={`${entry.title}, ${formatDownloadType(entry.downloadType)}`}
      tabIndex={tabIndex}
      {...{ [ROW_INDEX_ATTRIBUTE]: index }}
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
          tabIndex={tabIndex}
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
          tabIndex={tabIndex}
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
          tabIndex={tabIndex}
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
  rowFocusRef?: RefObject<RowFocusHandle | null>;
};

export function LibraryTable({
  entries,
  checks,
  playingId,
  order,
  resetKey,
  onSort,
  rowFocusRef,
  ...actions
}: Props) {
  const rows = useVirtualRows(entries.length, ROW_HEIGHT_PX, resetKey);

  const { onPlay } = actions;
  const onActivate = useCallback(
    (index: number) => {
      const entry = entries[index];
      if (entry !== undefined && checks.get(entry.id)?.state !== "missing") {
        onPlay(entry);
      }
    },
    [entries, checks, onPlay],
  );
  const focus = useRowFocus({ count: entries.length, rows, resetKey, onActivate });
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
        <tbody ref={focus.bodyRef} onKeyDown={focus.onKeyDown} onFocus={focus.onFocus}>
          <SpacerRow height={rows.paddingTop} columns={COLUMNS} />
          {entries.slice(rows.start, rows.end).map((entry, offset) => (
            <LibraryTableRow
              key={entry.id}
              entry={entry}
              index={rows.start + offset}
              tabbable={rows.start + offset === focus.tabRow}
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
