// The form that stores a signing key the user pastes: its id and the pem or jwk value that the
// keys API returned. The material lives only in the textarea's state. It is cleared once the
// key is stored, and an error that would repeat it is redacted before it is shown.
import { useId, useState, type FormEvent, type ReactNode } from "react";

import { KEYCHAIN_ERROR_CODES, toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { AppStatus, ErrorPayload } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";

/** Returns `error` with every occurrence of `material` replaced, so a message never shows a key. */
export function redactMaterial(error: ErrorPayload, material: string): ErrorPayload {
  if (material === "" || !error.message.includes(material)) {
    return error;
  }
  return { code: error.code, message: error.message.split(material).join("[signing key]") };
}

type Props = {
  submitLabel: string;
  onSaved: (status: AppStatus) => void;
  /** Called when a save starts and ends, so a dialog can ignore Escape meanwhile. */
  onBusyChange?: (busy: boolean) => void;
  /** Buttons after the submit button, such as Back and Cancel in a dialog. */
  extraActions?: ReactNode;
};

export function SigningKeyForm({ submitLabel, onSaved, onBusyChange, extraActions }: Props) {
  const backend = useBackend();
  const keyIdField = useId();
  const keyIdHelp = useId();
  const materialField = useId();
  const materialHelp = useId();
  const [keyId, setKeyId] = useState("");
  const [material, setMaterial] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const [offerSession, setOfferSession] = useState(false);

  function changeBusy(value: boolean) {
    setBusy(value);
    onBusyChange?.(value);
  }

  async function save(sessionOnly: boolean) {
    changeBusy(true);
    setError(null);
    setOfferSession(false);
    const trimmed = material.trim();

    try {
      const next = await backend.addSigningKey({
        keyId: keyId.trim(),
        material: trimmed,
        sessionOnly,
      });
      setKeyId("");
      setMaterial("");
      onSaved(next);
    } catch (caught) {
      const payload = redactMaterial(toErrorPayload(caught), trimmed);
      setError(payload);
      setOfferSession(!sessionOnly && KEYCHAIN_ERROR_CODES.has(payload.code));
    } finally {
      changeBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void save(false);
  }

  return (
    <>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={keyIdField}>Key id</label>
          <input
            id={keyIdField}
            type="text"
            autoComplete="off"
            spellCheck={false}
            data-testid="signing-key-id"
            value={keyId}
            aria-describedby={keyIdHelp}
            onChange={(event) => setKeyId(event.target.value)}
          />
          <p id={keyIdHelp} className="help">
            The <code>id</code> that the keys API returned with the key. It may stay empty for a
            JWK, which contains its id.
          </p>
        </div>

        <div className="field">
          <label htmlFor={materialField}>Private key (PEM or JWK)</label>
          <textarea
            id={materialField}
            rows={5}
            autoComplete="off"
            autoCorrect="off"
            autoCapitalize="off"
            spellCheck={false}
            data-testid="signing-key-material"
            value={material}
            aria-describedby={materialHelp}
            onChange={(event) => setMaterial(event.target.value)}
          />
          <p id={materialHelp} className="help">
            Paste the <code>pem</code> or <code>jwk</code> value as the API returned it (base64), or
            the decoded PEM block or JWK JSON. Offstream stores it in the system keychain and never
            shows it again.
          </p>
        </div>

        <div className="actions">
          <button type="submit" className="primary" data-testid="save-signing-key" disabled={busy}>
            {busy ? "Checking…" : submitLabel}
          </button>
          {extraActions}
        </div>
      </form>

      {error !== null && <ErrorMessage title="Could not store the signing key" error={error} />}

      {offerSession && (
        <div className="choice" role="group" aria-label="Keep the key for this run only">
          <p>
            Offstream can keep this key in memory for this run only. You will have to paste it again
            after quitting.
          </p>
          <div className="actions">
            <button
              type="button"
              className="primary"
              data-testid="save-signing-key-session"
              disabled={busy}
              onClick={() => void save(true)}
            >
              Keep for this run only
            </button>
          </div>
        </div>
      )}
    </>
  );
}
