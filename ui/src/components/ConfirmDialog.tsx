// A modal confirmation with Cancel focused first, so Enter or Escape never confirms by accident.
// Tab stays inside the dialog, and focus returns to where it was when the dialog closes.
import { useRef, type ReactNode } from "react";

import { Dialog } from "./Dialog";

type Props = {
  title: string;
  /** The explanation, and any options such as a checkbox that changes what Confirm does. */
  children: ReactNode;
  confirmLabel: string;
  confirmTestId?: string;
  /** Label of the button that closes the dialog without acting; "Cancel" unless set. */
  cancelLabel?: string;
  testId?: string;
  /** Style of the confirm button: "danger" for actions that delete or revoke. */
  tone?: "danger" | "primary";
  onConfirm: () => void;
  onCancel: () => void;
};

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  confirmTestId,
  cancelLabel = "Cancel",
  testId,
  tone = "danger",
  onConfirm,
  onCancel,
}: Props) {
  const cancelButton = useRef<HTMLButtonElement>(null);

  return (
    <Dialog
      title={title}
      description={children}
      onCancel={onCancel}
      initialFocus={cancelButton}
      testId={testId}
    >
      <div className="actions">
        <button ref={cancelButton} type="button" onClick={onCancel}>
          {cancelLabel}
        </button>
        <button type="button" className={tone} data-testid={confirmTestId} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
