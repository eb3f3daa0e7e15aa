// The library folder and the API base URL. Either one is read-only when an environment
// variable fixes it, and the screen names that variable.
import { useState, type FormEvent } from "react";

import { toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { AppStatus, ErrorPayload } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";

type Props = {
  status: AppStatus;
  onStatusChange: (status: AppStatus) => void;
};

export function LibraryFolderSection({ status, onStatusChange }: Props) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);

  async function choose() {
    setBusy(true);
    setError(null);
    try {
      const path = await backend.chooseDirectory(status.libraryDir);
      if (path !== null) {
        onStatusChange(await backend.setLibraryDir(path));
      }
    } catch (caught) {
      setError(toErrorPayload(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="library-folder-heading">
      <h2 id="library-folder-heading">Library folder</h2>
      <div className="field inline">
        <label htmlFor="library-dir">Folder</label>
        <input id="library-dir" type="text" readOnly value={status.libraryDir} />
        <button
          type="button"
          id="choose-library-dir"
          disabled={busy || status.libraryDirFromEnv}
          onClick={choose}
        >
          Choose…
        </button>
      </div>
      {status.libraryDirFromEnv && (
        <p className="help">Set by OFFSTREAM_LIBRARY_DIR in the environment, so it is fixed.</p>
      )}
      {error !== null && <ErrorMessage title="Could not change the library folder" error={error} />}
    </section>
  );
}

/** Returns an error text for a base URL that is not absolute http(s), or null when it is. */
export function validateApiBase(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL. Enter an absolute URL such as https://api.cloudflare.com/client/v4.`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `"${value}" must start with https:// or http://.`;
  }
  return null;
}

export function ApiBaseSection({ status, onStatusChange }: Props) {
  const backend = useBackend();
  const [apiBase, setApiBase] = useState(status.apiBase);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);

  async function apply(value: string | null) {
    setBusy(true);
    setError(null);
    try {
      const next = await backend.setApiBase(value);
      setApiBase(next.apiBase);
      onStatusChange(next);
    } catch (caught) {
      setError(toErrorPayload(caught));
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const value = apiBase.trim();
    const problem = validateApiBase(value);
    if (problem !== null) {
      setError({ code: "invalid_input", message: problem });
      return;
    }
    void apply(value);
  }

  return (
    <section className="panel" aria-labelledby="api-base-heading">
      <details>
        <summary>
          <h2 id="api-base-heading">Advanced: API base URL</h2>
        </summary>
        <form className="form" onSubmit={submit} noValidate>
          <div className="field inline">
            <label htmlFor="api-base">API base URL</label>
            <input
              id="api-base"
              type="url"
              spellCheck={false}
              value={apiBase}
              readOnly={status.apiBaseFromEnv}
              onChange={(event) => setApiBase(event.target.value)}
            />
          </div>
          {status.apiBaseFromEnv ? (
            <p className="help">
              {status.demo
                ? "The demo account uses its own local API server, so the URL is fixed."
                : "Set by OFFSTREAM_API_BASE in the environment, so it is fixed."}
            </p>
          ) : (
            <div className="actions">
              <button type="submit" id="save-api-base" disabled={busy}>
                Save URL
              </button>
              <button type="button" disabled={busy} onClick={() => void apply(null)}>
                Use default
              </button>
            </div>
          )}
        </form>
        {error !== null && <ErrorMessage title="Could not change the API base URL" error={error} />}
      </details>
    </section>
  );
}
