// The Backend that runs inside the Tauri webview: app commands through `invoke`, job and sync
// progress through a `Channel`, and the dialog, fs and drag plugins. Argument keys are camelCase here;
// Tauri maps them to the snake_case parameters of the Rust commands.
import { startDrag } from "@crabnebula/tauri-plugin-drag";
import { Channel, invoke } from "@tauri-apps/api/core";
import { open, save } from "@tauri-apps/plugin-dialog";
import { exists, stat } from "@tauri-apps/plugin-fs";

import dragIcon from "../assets/drag-icon.png?inline";
import { toErrorPayload, type Backend, type CredentialsInput, type FileCheck } from "./backend";
import type {
  AppStatus,
  BackupEstimate,
  BackupOptions,
  BackupProgress,
  BackupSelection,
  CloseChoice,
  DownloadType,
  JobSnapshot,
  LibraryEntry,
  ManifestFormat,
  RestoreReport,
  ShellEvent,
  SigningKeyInput,
  StorageOverview,
  SyncEvent,
  SyncMode,
  SyncSummary,
  VideoList,
  VideoRow,
} from "./types";

const MANIFEST_FILTERS: Record<ManifestFormat, { name: string; extensions: string[] }> = {
  json: { name: "JSON manifest", extensions: ["json"] },
  csv: { name: "CSV manifest", extensions: ["csv"] },
};

/** Copies the fields of a selection one by one, so nothing else on the object crosses the IPC. */
function selectionArgument(selection: BackupSelection): BackupSelection {
  return {
    uids: selection.uids,
    search: selection.search,
    since: selection.since,
    until: selection.until,
    creator: selection.creator,
  };
}

