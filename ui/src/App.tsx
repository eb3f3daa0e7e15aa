// The app shell: loads the status, follows the download jobs, and switches between screens.
// It keeps what outlives a screen: the job store and the memory of full syncs.
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

  // Move focus to the new screen's heading after navigation, for keyboard and screen reader users.
  useEffect(() => {
    if (navigated.current) {
      document.getElementById("view-heading")?.focus();
    }
  }, [view]);

  const navigate = useCallback((next: View) => {
    navigated.current = true;
    setView(next);
  }, []);

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
      <p className="loading app-loading" role="status">
        Starting Offstream…
      </p>
    );
  }

  if (state.kind === "failed") {
    return (
      <main className="view">
        <ErrorMessage
          title="Offstream could not read its settings"
          error={state.error}
          onRetry={() => void loadStatus()}
        />
      </main>
    );
  }

  const { status } = state;

  return (
    <div className="app">
      <Header status={status} view={view} onNavigate={navigate} />
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
        />
      )}
    </div>
  );
}
