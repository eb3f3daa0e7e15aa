// Sorting shared by the videos, library and backup lists. Unknown values (null) always sort
// last, whichever the direction, so "longest first" does not open on videos without a duration.
export type SortDirection = "ascending" | "descending";

export type SortOrder<K extends string> = { key: K; direction: SortDirection };

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Returns a sorted copy of `rows`, in which rows with equal values keep their order. */
export function sortRows<T>(
  rows: readonly T[],
  value: (row: T) => string | number | null,
  direction: SortDirection,
): T[] {
  const sign = direction === "ascending" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const left = value(a);
    const right = value(b);
    if (left === null || right === null) {
      // Unknown values sort last in either direction.
      if (left === right) {
        return 0;
      }
      return left === null ? 1 : -1;
    }
    if (typeof left === "string" && typeof right === "string") {
      return sign * collator.compare(left, right);
    }
    return sign * (Number(left) - Number(right));
  });
}

/** Returns the order after a click on the header of `key`: the other direction, or a new key. */
export function toggleSort<K extends string>(
  current: SortOrder<K>,
  key: K,
  initial: SortDirection,
): SortOrder<K> {
  if (current.key !== key) {
    return { key, direction: initial };
  }
  return { key, direction: current.direction === "ascending" ? "descending" : "ascending" };
}

/** Encodes an order as the value of a sort select option, such as "created:descending". */
export function sortValue<K extends string>(order: SortOrder<K>): string {
  return `${order.key}:${order.direction}`;
}

/** Decodes a sort select value, or returns null for a key outside `keys`. */
export function parseSortValue<K extends string>(
  value: string,
  keys: readonly K[],
): SortOrder<K> | null {
  const [key, direction] = value.split(":");
  const known = keys.find((candidate) => candidate === key);
  if (known === undefined || (direction !== "ascending" && direction !== "descending")) {
    return null;
  }
  return { key: known, direction };
}
