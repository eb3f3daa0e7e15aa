// Windowing for long tables with a fixed row height: only the rows in the scrolled viewport,
// plus `overscan` rows on each side, are rendered, and two spacer heights stand in for the
// rest. The hook measures the viewport with a ResizeObserver where the webview has one, and
// the first rendered `.data-row` once, because a row that the stylesheet makes 1 px taller
// than the given height would shift row 10,000 by 10,000 px.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type UIEvent } from "react";

/**
 * Viewport height assumed until the element is measured, and where layout reports none
 * (jsdom). It is a typical window's table area, so the first frame already fills the screen.
 */
export const FALLBACK_VIEWPORT_PX = 720;

/** Rows rendered above and below the viewport, so fast scrolling shows no blank strip. */
export const DEFAULT_OVERSCAN = 6;

export type VirtualRows = {
  /** The ref callback of the scrolling element, which measures it while it is mounted. */
  scrollRef: (element: HTMLDivElement | null) => () => void;
  onScroll: (event: UIEvent<HTMLElement>) => void;
  /** Index of the first rendered row. */
  start: number;
  /** Index after the last rendered row. */
  end: number;
  /** Height in pixels of the rows before `start`. */
  paddingTop: number;
  /** Height in pixels of the rows from `end` on. */
  paddingBottom: number;
  /** Rows that fit in the viewport below the header, at least 1. */
  rowsPerPage: number;
  /**
   * Scrolls the least distance that shows row `index` whole below the sticky header, and
   * renders the rows there at once instead of on the scroll event.
   */
  scrollToIndex: (index: number) => void;
};

/** Returns the range of rows to render for a scroll position and viewport height. */
export function visibleRange(
  count: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = DEFAULT_OVERSCAN,
): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(viewportHeight / rowHeight) + 1;
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, first + visible + overscan);
  return { start, end: Math.max(start, end) };
}

/**
 * Returns the rows of a `count`-row list to render in the element that `scrollRef` marks.
 * A change of `resetKey` (a new filter or sort order) scrolls back to the top.
 */
export function useVirtualRows(
  count: number,
  rowHeight: number,
  resetKey: unknown = null,
  overscan = DEFAULT_OVERSCAN,
): VirtualRows {
  const element = useRef<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(FALLBACK_VIEWPORT_PX);
  const [measuredRow, setMeasuredRow] = useState<number | null>(null);

  // React 19 calls the returned cleanup when the element unmounts.
  const scrollRef = useCallback((node: HTMLDivElement | null) => {
    element.current = node;
    if (node === null) {
      return () => {};
    }
    const measure = () => {
      if (node.clientHeight > 0) {
        setViewport(node.clientHeight);
      }
    };
    measure();
    if (typeof ResizeObserver === "undefined") {
      return () => {
        element.current = null;
      };
    }
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => {
      observer.disconnect();
      element.current = null;
    };
  }, []);

  const firstReset = useRef(true);
  useEffect(() => {
    if (firstReset.current) {
      firstReset.current = false;
      return;
    }
    if (element.current !== null) {
      element.current.scrollTop = 0;
    }
    setScrollTop(0);
  }, [resetKey]);

  // Layout reports no heights in jsdom, where the given height stays in use.
  useLayoutEffect(() => {
    if (measuredRow !== null || element.current === null) {
      return;
    }
    const row = element.current.querySelector(".data-row");
    const height = row?.getBoundingClientRect().height ?? 0;
    if (height > 0 && Math.abs(height - rowHeight) > 0.01) {
      setMeasuredRow(height);
    }
  });

  const onScroll = useCallback((event: UIEvent<HTMLElement>) => {
    setScrollTop(event.currentTarget.scrollTop);
  }, []);

  const pitch = measuredRow ?? rowHeight;

  const scrollToIndex = useCallback(
    (index: number) => {
      const node = element.current;
      if (node === null) {
        return;
      }
      const header = node.querySelector("thead")?.getBoundingClientRect().height ?? 0;
      const next = scrollTopShowing(index, pitch, node.scrollTop, viewport - header);
      if (next !== node.scrollTop) {
        node.scrollTop = next;
        setScrollTop(next);
      }
    },
    [pitch, viewport],
  );

  const { start, end } = visibleRange(count, pitch, scrollTop, viewport, overscan);
  return {
    scrollRef,
    onScroll,
    start,
    end,
    paddingTop: start * pitch,
    paddingBottom: (count - end) * pitch,
    rowsPerPage: Math.max(1, Math.floor(viewport / pitch) - 1),
    scrollToIndex,
  };
}

/**
 * Returns the scroll position closest to `scrollTop` at which row `index` lies whole inside
 * the `rowArea` pixels below the header.
 */
export function scrollTopShowing(
  index: number,
  rowHeight: number,
  scrollTop: number,
  rowArea: number,
): number {
  const top = index * rowHeight;
  if (top < scrollTop) {
    return top;
  }
  const bottom = top + rowHeight;
  if (bottom > scrollTop + rowArea) {
    return Math.max(0, bottom - rowArea);
  }
  return scrollTop;
}
