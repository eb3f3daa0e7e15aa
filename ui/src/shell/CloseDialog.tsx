// The question asked when the window closes while downloads or a backup run: keep downloading
// in the background, stop and quit, or keep the window open. Escape means keep it open.
import { useRef, useState } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { CloseChoice, ErrorPayload } from "../backend/types";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatCountOf } from "../format/format";
import type { CloseRequest } from "./useAppShell";

/** Describes what runs: "2 downloads are running.", "A backup is running." and so on. */
export function describeRunningWork({ activeJobs, backupRunning }: CloseRequest): string {
  const downloads = formatCountOf(activeJobs, "download");
  if (activeJobs > 0 && backupRunning) {
    return `${downloads} and a backup are running.`;
  }
  if (backupRunning) {
    return "A backup is running.";
  }
  return activeJobs === 1 ? "1 download is running." : `${downloads} are running.`;
}

type Props = {
  request: CloseRequest;
  /** Called once the backend accepted the choice. */
  onDone: () => void;
};

export function CloseDialog({ request, onDone }: Props) {
  const backend = useBackend();
  const keepButton = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);

  async function choose(choice: CloseChoice) {
    setBusy(true);
    setError(null);
    try {
      await backend.closeChoice(choice);
      onDone();
    } catch (caught) {
      setError(toErrorPayload(caught));
      setBusy(false);
    }
  }

  return (
    <Dialog
      title="Downloads are still running"
      testId="close-dialog"
      className="dialog-wide"
      initialFocus={keepButton}
      onCancel={() => {
        if (!busy) {
          void choose("cancel");
        }
      }}
      description={
        <>
          <p data-testid="close-running">{describeRunningWork(request)}</p>
          <ul className="choice-list">
            <li>
              <strong>Keep downloading in the background:</strong> the window closes and Offstream
              quits by itself when the work is done. Open Offstream again to see the progress.
            </li>
            <li>
              <strong>Stop and quit:</strong> the downloads stop now. Partial downloads are kept and
              continue the next time you start Offstream.
            </li>
          </ul>
        </>
      }
    >
      {error !== null && <ErrorMessage title="Could not close the window" error={error} />}
      <div className="actions">
        <button
          type="button"
          data-testid="close-cancel"
          disabled={busy}
          onClick={() => void choose("cancel")}
        >
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          data-testid="close-stop"
          disabled={busy}
          onClick={() => void choose("stopAndQuit")}
        >
          Stop and quit
        </button>
        <button
          ref={keepButton}
          type="button"
          className="primary"
          data-testid="close-keep"
          disabled={busy}
          onClick={() => void choose("keepInBackground")}
        >
          Keep downloading in the background
        </button>
      </div>
    </Dialog>
  );
}
