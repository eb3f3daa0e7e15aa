// The dialog shown when the user takes a private video offline while no way of making tokens is
// set up. It offers a new signing key (recommended, after a confirmation), a pasted key, or the
// token endpoint. Once a choice succeeded it passes the new AppStatus to onDone, and the caller
// starts the download. Escape and Cancel close it unless a request is running.
import { useId, useRef, useState } from "react";

import { KEYCHAIN_ERROR_CODES, toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { AppStatus, ErrorPayload } from "../backend/types";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { SESSION_CREATE_TEXT, TOKEN_API_NOTE, createKeyText } from "./describe";
import { SigningKeyForm } from "./SigningKeyForm";

type Step = "choose" | "create" | "paste";

type Failure = { title: string; error: ErrorPayload };

type Props = {
  /** Name of the video the user wants to download, for the explanation. */
  videoName: string;
  /** True for the demo account, whose key is kept in memory only. */
  demo: boolean;
  onDone: (status: AppStatus) => void;
  onCancel: () => void;
};

export function SigningDialog({ videoName, demo, onDone, onCancel }: Props) {
  const backend = useBackend();
  const [step, setStep] = useState<Step>("choose");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const backButton = useRef<HTMLButtonElement>(null);
  const createHelp = useId();
  const pasteHelp = useId();
  const tokenApiHelp = useId();

  // A request that already left cannot be taken back, so closing waits for its result.
  function cancel() {
    if (!busy) {
      onCancel();
    }
  }

  function goTo(next: Step) {
    setFailure(null);
    setStep(next);
  }

  async function run(title: string, action: () => Promise<AppStatus>) {
    setBusy(true);
    setFailure(null);
    try {
      onDone(await action());
    } catch (caught) {
      setFailure({ title, error: toErrorPayload(caught) });
    } finally {
      setBusy(false);
    }
  }

  // After the keychain failed to store a new key, creating one for this run only is offered.
  const offerSessionCreate =
    step === "create" && failure !== null && KEYCHAIN_ERROR_CODES.has(failure.error.code);

  const failureMessage = failure !== null && (
    <ErrorMessage title={failure.title} error={failure.error} />
  );

  const cancelButton = (
    <button type="button" data-testid="signing-dialog-cancel" disabled={busy} onClick={cancel}>
      Cancel
    </button>
  );

  // Each step is its own Dialog (keyed by step), so focus moves into the new step's controls.
  if (step === "create") {
    return (
      <Dialog
        key="create"
        title="Create a signing key?"
        description={<p>{createKeyText(demo)}</p>}
        onCancel={cancel}
        initialFocus={backButton}
        testId="signing-dialog"
        className="dialog-wide"
      >
        {failureMessage}
        {offerSessionCreate && <p>{SESSION_CREATE_TEXT}</p>}
        <div className="actions">
          <button ref={backButton} type="button" disabled={busy} onClick={() => goTo("choose")}>
            Back
          </button>
          {cancelButton}
          {offerSessionCreate ? (
            <button
              type="button"
              className="primary"
              data-testid="confirm-create-key-session"
              disabled={busy}
              onClick={() =>
                void run("Could not create a signing key", () => backend.createSigningKey(true))
              }
            >
              {busy ? "Creating…" : "Create for this run only and download"}
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              data-testid="confirm-create-key"
              disabled={busy}
              onClick={() =>
                void run("Could not create a signing key", () => backend.createSigningKey(false))
              }
            >
              {busy ? "Creating…" : "Create key and download"}
            </button>
          )}
        </div>
      </Dialog>
    );
  }

  if (step === "paste") {
    return (
      <Dialog
        key="paste"
        title="Paste a signing key"
        description={
          <p>
            Use a key that the Stream keys API created for this account. Offstream stores it and
            signs a token on this computer for each private download.
          </p>
        }
        onCancel={cancel}
        testId="signing-dialog"
        className="dialog-wide"
      >
        <SigningKeyForm
          submitLabel="Save key and download"
          onSaved={onDone}
          onBusyChange={setBusy}
          extraActions={
            <>
              <button type="button" disabled={busy} onClick={() => goTo("choose")}>
                Back
              </button>
              {cancelButton}
            </>
          }
        />
      </Dialog>
    );
  }

  return (
    <Dialog
      key="choose"
      title="This video is private"
      description={
        <p>
          “{videoName}” requires signed URLs, so Cloudflare serves its download only with a signed
          token. Choose how Offstream gets tokens. You can change this later in Settings under
          Private videos.
        </p>
      }
      onCancel={cancel}
      testId="signing-dialog"
      className="dialog-wide"
    >
      <ul className="choice-list">
        <li>
          <button
            type="button"
            className="primary"
            data-testid="signing-choice-create"
            aria-describedby={createHelp}
            disabled={busy}
            onClick={() => goTo("create")}
          >
            Create a signing key
          </button>
          <span className="badge badge-recommended">Recommended</span>
          <p id={createHelp} className="help">
            Offstream creates a key on your Cloudflare account and signs each token on this
            computer, with no API call per token.
          </p>
        </li>
        <li>
          <button
            type="button"
            data-testid="signing-choice-paste"
            aria-describedby={pasteHelp}
            disabled={busy}
            onClick={() => goTo("paste")}
          >
            Paste a signing key
          </button>
          <p id={pasteHelp} className="help">
            Use a key you already created with the Stream keys API.
          </p>
        </li>
        <li>
          <button
            type="button"
            data-testid="signing-choice-token-api"
            aria-describedby={tokenApiHelp}
            disabled={busy}
            onClick={() =>
              void run("Could not allow the token endpoint", () =>
                backend.setTokenApiFallback(true),
              )
            }
          >
            Use the token endpoint
          </button>
          <p id={tokenApiHelp} className="help">
            Offstream requests a token from Cloudflare once per download. {TOKEN_API_NOTE}
          </p>
        </li>
      </ul>
      {failureMessage}
      <div className="actions">{cancelButton}</div>
    </Dialog>
  );
}
