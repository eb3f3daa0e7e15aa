// The table of offline items with Play, Reveal, Delete and a drag handle per row.
import type { MouseEvent } from "react";

import type { FileCheck } from "../backend/backend";
import type { LibraryEntry } from "../backend/types";
import { formatBytes, formatDateTime, formatDownloadType } from "../format/format";

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

type Props = {
  entries: LibraryEntry[];
  checks: ReadonlyMap<number, FileCheck>;
  playingId: number | null;
  onPlay: (entry: LibraryEntry) => void;
  onReveal: (entry: LibraryEntry) => void;
  onDelete: (entry: LibraryEntry) => void;
  onDragOut: (entry: LibraryEntry) => void;
};

export function LibraryTable({
  entries,
  checks,
  playingId,
  onPlay,
  onReveal,
  onDelete,
  onDragOut,
}: Props) {
  function startDrag(event: MouseEvent, entry: LibraryEntry) {
    // The drag plugin needs the primary button still held, so it starts on mousedown.
    if (event.button !== 0) {
      return;
    }
    event.preventDefault();
    onDragOut(entry);
  }

  return (
    <table className="data-table">
      <caption className="visually-hidden">Offline library</caption>
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">Drag</span>
          </th>
          <th scope="col">Title</th>
          <th scope="col">Type</th>
          <th scope="col" className="numeric">
            Size
          </th>
          <th scope="col">Added</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => {
          const check = checks.get(entry.id);
          const warning = describeFileCheck(check);
          const missing = check?.state === "missing";

          return (
            <tr
              key={entry.id}
              data-testid="library-row"
              data-uid={entry.uid}
              aria-current={playingId === entry.id ? "true" : undefined}
            >
              <td className="drag-cell">
                {!missing && (
                  // Dragging has no keyboard equivalent in the drag plugin; Reveal is the
                  // keyboard path to the same file, so the handle stays out of the tab order.
                  <span
                    className="drag-handle"
                    data-testid="drag-out"
                    title="Drag the file to another app"
                    aria-hidden="true"
                    onMouseDown={(event) => startDrag(event, entry)}
                  >
                    ⠿
                  </span>
                )}
              </td>
              <th scope="row" className="name-cell">
                <span className="video-name">{entry.title}</span>
                {warning !== null && (
                  <span
                    className="badge badge-warning"
                    data-testid="missing"
                    data-reason={check?.state}
                  >
                    {warning}
                  </span>
                )}
                <span className="creator" title={entry.path}>
                  {entry.fileName}
                </span>
              </th>
              <td>{formatDownloadType(entry.downloadType)}</td>
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
        })}
      </tbody>
    </table>
  );
}
