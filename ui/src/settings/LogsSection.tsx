// The Logs section of Settings: the folder of the app's log files and a button that opens it,
// so a user can attach the logs to a bug report.
import { useState } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { AppStatus, ErrorPayload } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";

export function LogsSection({ status }: { status: AppStatus }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);

  async function open() {
    setBusy(true);
    setError(null);
    try {
      await backend.openLogFolder();
    } catch (caught) {
      setError(toErrorPayload(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="logs-heading">
      <h2 id="logs-heading">Logs</h2>
      <div className="field inline">
        <label htmlFor="log-dir">Log folder</label>
        <input
          id="log-dir"
          type="text"
          readOnly
          value={status.logDir}
          aria-describedby="log-dir-help"
        />
        <button
          type="button"
          data-testid="open-log-folder"
          disabled={busy}
          onClick={() => void open()}
        >
          Open log folder
        </button>
      </div>
      <p id="log-dir-help" className="help">
        The log files record what the app did, without tokens, keys or signed URLs. Attach them to a
        bug report.
      </p>
      {error !== null && <ErrorMessage title="Could not open the log folder" error={error} />}
    </section>
  );
}
