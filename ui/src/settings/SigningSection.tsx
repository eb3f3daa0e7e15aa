// Private videos: how tokens for videos that require signed URLs are made, a clock warning, and
// the actions that change it (paste, create or remove a signing key, allow the token endpoint).
// Creating a key and revoking one change the Cloudflare account, so both ask first.
import { useState } from "react";

import { KEYCHAIN_ERROR_CODES, toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { AppStatus, ErrorPayload } from "../backend/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage } from "../components/ErrorMessage";
import {
  SESSION_CREATE_TEXT,
  TOKEN_API_NOTE,
  createKeyText,
  describeClockSkew,
  describeSigning,
} from "../signing/describe";
import { SigningKeyForm } from "../signing/SigningKeyForm";

type Props = {
  status: AppStatus;
  onStatusChange: (status: AppStatus) => void;
};

/** A failed action, shown next to the key actions or next to the token endpoint checkbox. */
type Failure = { title: string; error: ErrorPayload; place: "key" | "tokenApi" };

export function SigningSection({ status, onStatusChange }: Props) {
  const backend = useBackend();
  const { signing } = status;
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [confirming, setConfirming] = useState<"create" | "remove" | null>(null);
  const [revoke, setRevoke] = useState(false);
  const [offerSessionCreate, setOfferSessionCreate] = useState(false);
  const skewWarning = describeClockSkew(signing.clockSkewSeconds);
  // Only one key is kept. Adding another is offered only after the stored one is removed, so a
  // replaced key is never left valid on Cloudflare without the user knowing.
  const hasKey = signing.keyId !== null;

  /** Runs one backend action and returns its error, which is also shown, or null. */
  async function run(
    title: string,
    place: Failure["place"],
    action: () => Promise<AppStatus>,
  ): Promise<ErrorPayload | null> {
    setBusy(true);
    setFailure(null);
    setOfferSessionCreate(false);
    try {
      onStatusChange(await action());
      return null;
    } catch (caught) {
      const error = toErrorPayload(caught);
      setFailure({ title, error, place });
      return error;
    } finally {
      setBusy(false);
    }
  }

  async function create(sessionOnly: boolean) {
    setConfirming(null);
    const error = await run("Could not create a signing key", "key", () =>
      backend.createSigningKey(sessionOnly),
    );
    setOfferSessionCreate(!sessionOnly && error !== null && KEYCHAIN_ERROR_CODES.has(error.code));
  }

  function confirmRemove() {
    setConfirming(null);
    void run("Could not remove the signing key", "key", () => backend.removeSigningKey(revoke));
  }

  function openRemove() {
    setRevoke(false);
    setConfirming("remove");
  }

  return (
    <section className="panel" aria-labelledby="signing-heading">
      <h2 id="signing-heading">Private videos</h2>
      <p className="help">
        Videos that require signed URLs download only with a signed token. Offstream signs tokens
        with a signing key, or requests them from Cloudflare's token endpoint.
      </p>
      <p className="source" data-testid="signing-mode" data-mode={signing.mode}>
        <strong>In use:</strong> {describeSigning(signing)}
      </p>

      {skewWarning !== null && (
        <p className="notice" role="status" data-testid="clock-skew-warning">
          {skewWarning}
        </p>
      )}

      {hasKey ? (
        <div className="actions">
          <button
            type="button"
            className="danger"
            data-testid="remove-signing-key"
            disabled={busy}
            onClick={openRemove}
          >
            Remove key…
          </button>
        </div>
      ) : (
        <div className="actions">
          <button
            type="button"
            className="primary"
            data-testid="create-signing-key"
            disabled={busy}
            onClick={() => setConfirming("create")}
          >
            Create a signing key…
          </button>
        </div>
      )}

      {failure?.place === "key" && <ErrorMessage title={failure.title} error={failure.error} />}

      {offerSessionCreate && (
        <div className="choice" role="group" aria-label="Create a key for this run only">
          <p>{SESSION_CREATE_TEXT}</p>
          <div className="actions">
            <button
              type="button"
              className="primary"
              data-testid="create-signing-key-session"
              disabled={busy}
              onClick={() => void create(true)}
            >
              Create and keep for this run only
            </button>
            <button type="button" disabled={busy} onClick={() => setOfferSessionCreate(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}

      {!hasKey && (
        <>
          <h3>Or paste a signing key you already have</h3>
          <SigningKeyForm submitLabel="Save key" onSaved={onStatusChange} />
        </>
      )}

      <h3>Token endpoint</h3>
      <div className="field checkbox-field">
        <label>
          <input
            type="checkbox"
            data-testid="token-api-fallback"
            checked={signing.tokenApiAllowed}
            disabled={busy}
            aria-describedby="token-api-help"
            onChange={(event) => {
              const allowed = event.target.checked;
              void run("Could not change the token endpoint setting", "tokenApi", () =>
                backend.setTokenApiFallback(allowed),
              );
            }}
          />{" "}
          Use Cloudflare's token endpoint when no signing key is stored
        </label>
        <p id="token-api-help" className="help">
          Offstream then requests one token from the API per download. {TOKEN_API_NOTE}
        </p>
      </div>
      {failure?.place === "tokenApi" && (
        <ErrorMessage title={failure.title} error={failure.error} />
      )}

      {confirming === "create" && (
        <ConfirmDialog
          title="Create a signing key?"
          confirmLabel="Create key"
          confirmTestId="confirm-create-key"
          tone="primary"
          onConfirm={() => void create(false)}
          onCancel={() => setConfirming(null)}
        >
          <p>{createKeyText(status.demo)}</p>
        </ConfirmDialog>
      )}

      {confirming === "remove" && (
        <ConfirmDialog
          title="Remove the signing key?"
          confirmLabel={revoke ? "Remove and revoke" : "Remove key"}
          confirmTestId="confirm-remove-key"
          onConfirm={confirmRemove}
          onCancel={() => setConfirming(null)}
        >
          <p>
            Offstream forgets key {signing.keyId}.{" "}
            {signing.tokenApiAllowed
              ? "Downloads of private videos then use the token endpoint."
              : "Downloads of private videos then need another key or the token endpoint."}
          </p>
          <label className="checkbox-label">
            <input
              type="checkbox"
              data-testid="revoke-signing-key"
              checked={revoke}
              onChange={(event) => setRevoke(event.target.checked)}
            />{" "}
            Also revoke it on Cloudflare
          </label>
          <p className="help">
            {revoke
              ? "Every token signed with this key stops working, on this computer and anywhere else it was used."
              : "Without revoking, the key stays valid on Cloudflare and tokens signed with it keep working until they expire."}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
