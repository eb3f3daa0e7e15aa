// The per-video states of one backup as a virtualized table, with a filter by state.
import { useId, useMemo, useState } from "react";

import type { BackupItemStatus, BackupOutcome } from "../backend/types";
import { SpacerRow } from "../components/SortHeader";
import { useVirtualRows } from "../components/useVirtualRows";
import { formatCount } from "../format/format";
import { describeOutcome, describeReason } from "./describe";

/** Height of one row in pixels, which styles.css also gives `.backup-items tr.data-row`. */
export const ITEM_ROW_HEIGHT_PX = 40;

type OutcomeFilter = "all" | "active" | "done" | "failed" | "skipped" | "unavailable" | "cancelled";

const FILTERS: Array<{ value: OutcomeFilter; label: string }> = [
  { value: "all", label: "Every video" },
  { value: "active", label: "Waiting, downloading or paused" },
  { value: "done", label: "Done" },
  { value: "failed", label: "Failed" },
  { value: "skipped", label: "Skipped (already offline)" },
  { value: "unavailable", label: "Unavailable" },
  { value: "cancelled", label: "Cancelled" },
];

const ACTIVE: ReadonlySet<BackupOutcome> = new Set(["queued", "running", "paused"]);

/** Returns true when an item passes the filter. */
function passes(item: BackupItemStatus, filter: OutcomeFilter): boolean {
  if (filter === "all") {
    return true;
  }
  if (filter === "active") {
    return ACTIVE.has(item.outcome);
  }
  return item.outcome === filter;
}

/** Returns the detail shown next to an item's state: its reason, error or restore step. */
export function describeItem(item: BackupItemStatus): string {
  if (item.error !== null) {
    return item.error.message;
  }
  if (item.reason !== null) {
    return describeReason(item.reason);
  }
  if (item.downloadDeleted) {
    return "Its download on Cloudflare was deleted again.";
  }
  return "";
}

export function BackupItems({ items }: { items: BackupItemStatus[] }) {
  const id = useId();
  const [filter, setFilter] = useState<OutcomeFilter>("all");
  const shown = useMemo(() => items.filter((item) => passes(item, filter)), [items, filter]);
  const rows = useVirtualRows(shown.length, ITEM_ROW_HEIGHT_PX, filter);

  return (
    <section className="backup-items-section" aria-labelledby={`${id}-heading`}>
      <div className="section-head">
        <h3 id={`${id}-heading`}>Videos</h3>
        <div className="filter">
          <label htmlFor={`${id}-filter`}>Show</label>
          <select
            id={`${id}-filter`}
            data-testid="backup-item-filter"
            value={filter}
            onChange={(event) => setFilter(event.target.value as OutcomeFilter)}
          >
            {FILTERS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {shown.length === 0 ? (
        <p className="empty">No video of this backup is in that state.</p>
      ) : (
        // The rows have no controls, so the scrolling box itself takes the focus, and the arrow
        // keys and Page Up and Page Down scroll it for keyboard users.
        <div
          className="table-scroll table-scroll-short"
          ref={rows.scrollRef}
          onScroll={rows.onScroll}
          data-testid="backup-item-scroll"
          tabIndex={0}
          role="region"
          aria-labelledby={`${id}-heading`}
        >
          <table className="data-table backup-items" aria-rowcount={shown.length + 1}>
            <caption className="visually-hidden">
              {formatCount(shown.length)} videos of the backup
            </caption>
            <thead>
              <tr aria-rowindex={1}>
                <th scope="col">Title</th>
                <th scope="col">State</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              <SpacerRow height={rows.paddingTop} columns={3} />
              {shown.slice(rows.start, rows.end).map((item, offset) => (
                <tr
                  key={item.uid}
                  className="data-row"
                  data-testid="backup-item"
                  data-uid={item.uid}
                  data-outcome={item.outcome}
                  aria-rowindex={rows.start + offset + 2}
                >
                  <th scope="row" className="name-cell" title={item.title}>
                    {item.title}
                  </th>
                  <td className={`outcome outcome-${item.outcome}`}>
                    {describeOutcome(item.outcome)}
                  </td>
                  <td className="detail-cell" title={describeItem(item)}>
                    {describeItem(item)}
                  </td>
                </tr>
              ))}
              <SpacerRow height={rows.paddingBottom} columns={3} />
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
