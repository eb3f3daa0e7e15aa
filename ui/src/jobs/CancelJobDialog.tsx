// Asks before cancelling a job. The partial file stays by default, so a later download of the
// same video continues from it. It is deleted only when the user ticks the checkbox.
import { useState } from "react";

import { ConfirmDialog } from "../components/ConfirmDialog";

type Props = {
  /** The video's name as the job card shows it. */
  title: string;
  onConfirm: (removePartial: boolean) => void;
  onClose: () => void;
};

export function CancelJobDialog({ title, onConfirm, onClose }: Props) {
  const [removePartial, setRemovePartial] = useState(false);

  return (
    <ConfirmDialog
      title="Cancel this download?"
      confirmLabel="Cancel download"
      confirmTestId="confirm-cancel-job"
      cancelLabel="Keep download"
      testId="cancel-job-dialog"
      onConfirm={() => onConfirm(removePartial)}
      onCancel={onClose}
    >
      <p>
        The download of “{title}” stops.{" "}
        {removePartial
          ? "The part already downloaded is deleted."
          : "The part already downloaded stays on this computer, so downloading the video again continues from there."}
      </p>
      <label className="checkbox-label">
        <input
          type="checkbox"
          id="remove-partial"
          data-testid="remove-partial"
          checked={removePartial}
          onChange={(event) => setRemovePartial(event.target.checked)}
        />
        Also delete the partial file
      </label>
    </ConfirmDialog>
  );
}
