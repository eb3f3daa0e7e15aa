// Account id and API token: where the ones in use come from, a form to save new ones, and the
// explicit "keep for this run only" choice when the keychain cannot store them. The app never
// falls back to memory without that choice.
import { useState, type FormEvent } from "react";

import { KEYCHAIN_ERROR_CODES, toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { AppStatus, CredentialSource, ErrorPayload } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";

const SOURCE_TEXT: Record<CredentialSource, string> = {
  environment:
    "From the environment (CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN). They override the keychain, so they cannot be changed here.",
  keychain: "Stored in the system keychain.",
  session: "Kept in memory for this run only. They are gone when Offstream quits.",
  demo: "The built-in demo account, because Offstream was started with --demo. Start it without --demo to use your own account.",
  none: "None yet. Enter an account id and an API token to start.",
};

type Props = {
  status: AppStatus;
  onStatusChange: (status: AppStatus) => void;
  onSaved: () => void;
};

export function CredentialsSection({ status, onStatusChange, onSaved }: Props) {
  const backend = useBackend();
  // Rust rejects saving while either of these is in force, so the form is read-only then.
  const locked = status.credentialSource === "environment" || status.demo;
  const [accountId, setAccountId] = useState(status.accountId ?? "");
  const [apiToken, setApiToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const [offerSession, setOfferSession] = useState(false);

  async function save(sessionOnly: boolean) {
    setBusy(true);
    setError(null);
    setOfferSession(false);

    try {
      const next = await backend.saveCredentials({
        accountId: accountId.trim(),
        apiToken: apiToken.trim(),
        sessionOnly,
      });
      setApiToken("");
      onStatusChange(next);
      onSaved();
    } catch (caught) {
      const payload = toErrorPayload(caught);
      setError(payload);
      setOfferSession(!sessionOnly && KEYCHAIN_ERROR_CODES.has(payload.code));
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (accountId.trim() === "" || apiToken.trim() === "") {
      setError({
        code: "invalid_input",
        message: "Enter both the account id and the API token.",
      });
      return;
    }
    void save(false);
  }

  async function forget() {
    setBusy(true);
    setError(null);
    try {
      const next = await backend.forgetCredentials();
      setAccountId("");
      setApiToken("");
      onStatusChange(next);
    } catch (caught) {
      setError(toErrorPayload(caught));
    } finally {
      setBusy(false);
    }
  }

  const canForget = status.credentialSource === "keychain" || status.credentialSource === "session";

  return (
    <section className="panel" aria-labelledby="credentials-heading">
      <h2 id="credentials-heading">Cloudflare credentials</h2>
      <p className="source" data-testid="credential-source">
        <strong>In use:</strong> {SOURCE_TEXT[status.credentialSource]}
      </p>

      {status.keychainError !== null && (
        <p className="notice" role="status" data-testid="keychain-notice">
          The system keychain could not be used: {status.keychainError.message}
        </p>
      )}

      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="account-id">Account id</label>
          <input
            id="account-id"
            name="account-id"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={accountId}
            readOnly={locked}
            aria-describedby="account-id-help"
            onChange={(event) => setAccountId(event.target.value)}
          />
          <p id="account-id-help" className="help">
            Shown in the Cloudflare dashboard on the account's overview page, and in its URL.
          </p>
        </div>

        <div className="field">
          <label htmlFor="api-token">API token</label>
          <input
            id="api-token"
            name="api-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={apiToken}
            disabled={locked}
            aria-describedby="api-token-help"
            onChange={(event) => setApiToken(event.target.value)}
          />
          <div id="api-token-help" className="help">
            <p>
              The token needs <strong>Stream Read</strong> to browse videos and{" "}
              <strong>Stream Write</strong> to enable downloads.
            </p>
            <p>
              Create one in the Cloudflare dashboard under My Profile → API Tokens → Create Token.
              Offstream checks it with one API call before saving it.
            </p>
          </div>
        </div>

        <div className="actions">
          <button type="submit" id="save-credentials" className="primary" disabled={busy || locked}>
            {busy ? "Checking…" : "Save credentials"}
          </button>
          {canForget && (
            <button type="button" id="forget-credentials" disabled={busy} onClick={forget}>
              Forget credentials
            </button>
          )}
        </div>
      </form>

      {error !== null && <ErrorMessage title="Could not save the credentials" error={error} />}

      {offerSession && (
        <div className="choice" role="group" aria-labelledby="session-choice-text">
          <p id="session-choice-text">
            Offstream can keep these credentials in memory for this run only. You will have to enter
            them again after quitting.
          </p>
          <div className="actions">
            <button
              type="button"
              data-testid="save-session-only"
              className="primary"
              disabled={busy}
              onClick={() => void save(true)}
            >
              Keep for this run only
            </button>
            <button type="button" disabled={busy} onClick={() => setOfferSession(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
