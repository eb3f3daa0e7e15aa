// The "Sort by" select of a list's filter bar, for lists whose column headers also sort.
import { parseSortValue, sortValue, type SortOrder } from "./sorting";

/** One choice of the select: an encoded order (see `sortValue`) and its label. */
export type SortOption = { value: string; label: string };

type Props<K extends string> = {
  id: string;
  testId: string;
  order: SortOrder<K>;
  keys: readonly K[];
  options: readonly SortOption[];
  onChange: (order: SortOrder<K>) => void;
};

export function SortSelect<K extends string>({
  id,
  testId,
  order,
  keys,
  options,
  onChange,
}: Props<K>) {
  return (
    <div className="filter">
      <label htmlFor={id}>Sort by</label>
      <select
        id={id}
        data-testid={testId}
        value={sortValue(order)}
        onChange={(event) => {
          const next = parseSortValue(event.target.value, keys);
          if (next !== null) {
            onChange(next);
          }
        }}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
