// The interface between the UI and everything outside the webview: the app's Rust commands and
// the dialog, fs and drag plugins. Components receive a Backend through BackendProvider and never
// call Tauri themselves, so the whole UI runs in vitest against FakeBackend.
//
// Every method that fails rejects with an ErrorPayload `{code, message}`: the Rust commands
// already reject that way, and the Tauri implementation wraps plugin errors into the same shape.
import type {
  AppStatus,
  BackupEstimate,
  BackupOptions,
  BackupProgress,
  BackupSelection,
  CloseChoice,
  DownloadType,
  ErrorPayload,
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

/** Arguments of `save_credentials`. The token is sent once and never returned. */
export type CredentialsInput = {
  accountId: string;
  apiToken: string;
  /** Keep the credentials in memory for this run only instead of the OS keychain. */
  sessionOnly: boolean;
};

/** Result of comparing a library file on disk with its catalog entry. */
export type FileCheck =
  | { state: "ok" }
  | { state: "missing" }
  | { state: "size-mismatch"; actualBytes: number }
  /** The file could not be inspected, for example because the fs scope rejected the path. */
  | { state: "unknown"; reason: string };

export interface Backend {
  /** Returns the credential source, account, API base and library folder in use. */
  appStatus(): Promise<AppStatus>;

  /** Verifies the token with one API call, then stores the credentials. */
  saveCredentials(input: CredentialsInput): Promise<AppStatus>;

  /** Removes stored credentials from the keychain and from memory. */
  forgetCredentials(): Promise<AppStatus>;

  /**
   * Validates a pasted signing key and stores it in the keychain, or in memory for this run when
   * `input.sessionOnly` is set. The key material is never returned or shown in an error.
   */
  addSigningKey(input: SigningKeyInput): Promise<AppStatus>;

  /**
   * Creates a signing key on the account (`POST .../stream/keys`) and stores it in the keychain,
   * or in memory for this run when `sessionOnly` is set. Call it only after the user confirmed,
   * because it changes the Cloudflare account. A key that cannot be stored is revoked again.
   */
  createSigningKey(sessionOnly: boolean): Promise<AppStatus>;

  /**
   * Removes the stored signing key. With `revoke`, also revokes it on Cloudflare, which makes
   * every token signed with it stop working.
   */
  removeSigningKey(revoke: boolean): Promise<AppStatus>;

  /** Allows or forbids requesting a token from the API's token endpoint when no key is stored. */
  setTokenApiFallback(allowed: boolean): Promise<AppStatus>;

  /** Sets the API base URL; `null` restores the default. */
  setApiBase(apiBase: string | null): Promise<AppStatus>;

  /** Moves the library to another folder. */
  setLibraryDir(path: string): Promise<AppStatus>;

  /** Opens a folder picker; resolves to `null` when the user cancels. */
  chooseDirectory(defaultPath: string | null): Promise<string | null>;

  /** Lists the account's videos, filtered on the server when `search` is set. */
  listVideos(search: string | null): Promise<VideoRow[]>;

  /** Returns the account's video list from the local mirror, without any network request. */
  cachedVideos(): Promise<VideoList>;

  /**
   * Syncs the mirror with the account: a "quick" sync reads only new uploads, a "full" one
   * walks the whole list and also detects renames and deletions. `onEvent` receives the count of
   * videos listed so far.
   */
  syncVideos(mode: SyncMode, onEvent: (event: SyncEvent) => void): Promise<SyncSummary>;

  /** Clears the New, Renamed and Removed marks of the mirror and returns how many it cleared. */
  acknowledgeChanges(): Promise<number>;

  /** Computes from the mirror what a backup of `selection` would download, skip and cost. */
  estimateBackup(selection: BackupSelection, downloadType: DownloadType): Promise<BackupEstimate>;

  /** Estimates `selection` again from the mirror and starts a backup of it. */
  startBackup(
    selection: BackupSelection,
    downloadType: DownloadType,
    options: BackupOptions,
  ): Promise<BackupProgress>;

  /** Returns the counts and per-video states of one backup. */
  backupProgress(id: number): Promise<BackupProgress>;

  /** Lists every backup, newest first. */
  listBackups(): Promise<BackupProgress[]>;

  /** Cancels the videos of a backup that have not finished. Finished files stay in the library. */
  cancelBackup(id: number): Promise<void>;

  /** Deletes the downloads on Stream that the backup enabled and that did not exist before it. */
  restoreAccount(id: number): Promise<RestoreReport>;

  /** Opens a save dialog for a manifest file; resolves to `null` when the user cancels. */
  chooseManifestPath(defaultName: string, format: ManifestFormat): Promise<string | null>;

  /** Writes the manifest of a backup to `path` and returns the number of rows written. */
  exportManifest(id: number, format: ManifestFormat, path: string): Promise<number>;

  /** Returns the space the library and the thumbnail cache use, and the space left. */
  storageOverview(): Promise<StorageOverview>;

  /** Queues a download and returns its job id. */
  startDownload(uid: string, downloadType: DownloadType): Promise<number>;

  /**
   * Cancels a queued, running or paused job. Its partial file is kept for a later download of
   * the same video unless `removePartial` is set.
   */
  cancelDownload(jobId: number, removePartial: boolean): Promise<void>;

  /**
   * Pauses a queued or running job: its transfer stops and its partial file is kept. The
   * phase becomes "paused" once the job has stopped, which a job snapshot announces.
   */
  pauseDownload(jobId: number): Promise<void>;

  /** Resumes a paused job from its partial file. It waits in "queued" for a transfer slot. */
  resumeDownload(jobId: number): Promise<void>;

  /** Pauses every queued or running job. */
  pauseAllDownloads(): Promise<void>;

  /** Resumes every paused job. */
  resumeAllDownloads(): Promise<void>;

  /** Sets how many downloads transfer at the same time, from 1 to 8. */
  setMaxTransfers(count: number): Promise<AppStatus>;

  /**
   * Subscribes `onEvent` to every job change and returns the jobs as they are now. Call it again
   * after a page reload, because the subscription ends with the page.
   */
  watchJobs(onEvent: (job: JobSnapshot) => void): Promise<JobSnapshot[]>;

  /** Lists the offline library, each entry with the URL the player loads it from. */
  listLibrary(): Promise<LibraryEntry[]>;

  /** Deletes an item's file and its catalog row. */
  deleteLibraryItem(id: number): Promise<void>;

  /** Shows an item's file in the system file manager. */
  revealLibraryItem(id: number): Promise<void>;

  /** Compares the file at `path` with the size the catalog recorded. Never rejects. */
  checkFile(path: string, expectedBytes: number): Promise<FileCheck>;

  /** Starts dragging the file at `path` out of the window; call it while the mouse button is down. */
  startDragOut(path: string): Promise<void>;

  /**
   * Subscribes `onEvent` to the window's native menu and its close requests. Call it once per
   * page, because the subscription ends with the page.
   */
  watchShellEvents(onEvent: (event: ShellEvent) => void): Promise<void>;

  /** Sends the user's choice for a close request: keep downloading, stop and quit, or cancel. */
  closeChoice(choice: CloseChoice): Promise<void>;

  /** Quits the app, or sends a close request first when downloads or a backup are running. */
  requestQuit(): Promise<void>;

  /** Opens the folder of the app's log files in the system file manager. */
  openLogFolder(): Promise<void>;

  /** Opens the library folder in the system file manager. */
  openLibraryFolder(): Promise<void>;
}

/** The range `set_max_transfers` accepts. */
export const MIN_TRANSFERS = 1;
export const MAX_TRANSFERS = 8;

/** Error codes of a failed keychain write, after which the UI offers to keep a secret for this run. */
export const KEYCHAIN_ERROR_CODES: ReadonlySet<string> = new Set([
  "keychain_unavailable",
  "keychain_locked",
]);

/** Returns true when `value` has the `{code, message}` shape of a command error. */
export function isErrorPayload(value: unknown): value is ErrorPayload {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const record = value as Record<string, unknown>;
  return typeof record.code === "string" && typeof record.message === "string";
}

/**
 * Converts anything a promise rejected with into an ErrorPayload. Plugin commands reject with a
 * plain string, and code bugs throw Error objects, so both get the code `unexpected`.
 */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (isErrorPayload(error)) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    return { code: "unexpected", message: error.message };
  }
  if (typeof error === "string" && error.length > 0) {
    return { code: "unexpected", message: error };
  }
  return { code: "unexpected", message: "The operation failed without an error message." };
}