/** Calls a command and turns any rejection into an ErrorPayload. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toErrorPayload(error);
  }
}

export class TauriBackend implements Backend {
  appStatus(): Promise<AppStatus> {
    return call("app_status");
  }

  saveCredentials(input: CredentialsInput): Promise<AppStatus> {
    return call("save_credentials", {
      accountId: input.accountId,
      apiToken: input.apiToken,
      sessionOnly: input.sessionOnly,
    });
  }

  forgetCredentials(): Promise<AppStatus> {
    return call("forget_credentials");
  }

  addSigningKey(input: SigningKeyInput): Promise<AppStatus> {
    // Lists the fields one by one, so nothing else that sits on the object crosses the IPC.
    return call("add_signing_key", {
      input: { keyId: input.keyId, material: input.material, sessionOnly: input.sessionOnly },
    });
  }

  createSigningKey(sessionOnly: boolean): Promise<AppStatus> {
    return call("create_signing_key", { sessionOnly });
  }

  removeSigningKey(revoke: boolean): Promise<AppStatus> {
    return call("remove_signing_key", { revoke });
  }

  setTokenApiFallback(allowed: boolean): Promise<AppStatus> {
    return call("set_token_api_fallback", { allowed });
  }

  setApiBase(apiBase: string | null): Promise<AppStatus> {
    return call("set_api_base", { apiBase });
  }

  setLibraryDir(path: string): Promise<AppStatus> {
    return call("set_library_dir", { path });
  }

  async chooseDirectory(defaultPath: string | null): Promise<string | null> {
    try {
      const chosen = await open({
        directory: true,
        multiple: false,
        title: "Choose the library folder",
        defaultPath: defaultPath ?? undefined,
      });
      return chosen;
    } catch (error) {
      throw toErrorPayload(error);
    }
  }

  listVideos(search: string | null): Promise<VideoRow[]> {
    return call("list_videos", { search });
  }

  cachedVideos(): Promise<VideoList> {
    return call("cached_videos");
  }

  syncVideos(mode: SyncMode, onEvent: (event: SyncEvent) => void): Promise<SyncSummary> {
    const channel = new Channel<SyncEvent>();
    channel.onmessage = onEvent;
    return call("sync_videos", { mode, onEvent: channel });
  }

  acknowledgeChanges(): Promise<number> {
    return call("acknowledge_changes");
  }

  estimateBackup(selection: BackupSelection, downloadType: DownloadType): Promise<BackupEstimate> {
    return call("estimate_backup", { selection: selectionArgument(selection), downloadType });
  }

  startBackup(
    selection: BackupSelection,
    downloadType: DownloadType,
    options: BackupOptions,
  ): Promise<BackupProgress> {
    return call("start_backup", {
      selection: selectionArgument(selection),
      downloadType,
      options: { restoreAccount: options.restoreAccount },
    });
  }

  backupProgress(id: number): Promise<BackupProgress> {
    return call("backup_progress", { id });
  }

  listBackups(): Promise<BackupProgress[]> {
    return call("list_backups");
  }

  cancelBackup(id: number): Promise<void> {
    return call("cancel_backup", { id });
  }

  restoreAccount(id: number): Promise<RestoreReport> {
    return call("restore_account", { id });
  }

  async chooseManifestPath(defaultName: string, format: ManifestFormat): Promise<string | null> {
    try {
      return await save({
        title: "Save the backup manifest",
        defaultPath: defaultName,
        filters: [MANIFEST_FILTERS[format]],
      });
    } catch (error) {
      throw toErrorPayload(error);
    }
  }

  exportManifest(id: number, format: ManifestFormat, path: string): Promise<number> {
    return call("export_manifest", { id, format, path });
  }

  storageOverview(): Promise<StorageOverview> {
    return call("storage_overview");
  }

  startDownload(uid: string, downloadType: DownloadType): Promise<number> {
    return call("start_download", { uid, downloadType });
  }

  cancelDownload(jobId: number, removePartial: boolean): Promise<void> {
    return call("cancel_download", { jobId, removePartial });
  }

  pauseDownload(jobId: number): Promise<void> {
    return call("pause_download", { jobId });
  }

  resumeDownload(jobId: number): Promise<void> {
    return call("resume_download", { jobId });
  }

  pauseAllDownloads(): Promise<void> {
    return call("pause_all_downloads");
  }

  resumeAllDownloads(): Promise<void> {
    return call("resume_all_downloads");
  }

  setMaxTransfers(count: number): Promise<AppStatus> {
    return call("set_max_transfers", { count });
  }

  watchJobs(onEvent: (job: JobSnapshot) => void): Promise<JobSnapshot[]> {
    const channel = new Channel<JobSnapshot>();
    channel.onmessage = onEvent;
    return call("watch_jobs", { onEvent: channel });
  }

  listLibrary(): Promise<LibraryEntry[]> {
    return call("list_library");
  }

  deleteLibraryItem(id: number): Promise<void> {
    return call("delete_library_item", { id });
  }

  revealLibraryItem(id: number): Promise<void> {
    return call("reveal_library_item", { id });
  }

  async checkFile(path: string, expectedBytes: number): Promise<FileCheck> {
    // The fs plugin accepts only paths inside the scope Rust grants (the library folder), so a
    // rejection means "cannot tell", not "missing".
    try {
      if (!(await exists(path))) {
        return { state: "missing" };
      }
      const info = await stat(path);
      if (info.size !== expectedBytes) {
        return { state: "size-mismatch", actualBytes: info.size };
      }
      return { state: "ok" };
    } catch (error) {
      return { state: "unknown", reason: toErrorPayload(error).message };
    }
  }

  async startDragOut(path: string): Promise<void> {
    try {
      await startDrag({ item: [path], icon: dragIcon });
    } catch (error) {
      throw toErrorPayload(error);
    }
  }

  watchShellEvents(onEvent: (event: ShellEvent) => void): Promise<void> {
    const channel = new Channel<ShellEvent>();
    channel.onmessage = onEvent;
    return call("watch_shell_events", { channel });
  }

  closeChoice(choice: CloseChoice): Promise<void> {
    return call("close_choice", { choice });
  }

  requestQuit(): Promise<void> {
    return call("request_quit");
  }

  openLogFolder(): Promise<void> {
    return call("open_log_folder");
  }

  openLibraryFolder(): Promise<void> {
    return call("open_library_folder");
  }
}
