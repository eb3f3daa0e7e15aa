// The app shell: loads the status, follows the download jobs, and switches between screens.
// It keeps what outlives a screen: the job store and the memory of full syncs. Menu actions,
// keyboard shortcuts and close requests go through useAppShell.
import { useCallback, useEffect, useRef, useState } from "react";

import { toErrorPayload } from "./backend/backend";
import { useBackend } from "./backend/context";
import type { AppStatus, BackupProgress, ErrorPayload } from "./backend/types";
import { BackupsView } from "./backup/BackupsView";
import { ErrorMessage } from "./components/ErrorMessage";
import { Header, type View } from "./components/Header";
import { JobStore } from "./jobs/store";
import { LibraryView } from "./library/LibraryView";
import { SettingsView } from "./settings/SettingsView";
import { CloseDialog } from "./shell/CloseDialog";
import { ShortcutsDialog } from "./shell/ShortcutsDialog";
import { useAppShell, type AppShell } from "./shell/useAppShell";
import { ViewCommands, ViewCommandsProvider } from "./shell/viewCommands";
import { SyncMemory } from "./videos/syncPolicy";
import { VideosView } from "./videos/VideosView";

type StatusState =
  | { kind: "loading" }
  | { kind: "loaded"; status: AppStatus }
  | { kind: "failed"; error: ErrorPayload };

export function App() {
  const backend = useBackend();
  const [state, setState] = useState<StatusState>({ kind: "loading" });
  const [view, setView] = useState<View>("videos");
  const [jobs] = useState(() => new JobStore());
  const [syncMemory] = useState(() => new SyncMemory());
  const [shownBackup, setShownBackup] = useState<number | null>(null);
  const [jobsError, setJobsError] = useState<ErrorPayload | null>(null);
  const [watchAttempt, setWatchAttempt] = useState(0);
  const [commands] = useState(() => new ViewCommands());
  const navigated = useRef(false);

  const loadStatus = useCallback(async () => {
    setState({ kind: "loading" });
    try {
      const status = await backend.appStatus();
      setState({ kind: "loaded", status });
      if (status.credentialSource === "none") {
        setView("settings");
      }
    } catch (caught) {
      setState({ kind: "failed", error: toErrorPayload(caught) });
    }
  }, [backend]);

  useEffect(() => {
    void loadStatus();
  }, [loadStatus]);

  // Job events arrive on a channel that lives as long as this page. A second subscription
  // (React's development double effects, or Retry) leaves the earlier one ignored.
  useEffect(() => {
    let active = true;
    setJobsError(null);
    backend
      .watchJobs((job) => {
        if (active) {
          jobs.apply(job);
        }
      })
      .then((current) => {
        if (active) {
          jobs.seed(current);
        }
      })
      .catch((caught: unknown) => {
        if (active) {
          setJobsError(toErrorPayload(caught));
        }
      });
    return () => {
      active = false;
    };
  }, [backend, jobs, watchAttempt]);

  // Move focus to the new screen's heading after navigation, for keyboard and screen reader
  // users, unless a command that came with the navigation (search) moved it into the screen.
  // The screen's effects, which run such a command, run before this one.
  useEffect(() => {
    commands.dropPending();
    if (navigated.current && !focusIsInMain()) {
      document.getElementById("view-heading")?.focus();
    }
  }, [view, commands]);

  const navigate = useCallback((next: View) => {
    navigated.current = true;
    setView(next);
  }, []);

  const shell = useAppShell({ backend, commands, navigate });

  const setStatus = useCallback((status: AppStatus) => {
    setState({ kind: "loaded", status });
  }, []);

  const showBackup = useCallback(
    (backup: BackupProgress) => {
      setShownBackup(backup.id);
      navigate("backups");
    },
    [navigate],
  );

  if (state.kind === "loading") {
    return (
      <>
        <p className="loading app-loading" role="status">
          Starting Offstream…
        </p>
        <ShellDialogs shell={shell} />
      </>
    );
  }

  if (state.kind === "failed") {
    return (
      <>
        <main className="view">
          <ErrorMessage
            title="Offstream could not read its settings"
            error={state.error}
            onRetry={() => void loadStatus()}
          />
        </main>
        <ShellDialogs shell={shell} />
      </>
    );
  }

  const { status } = state;
  const { shellError } = shell;

  return (
    <ViewCommandsProvider commands={commands}>
      <div className="app">
        <a
          className="skip-link"
          href="#view-heading"
          onClick={(event) => {
            event.preventDefault();
            document.getElementById("view-heading")?.focus();
          }}
        >
          Skip to main content
        </a>
        <Header status={status} view={view} onNavigate={navigate} />
        {shellError !== null && (
          <ErrorMessage
            title={shellError.title}
            error={shellError.error}
            onRetry={shellError.retry}
          />
        )}
        {jobsError !== null && (
          <ErrorMessage
            title="Could not follow the downloads"
            error={jobsError}
            onRetry={() => setWatchAttempt((attempt) => attempt + 1)}
          />
        )}
        {view === "videos" && (
          <VideosView
            status={status}
            jobs={jobs}
            onOpenSettings={() => navigate("settings")}
            onStatusChange={setStatus}
            syncMemory={syncMemory}
            onBackupStarted={showBackup}
          />
        )}
        {view === "library" && <LibraryView jobs={jobs} />}
        {view === "backups" && <BackupsView initialId={shownBackup} />}
        {view === "settings" && (
          <SettingsView
            status={status}
            onStatusChange={setStatus}
            onSaved={() => navigate("videos")}
            onShowShortcuts={() => shell.setShortcutsOpen(true)}
          />
        )}
      </div>
      <ShellDialogs shell={shell} />
    </ViewCommandsProvider>
  );
}

/** Returns true when the focused element sits inside the screen's main landmark. */
function focusIsInMain(): boolean {
  const active = document.activeElement;
  const main = document.querySelector("main");
  return main !== null && active !== null && active !== main && main.contains(active);
}

/** Renders the dialogs the window shell opens: the close question and the shortcuts list. */
function ShellDialogs({ shell }: { shell: AppShell }) {
  return (
    <>
      {shell.shortcutsOpen && <ShortcutsDialog onClose={() => shell.setShortcutsOpen(false)} />}
      {shell.closeRequest !== null && (
        <CloseDialog request={shell.closeRequest} onDone={shell.dismissClose} />
      )}
    </>
  );
}
