// Checks for screen reader labels: every control, row, progress bar and dialog on a rendered
// screen must have an accessible name, computed the way browsers compute it (accname 1.2).
import { computeAccessibleName } from "dom-accessibility-api";

/**
 * Elements a screen reader user operates or needs named: native controls, focusable elements
 * (the rows of the lists included, which take the focus through a roving tabindex), progress
 * indicators, media and dialogs.
 */
const NEEDS_NAME = [
  "button",
  "a[href]",
  "input:not([type=hidden])",
  "select",
  "textarea",
  "summary",
  "progress",
  "meter",
  "video",
  "[tabindex]",
  "[role=button]",
  "[role=checkbox]",
  "[role=slider]",
  "[role=progressbar]",
  "[role=dialog]",
].join(", ");

/** Returns a short description of an element for a failure message. */
function describe(element: Element): string {
  const testId = element.getAttribute("data-testid");
  const id = element.id === "" ? "" : `#${element.id}`;
  const label = testId === null ? "" : `[data-testid=${testId}]`;
  const html = element.outerHTML.replace(/\s+/g, " ").slice(0, 160);
  return `${element.tagName.toLowerCase()}${id}${label}: ${html}`;
}

/** Returns true when the element is hidden from assistive technology. */
function isHidden(element: Element): boolean {
  return element.closest('[aria-hidden="true"], [hidden]') !== null;
}

/** Lists the elements under `root` that need an accessible name and have none. */
export function unnamedElements(root: ParentNode): string[] {
  const unnamed: string[] = [];
  for (const element of root.querySelectorAll(NEEDS_NAME)) {
    if (isHidden(element)) {
      continue;
    }
    if (computeAccessibleName(element).trim() === "") {
      unnamed.push(describe(element));
    }
  }
  return unnamed;
}
