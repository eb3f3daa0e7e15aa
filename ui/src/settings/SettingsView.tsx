// The settings screen, which doubles as the first-run screen while no credentials are set.
import type { AppStatus } from "../backend/types";
import { StorageOverviewPanel } from "../library/StorageOverview";
import { CredentialsSection } from "./CredentialsSection";
import { LogsSection } from "./LogsSection";
import { SigningSection } from "./SigningSection";
import { ApiBaseSection, LibraryFolderSection } from "./StorageSection";
import { TransfersSection } from "./TransfersSection";

type Props = {
  status: AppStatus;
  onStatusChange: (status: AppStatus) => void;
  onSaved: () => void;
  /** Opens the keyboard shortcuts list. Without it, Settings does not offer the list. */
  onShowShortcuts?: () => void;
};

export function SettingsView({ status, onStatusChange, onSaved, onShowShortcuts }: Props) {
  const firstRun = status.credentialSource === "none";

  return (
    <main className="view" aria-labelledby="view-heading">
      <h1 id="view-heading" tabIndex={-1}>
        {firstRun ? "Connect your Cloudflare account" : "Settings"}
      </h1>
      {firstRun && (
        <p className="lead">
          Offstream lists the videos of a Cloudflare Stream account and keeps copies you can watch
          offline. Your offline library stays available without credentials.
        </p>
      )}
      <CredentialsSection status={status} onStatusChange={onStatusChange} onSaved={onSaved} />
      {!firstRun && <SigningSection status={status} onStatusChange={onStatusChange} />}
      <LibraryFolderSection status={status} onStatusChange={onStatusChange} />
      <StorageOverviewPanel refreshKey={status.libraryDir} />
      <TransfersSection status={status} onStatusChange={onStatusChange} />
      <LogsSection status={status} />
      {onShowShortcuts !== undefined && (
        <section className="panel" aria-labelledby="keyboard-heading">
          <h2 id="keyboard-heading">Keyboard</h2>
          <p>
            Every action has a key, and the lists move with the arrow keys.{" "}
            <button
              type="button"
              className="link"
              data-testid="show-shortcuts"
              onClick={onShowShortcuts}
            >
              Show the keyboard shortcuts
            </button>
          </p>
        </section>
      )}
      <ApiBaseSection status={status} onStatusChange={onStatusChange} />
    </main>
  );
}
