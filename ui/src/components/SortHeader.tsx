// A column header that sorts its table: a button inside the <th>, with aria-sort on the
// column that sorts the rows now.
import type { SortDirection, SortOrder } from "./sorting";

type Props<K extends string> = {
  label: string;
  sortKey: K;
  order: SortOrder<K>;
  onSort: (key: K) => void;
  className?: string;
};

const ARROWS: Record<SortDirection, string> = { ascending: "▲", descending: "▼" };

export function SortHeader<K extends string>({
  label,
  sortKey,
  order,
  onSort,
  className,
}: Props<K>) {
  const active = order.key === sortKey;
  return (
    <th scope="col" className={className} aria-sort={active ? order.direction : "none"}>
      <button
        type="button"
        className="sort-button"
        data-testid={`sort-${sortKey}`}
        onClick={() => onSort(sortKey)}
      >
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {active ? ARROWS[order.direction] : ""}
        </span>
      </button>
    </th>
  );
}

/** A spacer row with the height of the rows that a virtualized table does not render. */
export function SpacerRow({ height, columns }: { height: number; columns: number }) {
  if (height <= 0) {
    return null;
  }
  return (
    <tr className="spacer-row" aria-hidden="true" style={{ height }}>
      <td colSpan={columns} />
    </tr>
  );
}
