// A modal dialog: role="dialog" with aria-modal, named by its title and described by its
// description. Opening it moves focus inside, Tab and Shift+Tab cycle through its controls,
// Escape calls onCancel, and closing it returns focus to where it was before.
import {
  useEffect,
  useId,
  useRef,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
} from "react";

const FOCUSABLE = [
  "button:not(:disabled)",
  "input:not(:disabled)",
  "textarea:not(:disabled)",
  "select:not(:disabled)",
  "a[href]",
  '[tabindex]:not([tabindex="-1"])',
].join(", ");

/**
 * Returns the enabled controls inside `container` in document order. The explicit sort matters
 * because jsdom returns the matches of a selector list grouped by selector.
 */
function focusableIn(container: HTMLElement): HTMLElement[] {
  const controls = [...container.querySelectorAll<HTMLElement>(FOCUSABLE)];
  return controls.sort((a, b) =>
    a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1,
  );
}

type Props = {
  title: string;
  /** Text that explains the dialog, which screen readers read with the title. */
  description?: ReactNode;
  /** Controls and actions, below the description. */
  children?: ReactNode;
  /** Called on Escape. The caller closes the dialog or ignores the request while it is busy. */
  onCancel: () => void;
  /** The element focused on opening. Without it, the first focusable control gets focus. */
  initialFocus?: RefObject<HTMLElement | null>;
  testId?: string;
  /** Extra class for the dialog box, such as "dialog-wide". */
  className?: string;
};

export function Dialog({
  title,
  description,
  children,
  onCancel,
  initialFocus,
  testId,
  className,
}: Props) {
  const dialog = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const cancel = useRef(onCancel);
  cancel.current = onCancel;

  // Runs once per mounted dialog. A caller that swaps the content of a multi-step dialog gives
  // each step its own `key`, so each step moves focus again.
  useEffect(() => {
    const previous = document.activeElement;
    const container = dialog.current;
    const target =
      initialFocus?.current ??
      (container === null ? undefined : focusableIn(container)[0]) ??
      container;
    target?.focus();
    return () => {
      if (previous instanceof HTMLElement) {
        previous.focus();
      }
    };
  }, []);

  // Listens on the document, so Escape works even after a click on the backdrop moved focus.
  useEffect(() => {
    function onDocumentKey(event: globalThis.KeyboardEvent) {
      if (event.key === "Escape") {
        event.preventDefault();
        cancel.current();
      }
    }
    document.addEventListener("keydown", onDocumentKey);
    return () => document.removeEventListener("keydown", onDocumentKey);
  }, []);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key !== "Tab" || dialog.current === null) {
      return;
    }

    const controls = focusableIn(dialog.current);
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (first === undefined || last === undefined) {
      event.preventDefault();
      return;
    }

    const active = document.activeElement;
    const outside = !controls.some((control) => control === active);
    if (event.shiftKey && (active === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <div className="dialog-backdrop">
      <div
        ref={dialog}
        className={className === undefined ? "dialog" : `dialog ${className}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description === undefined ? undefined : descriptionId}
        tabIndex={-1}
        data-testid={testId}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>{title}</h2>
        {description !== undefined && (
          <div id={descriptionId} className="dialog-description">
            {description}
          </div>
        )}
        {children}
      </div>
    </div>
  );
}
