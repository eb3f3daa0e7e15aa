// Keyboard navigation for the rows of a virtualized table. One row is in the tab order (a
// roving tabindex), so Tab enters the list once, reaches that row's own controls, and then
// leaves the list. The arrow keys, Home, End, Page Up and Page Down move the focus between
// rows and scroll the list first, because a row outside the rendered window is not in the DOM.
// Enter runs the row's main action and Space toggles its selection while the row itself has
// the focus. On a button inside the row, those keys press the button as usual.
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type FocusEvent,
  type KeyboardEvent,
  type RefObject,
} from "react";

import type { VirtualRows } from "./useVirtualRows";

/** Attribute that carries a row's index in the whole list, starting at 0. */
export const ROW_INDEX_ATTRIBUTE = "data-row-index";

/** Lets a screen move the focus into its list, such as from the search field. */
export type RowFocusHandle = { focusCurrentRow: () => void };

export type RowFocus = {
  /** The ref of the table body that contains the rows. */
  bodyRef: RefObject<HTMLTableSectionElement | null>;
  /** Index of the row that is in the tab order. */
  tabRow: number;
  /** Key handler for the table body. */
  onKeyDown: (event: KeyboardEvent<HTMLElement>) => void;
  /** Focus handler for the table body, which makes a row clicked or tabbed into the tab row. */
  onFocus: (event: FocusEvent<HTMLElement>) => void;
  /** Scrolls to row `index` and focuses it once it is rendered. */
  focusRow: (index: number) => void;
};

type Options = {
  count: number;
  rows: VirtualRows;
  /** Changes when the rows are filtered or sorted anew, which makes the first row current. */
  resetKey: unknown;
  /** Runs the main action of a row (Enter). */
  onActivate: (index: number) => void;
  /** Toggles the selection of a row (Space); `range` is set while Shift is held. */
  onToggle?: (index: number, range: boolean) => void;
};

/** Returns the index of the row that contains `target`, or null outside any row. */
function rowIndexOf(target: EventTarget | null): { index: number; row: HTMLElement } | null {
  if (!(target instanceof Element)) {
    return null;
  }
  const row = target.closest<HTMLElement>(`[${ROW_INDEX_ATTRIBUTE}]`);
  if (row === null) {
    return null;
  }
  const index = Number(row.getAttribute(ROW_INDEX_ATTRIBUTE));
  return Number.isInteger(index) ? { index, row } : null;
}

export function useRowFocus({ count, rows, resetKey, onActivate, onToggle }: Options): RowFocus {
  const [current, setCurrent] = useState(0);
  const [, setFocusRequests] = useState(0);
  const pendingFocus = useRef<number | null>(null);
  const body = useRef<HTMLTableSectionElement | null>(null);

  useEffect(() => {
    setCurrent(0);
  }, [resetKey]);

  // Focus a row the keys moved to once the scroll has rendered it. Runs after every render,
  // because the row may appear only after the scroll position reached the state.
  useLayoutEffect(() => {
    const index = pendingFocus.current;
    if (index === null || body.current === null) {
      return;
    }
    const row = body.current.querySelector<HTMLElement>(`[${ROW_INDEX_ATTRIBUTE}="${index}"]`);
    if (row !== null) {
      pendingFocus.current = null;
      // The list has scrolled already, and the browser's own scrolling would put the row
      // under the sticky header.
      row.focus({ preventScroll: true });
    }
  });

  const { scrollToIndex } = rows;
  const focusRow = useCallback(
    (index: number) => {
      if (count === 0) {
        return;
      }
      const target = Math.min(count - 1, Math.max(0, index));
      pendingFocus.current = target;
      setCurrent(target);
      scrollToIndex(target);
      // Re-renders even when the index and the scroll position stay, so the effect runs.
      setFocusRequests((value) => value + 1);
    },
    [count, scrollToIndex],
  );

  const onKeyDown = useCallback(
    (event: KeyboardEvent<HTMLElement>) => {
      const found = rowIndexOf(event.target);
      if (found === null || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      const { index, row } = found;
      const moves: Record<string, number> = {
        ArrowDown: index + 1,
        ArrowUp: index - 1,
        Home: 0,
        End: count - 1,
        PageDown: index + rows.rowsPerPage,
        PageUp: index - rows.rowsPerPage,
      };
      const next = moves[event.key];
      if (next !== undefined) {
        event.preventDefault();
        focusRow(next);
        return;
      }
      if (event.target !== row) {
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();
        onActivate(index);
      } else if (event.key === " " && onToggle !== undefined) {
        event.preventDefault();
        onToggle(index, event.shiftKey);
      }
    },
    [count, rows.rowsPerPage, focusRow, onActivate, onToggle],
  );

  const onFocus = useCallback((event: FocusEvent<HTMLElement>) => {
    const found = rowIndexOf(event.target);
    if (found !== null) {
      setCurrent(found.index);
    }
  }, []);

  // A row scrolled out of the rendered window cannot take the focus, so the first rendered
  // row takes its place in the tab order and Tab still enters the list.
  const clamped = Math.min(current, Math.max(0, count - 1));
  const rendered = clamped >= rows.start && clamped < rows.end;
  return {
    bodyRef: body,
    tabRow: rendered ? clamped : rows.start,
    onKeyDown,
    onFocus,
    focusRow,
  };
}
