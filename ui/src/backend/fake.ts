// An in-memory Backend for component tests. It keeps state the way the Rust side does: saving
// credentials changes the status, and deleting removes the library entry. It records every call.
// A test can make the next call of a method fail, or push job snapshots to watch_jobs subscribers.
// Started jobs stay "queued" until a test pushes other snapshots. Pausing, resuming and
// cancelling change the fake's own snapshots and send them to subscribers like the Rust channel.
// Pasted signing keys get a subset of the Rust side's checks, and their material is never
// stored. The recorded call keeps only its length.
//
// `videos` is the account on Stream and `mirror` the local copy that cached_videos returns;
// sync_videos brings the mirror up to date with marks (see fake-sync.ts). Backups estimate
// from the mirror and stay running until a test finishes their videos (see fake-backup.ts).
// A test sends native menu actions and close requests with emitShell().
import {
  MAX_TRANSFERS,
  MIN_TRANSFERS,
  type Backend,
  type CredentialsInput,
  type FileCheck,
} from "./backend";
import { estimateFromMirror, isActiveOutcome, itemsOf, recount, settle } from "./fake-backup";
import { newestFirst, syncMirror } from "./fake-sync";
import type {
  AppStatus,
  BackupEstimate,
  BackupItemStatus,
  BackupOptions,
  BackupProgress,
  BackupSelection,
  CloseChoice,
  DownloadType,
  ErrorPayload,
  JobPhase,
  JobSnapshot,
  LibraryEntry,
  ManifestFormat,
  RestoreReport,
  ShellEvent,
  SigningKeyInput,
  SigningMode,
  SigningStatus,
  StorageOverview,
  SyncEvent,
  SyncMode,
  SyncSummary,
  VideoList,
  VideoRow,
} from "./types";

export type FakeCall = { method: keyof Backend; args: unknown[] };

export type FakeOptions = {
  status?: Partial<AppStatus>;
  /** Fields of `status.signing` that differ from FAKE_SIGNING. */
  signing?: Partial<SigningStatus>;
  /** The account's videos on Stream. */
  videos?: VideoRow[];
  /** The local mirror. Unless set, a copy of `videos`, newest first. */
  mirror?: VideoRow[];
  /** The last sync of the mirror. Unless set, null (never synced). */
  lastSync?: SyncSummary | null;
  /** True makes cached_videos report a sync that is still running. */
  syncing?: boolean;
  /**
   * Thumbnail URLs by uid that a sync fetches after it returned, as the app does in the
   * background before it sends "thumbnailsReady".
   */
  thumbnails?: Record<string, string>;
  backups?: BackupProgress[];
  /** Fields of the storage overview that differ from the fake's library and FAKE_VOLUME. */
  storage?: Partial<StorageOverview>;
  /** Path the save dialog returns. Null, the default, means the user cancelled. */
  savePath?: string | null;
  library?: LibraryEntry[];
  jobs?: JobSnapshot[];
  /** File checks by path; paths not listed are "ok". */
  files?: Record<string, FileCheck>;
  /** False makes saving to the keychain fail with `keychain_unavailable`. */
  keychainAvailable?: boolean;
  /** Path the folder picker returns; null means the user cancelled. */
  chosenDirectory?: string | null;
};

export const FAKE_SIGNING: SigningStatus = {
  mode: "none",
  keyId: null,
  keySource: null,
  tokenApiAllowed: false,
  clockSkewSeconds: null,
};

/** Id of the key that createSigningKey stores. */
export const FAKE_CREATED_KEY_ID = "8f9e7d6c5b4a39281706f5e4d3c2b1a0";

export const FAKE_STATUS: AppStatus = {
  demo: false,
  credentialSource: "none",
  accountId: null,
  apiBase: "https://api.cloudflare.com/client/v4",
  apiBaseFromEnv: false,
  libraryDir: "/home/user/Videos/Offstream",
  libraryDirFromEnv: false,
  logDir: "/home/user/.local/share/dev.offstream.app/logs",
  keychainError: null,
  signing: FAKE_SIGNING,
  maxTransfers: 2,
};

/** Free and total bytes of the fake library's volume. */
export const FAKE_VOLUME = { freeBytes: 120_000_000_000, volumeBytes: 500_000_000_000 };

/** Bytes of the fake thumbnail cache. */
export const FAKE_THUMBNAIL_BYTES = 2_400_000;

/** Phases the Rust queue pauses. A verifying job finishes instead. */
const PAUSABLE: ReadonlySet<JobPhase> = new Set(["queued", "preparing", "transferring"]);

const FINISHED: ReadonlySet<JobPhase> = new Set(["done", "failed", "cancelled"]);

/** Returns the mode as the Rust side derives it, where a stored key wins over the token endpoint. */
function signingModeOf(keyId: string | null, tokenApiAllowed: boolean): SigningMode {
  if (keyId !== null) {
    return "key";
  }
  return tokenApiAllowed ? "tokenApi" : "none";
}

/**
 * Decodes the base64 form that the keys API returns. Text that is not base64 is returned
 * unchanged, because a pasted PEM block or JWK JSON is accepted as it is.
 */
function decodeKeyMaterial(material: string): string {
  const compact = material.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+=*$/.test(compact)) {
    return material;
  }
  try {
    return atob(compact);
  } catch {
    return material;
  }
}

/** Returns the `kid` of a JWK private key, `""` for a JWK without one, or null for other text. */
function jwkKeyId(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) {
    return null;
  }
  const jwk = parsed as Record<string, unknown>;
  if (jwk.kty !== "RSA" || typeof jwk.d !== "string") {
    return null;
  }
  return typeof jwk.kid === "string" ? jwk.kid : "";
}

/**
 * Checks a pasted key for the mistakes add_signing_key also rejects: empty material, text that
 * is neither PEM nor JWK, and a missing or mismatched key id. Unlike Rust, it does not parse the
 * RSA key or require a 32-character hex id. Errors never contain the material.
 */
export function validateSigningKey(input: SigningKeyInput): ErrorPayload | null {
  const material = input.material.trim();
  if (material === "") {
    return {
      code: "invalid_key",
      message: "The signing key is empty. Paste the pem or jwk value that the keys API returned.",
    };
  }

  const decoded = decodeKeyMaterial(material);
  const isPem = /-----BEGIN (RSA )?PRIVATE KEY-----/.test(decoded);
  const kid = isPem ? null : jwkKeyId(decoded);
  if (!isPem && kid === null) {
    return {
      code: "invalid_key",
      message:
        "The signing key is neither a PEM private key nor a JWK, as text or base64. Paste the pem or jwk value that the keys API returned.",
    };
  }

  const keyId = input.keyId.trim();
  if (keyId === "" && (kid === null || kid === "")) {
    return {
      code: "invalid_key",
      message: "The key id is missing. Enter the id that the keys API returned with this key.",
    };
  }
  if (keyId !== "" && kid !== null && kid !== "" && kid !== keyId) {
    return {
      code: "invalid_key",
      message: `The key id "${keyId}" does not match the id in the JWK ("${kid}"). Enter the id that belongs to this key.`,
    };
  }
  return null;
}

/** Returns what the fake records of a SigningKeyInput, which is everything but the material. */
function redactKeyInput(input: SigningKeyInput): Omit<SigningKeyInput, "material"> & {
  materialLength: number;
} {
  return {
    keyId: input.keyId,
    materialLength: input.material.length,
    sessionOnly: input.sessionOnly,
  };
}

export class FakeBackend implements Backend {
  status: AppStatus;
  videos: VideoRow[];
  mirror: VideoRow[];
  lastSync: SyncSummary | null;
  syncing: boolean;
  thumbnails: Record<string, string>;
  backups: BackupProgress[];
  storage: Partial<StorageOverview>;
  savePath: string | null;
  library: LibraryEntry[];
  jobs: JobSnapshot[];
  files: Record<string, FileCheck>;
  keychainAvailable: boolean;
  chosenDirectory: string | null;
  readonly calls: FakeCall[] = [];

  private readonly failures = new Map<keyof Backend, ErrorPayload>();
  private readonly watchers: Array<(job: JobSnapshot) => void> = [];
  private readonly shellWatchers: Array<(event: ShellEvent) => void> = [];
  private nextJobId = 1;
  private syncGate: Promise<void> | null = null;

  constructor(options: FakeOptions = {}) {
    this.status = { ...FAKE_STATUS, ...options.status };
    this.status.signing = { ...this.status.signing, ...options.signing };
    this.videos = options.videos ?? [];
    this.mirror = options.mirror ?? newestFirst(this.videos);
    this.lastSync = options.lastSync ?? null;
    this.syncing = options.syncing ?? false;
    this.thumbnails = options.thumbnails ?? {};
    this.backups = options.backups ?? [];
    this.storage = options.storage ?? {};
    this.savePath = options.savePath ?? null;
    this.library = options.library ?? [];
    this.jobs = options.jobs ?? [];
    this.files = options.files ?? {};
    this.keychainAvailable = options.keychainAvailable ?? true;
    this.chosenDirectory = options.chosenDirectory ?? null;
  }

  /** Makes the next call of `method` reject with `error`. */
  failNext(method: keyof Backend, error: ErrorPayload): void {
    this.failures.set(method, error);
  }

  /**
   * Sends a job snapshot to every watch_jobs subscriber, as the Rust channel does, and keeps it
   * as the job's current state for pause, resume and cancel.
   */
  pushJob(job: JobSnapshot): void {
    const known = this.jobs.some((candidate) => candidate.id === job.id);
    this.jobs = known
      ? this.jobs.map((candidate) => (candidate.id === job.id ? job : candidate))
      : [...this.jobs, job];
    for (const watcher of this.watchers) {
      watcher(job);
    }
  }

  /** Sends a shell event to every watch_shell_events subscriber, as the native menu does. */
  emitShell(event: ShellEvent): void {
    for (const watcher of this.shellWatchers) {
      watcher(event);
    }
  }

  /** Returns the number of watch_shell_events subscribers. */
  get shellSubscribers(): number {
    return this.shellWatchers.length;
  }

  /**
   * Makes every sync_videos call wait, after its progress events, until the returned function
   * is called, so a test can look at the screen while a sync runs.
   */
  holdSyncs(): () => void {
    let release = () => {};
    this.syncGate = new Promise<void>((resolve) => {
      release = () => {
        this.syncGate = null;
        resolve();
      };
    });
    return release;
  }

  /**
   * Ends the first `count` waiting or running videos of a backup with `outcome`, and finishes
   * the backup (with its restore step) when none is left. A done video becomes offline in the
   * mirror.
   */
  finishBackupItems(id: number, count: number, outcome: "done" | "failed" = "done"): void {
    const backup = this.backup(id);
    let left = count;
    const items = backup.items.map((item): BackupItemStatus => {
      if (left === 0 || !isActiveOutcome(item.outcome) || item.outcome === "paused") {
        return item;
      }
      left -= 1;
      if (outcome === "done") {
        this.markOffline(item.uid, backup.downloadType);
        return { ...item, outcome };
      }
      return {
        ...item,
        outcome,
        error: { code: "not_ready", message: "Cloudflare reported an error preparing the MP4." },
      };
    });
    this.replaceBackup(settle({ ...backup, items }));
  }

  /** Returns the calls of one method, oldest first. */
  callsOf(method: keyof Backend): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  private async record(method: keyof Backend, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure !== undefined) {
      this.failures.delete(method);
      throw failure;
    }
  }

  async appStatus(): Promise<AppStatus> {
    await this.record("appStatus", []);
    return { ...this.status };
  }

  async saveCredentials(input: CredentialsInput): Promise<AppStatus> {
    await this.record("saveCredentials", [input]);
    if (input.accountId === "" || input.apiToken === "") {
      throw { code: "invalid_input", message: "The account id and the API token are required." };
    }
    if (!input.sessionOnly && !this.keychainAvailable) {
      throw {
        code: "keychain_unavailable",
        message: "No system keychain is available (Secret Service not found).",
      };
    }
    this.status = {
      ...this.status,
      credentialSource: input.sessionOnly ? "session" : "keychain",
      accountId: input.accountId,
    };
    return { ...this.status };
  }

  async forgetCredentials(): Promise<AppStatus> {
    await this.record("forgetCredentials", []);
    this.status = { ...this.status, credentialSource: "none", accountId: null };
    return { ...this.status };
  }

  async addSigningKey(input: SigningKeyInput): Promise<AppStatus> {
    await this.record("addSigningKey", [redactKeyInput(input)]);
    const invalid = validateSigningKey(input);
    if (invalid !== null) {
      throw invalid;
    }
    if (!input.sessionOnly && !this.keychainAvailable) {
      throw {
        code: "keychain_unavailable",
        message: "No system keychain is available (Secret Service not found).",
      };
    }

    const kid = jwkKeyId(decodeKeyMaterial(input.material.trim()));
    const keyId = input.keyId.trim() === "" ? (kid ?? "") : input.keyId.trim();
    this.setSigning({ keyId, keySource: input.sessionOnly ? "session" : "keychain" });
    return { ...this.status };
  }

  async createSigningKey(sessionOnly: boolean): Promise<AppStatus> {
    await this.record("createSigningKey", [sessionOnly]);
    // The Rust side revokes a new key that the keychain cannot store, so nothing is kept.
    if (!sessionOnly && !this.keychainAvailable) {
      throw {
        code: "keychain_unavailable",
        message: "No system keychain is available (Secret Service not found).",
      };
    }
    this.setSigning({
      keyId: FAKE_CREATED_KEY_ID,
      keySource: sessionOnly ? "session" : "keychain",
    });
    return { ...this.status };
  }

  async removeSigningKey(revoke: boolean): Promise<AppStatus> {
    await this.record("removeSigningKey", [revoke]);
    if (this.status.signing.keyId === null) {
      throw { code: "not_found", message: "No signing key is stored, so there is none to remove." };
    }
    this.setSigning({ keyId: null, keySource: null });
    return { ...this.status };
  }

  async setTokenApiFallback(allowed: boolean): Promise<AppStatus> {
    await this.record("setTokenApiFallback", [allowed]);
    this.setSigning({ tokenApiAllowed: allowed });
    return { ...this.status };
  }

  private setSigning(changes: Partial<SigningStatus>): void {
    const signing = { ...this.status.signing, ...changes };
    signing.mode = signingModeOf(signing.keyId, signing.tokenApiAllowed);
    this.status = { ...this.status, signing };
  }

  async setApiBase(apiBase: string | null): Promise<AppStatus> {
    await this.record("setApiBase", [apiBase]);
    this.status = { ...this.status, apiBase: apiBase ?? FAKE_STATUS.apiBase };
    return { ...this.status };
  }

  async setLibraryDir(path: string): Promise<AppStatus> {
    await this.record("setLibraryDir", [path]);
    this.status = { ...this.status, libraryDir: path };
    return { ...this.status };
  }

  async chooseDirectory(defaultPath: string | null): Promise<string | null> {
    await this.record("chooseDirectory", [defaultPath]);
    return this.chosenDirectory;
  }

  async listVideos(search: string | null): Promise<VideoRow[]> {
    await this.record("listVideos", [search]);
    if (search === null) {
      return [...this.videos];
    }
    const needle = search.toLowerCase();
    return this.videos.filter((video) => video.name.toLowerCase().includes(needle));
  }

  async cachedVideos(): Promise<VideoList> {
    await this.record("cachedVideos", []);
    return { videos: [...this.mirror], lastSync: this.lastSync, syncing: this.syncing };
  }

  async syncVideos(mode: SyncMode, onEvent: (event: SyncEvent) => void): Promise<SyncSummary> {
    await this.record("syncVideos", [mode]);
    const result = syncMirror(this.mirror, this.videos, mode, this.lastSync === null);
    for (const listed of result.listed) {
      onEvent({ kind: "progress", listed });
    }
    if (this.syncGate !== null) {
      await this.syncGate;
    }
    this.mirror = result.mirror;
    this.lastSync = result.summary;
    this.fetchThumbnails(onEvent);
    return result.summary;
  }

  async acknowledgeChanges(): Promise<number> {
    await this.record("acknowledgeChanges", []);
    const marked = this.mirror.filter((row) => row.change !== null).length;
    this.mirror = this.mirror.map((row) => (row.change === null ? row : { ...row, change: null }));
    return marked;
  }

  async estimateBackup(
    selection: BackupSelection,
    downloadType: DownloadType,
  ): Promise<BackupEstimate> {
    await this.record("estimateBackup", [selection, downloadType]);
    return estimateFromMirror(this.mirror, selection, downloadType);
  }

  async startBackup(
    selection: BackupSelection,
    downloadType: DownloadType,
    options: BackupOptions,
  ): Promise<BackupProgress> {
    await this.record("startBackup", [selection, downloadType, options]);
    const estimate = estimateFromMirror(this.mirror, selection, downloadType);
    const id = Math.max(0, ...this.backups.map((backup) => backup.id)) + 1;
    // The first videos start at once, as many as the queue transfers at the same time.
    let slots = this.status.maxTransfers;
    const items = itemsOf(estimate).map((item): BackupItemStatus => {
      if (item.outcome !== "queued" || slots === 0) {
        return item;
      }
      slots -= 1;
      return { ...item, outcome: "running", jobId: this.takeJobId() };
    });
    const backup = settle({
      id,
      state: "running",
      downloadType,
      restoreAccount: options.restoreAccount,
      total: 0,
      done: 0,
      failed: 0,
      skipped: 0,
      unavailable: 0,
      active: 0,
      restored: 0,
      items,
    });
    this.backups = [backup, ...this.backups];
    return backup;
  }

  async backupProgress(id: number): Promise<BackupProgress> {
    await this.record("backupProgress", [id]);
    return this.backup(id);
  }

  async listBackups(): Promise<BackupProgress[]> {
    await this.record("listBackups", []);
    return [...this.backups];
  }

  async cancelBackup(id: number): Promise<void> {
    await this.record("cancelBackup", [id]);
    const backup = this.backup(id);
    if (backup.state !== "running") {
      return;
    }
    const items = backup.items.map((item) =>
      isActiveOutcome(item.outcome) ? { ...item, outcome: "cancelled" as const } : item,
    );
    this.replaceBackup(recount({ ...backup, state: "cancelled", items }));
  }

  async restoreAccount(id: number): Promise<RestoreReport> {
    await this.record("restoreAccount", [id]);
    const backup = this.backup(id);
    let deleted = 0;
    const items = backup.items.map((item) => {
      if (item.outcome !== "done" || item.downloadDeleted) {
        return item;
      }
      deleted += 1;
      return { ...item, downloadDeleted: true };
    });
    this.replaceBackup(recount({ ...backup, items }));
    return { deleted, kept: 0, failed: 0 };
  }

  async chooseManifestPath(defaultName: string, format: ManifestFormat): Promise<string | null> {
    await this.record("chooseManifestPath", [defaultName, format]);
    return this.savePath;
  }

  async exportManifest(id: number, format: ManifestFormat, path: string): Promise<number> {
    await this.record("exportManifest", [id, format, path]);
    const backup = this.backup(id);
    return backup.items.filter((item) => item.outcome === "done" || item.outcome === "skipped")
      .length;
  }

  async storageOverview(): Promise<StorageOverview> {
    await this.record("storageOverview", []);
    return {
      libraryDir: this.status.libraryDir,
      libraryBytes: this.library.reduce((sum, entry) => sum + entry.bytes, 0),
      itemCount: this.library.length,
      ...FAKE_VOLUME,
      thumbnailBytes: FAKE_THUMBNAIL_BYTES,
      ...this.storage,
    };
  }

  /** Fills in the thumbnails of `thumbnails` after the current task, then announces them. */
  private fetchThumbnails(onEvent: (event: SyncEvent) => void): void {
    const missing = this.mirror.filter(
      (row) => row.thumbnailUrl === null && this.thumbnails[row.uid] !== undefined,
    );
    if (missing.length === 0) {
      return;
    }
    setTimeout(() => {
      this.mirror = this.mirror.map((row) => ({
        ...row,
        thumbnailUrl: row.thumbnailUrl ?? this.thumbnails[row.uid] ?? null,
      }));
      onEvent({ kind: "thumbnailsReady", fetched: missing.length });
    }, 0);
  }

  /** Returns a backup, or rejects the way Rust does for an unknown id. */
  private backup(id: number): BackupProgress {
    const backup = this.backups.find((candidate) => candidate.id === id);
    if (backup === undefined) {
      throw { code: "not_found", message: `No backup has the id ${id}.` };
    }
    return backup;
  }

  private replaceBackup(next: BackupProgress): void {
    this.backups = this.backups.map((backup) => (backup.id === next.id ? next : backup));
  }

  /** Changes the outcome of every backup item in `from` to `to`, as pausing all jobs does. */
  private moveBackupItems(from: BackupItemStatus["outcome"], to: BackupItemStatus["outcome"]) {
    this.backups = this.backups.map((backup) =>
      recount({
        ...backup,
        items: backup.items.map((item) =>
          item.outcome === from ? { ...item, outcome: to } : item,
        ),
      }),
    );
  }

  private markOffline(uid: string, downloadType: DownloadType): void {
    this.mirror = this.mirror.map((row) =>
      row.uid === uid && !row.offline.includes(downloadType)
        ? { ...row, offline: [...row.offline, downloadType] }
        : row,
    );
  }

  private takeJobId(): number {
    const id = Math.max(this.nextJobId, ...this.jobs.map((job) => job.id + 1));
    this.nextJobId = id + 1;
    return id;
  }

  async startDownload(uid: string, downloadType: DownloadType): Promise<number> {
    await this.record("startDownload", [uid, downloadType]);
    const id = this.takeJobId();
    this.jobs.push({
      id,
      uid,
      title: null,
      downloadType,
      phase: "queued",
      preparePercent: null,
      bytesDone: 0,
      bytesTotal: null,
      error: null,
      itemId: null,
      notice: null,
    });
    return id;
  }

  async cancelDownload(jobId: number, removePartial: boolean): Promise<void> {
    await this.record("cancelDownload", [jobId, removePartial]);
    const job = this.job(jobId);
    if (!FINISHED.has(job.phase)) {
      this.changeJob(job, {
        phase: "cancelled",
        notice: null,
        error: { code: "cancelled", message: "The download was cancelled." },
      });
    }
  }

  async pauseDownload(jobId: number): Promise<void> {
    await this.record("pauseDownload", [jobId]);
    const job = this.job(jobId);
    if (PAUSABLE.has(job.phase)) {
      this.changeJob(job, { phase: "paused", notice: null });
    }
  }

  async resumeDownload(jobId: number): Promise<void> {
    await this.record("resumeDownload", [jobId]);
    const job = this.job(jobId);
    if (job.phase === "paused") {
      this.changeJob(job, { phase: "queued", notice: null });
    }
  }

  async pauseAllDownloads(): Promise<void> {
    await this.record("pauseAllDownloads", []);
    for (const job of this.jobs.filter((candidate) => PAUSABLE.has(candidate.phase))) {
      this.changeJob(job, { phase: "paused", notice: null });
    }
    this.moveBackupItems("queued", "paused");
    this.moveBackupItems("running", "paused");
  }

  async resumeAllDownloads(): Promise<void> {
    await this.record("resumeAllDownloads", []);
    for (const job of this.jobs.filter((candidate) => candidate.phase === "paused")) {
      this.changeJob(job, { phase: "queued", notice: null });
    }
    this.moveBackupItems("paused", "queued");
  }

  async setMaxTransfers(count: number): Promise<AppStatus> {
    await this.record("setMaxTransfers", [count]);
    if (!Number.isInteger(count) || count < MIN_TRANSFERS || count > MAX_TRANSFERS) {
      throw {
        code: "invalid_input",
        message: `The number of simultaneous transfers must be a whole number from ${MIN_TRANSFERS} to ${MAX_TRANSFERS}, not ${count}.`,
      };
    }
    this.status = { ...this.status, maxTransfers: count };
    return { ...this.status };
  }

  /** Returns the fake's snapshot of a job, or rejects the way Rust does for an unknown id. */
  private job(jobId: number): JobSnapshot {
    const job = this.jobs.find((candidate) => candidate.id === jobId);
    if (job === undefined) {
      throw { code: "unknown_job", message: `No download job has the id ${jobId}.` };
    }
    return job;
  }

  /** Replaces a job's snapshot and sends the new one to every subscriber. */
  private changeJob(job: JobSnapshot, changes: Partial<JobSnapshot>): void {
    this.pushJob({ ...job, ...changes });
  }

  async watchJobs(onEvent: (job: JobSnapshot) => void): Promise<JobSnapshot[]> {
    await this.record("watchJobs", []);
    this.watchers.push(onEvent);
    return [...this.jobs];
  }

  async listLibrary(): Promise<LibraryEntry[]> {
    await this.record("listLibrary", []);
    return [...this.library];
  }

  async deleteLibraryItem(id: number): Promise<void> {
    await this.record("deleteLibraryItem", [id]);
    this.library = this.library.filter((entry) => entry.id !== id);
  }

  async revealLibraryItem(id: number): Promise<void> {
    await this.record("revealLibraryItem", [id]);
  }

  async checkFile(path: string, expectedBytes: number): Promise<FileCheck> {
    await this.record("checkFile", [path, expectedBytes]);
    return this.files[path] ?? { state: "ok" };
  }

  async startDragOut(path: string): Promise<void> {
    await this.record("startDragOut", [path]);
  }

  async watchShellEvents(onEvent: (event: ShellEvent) => void): Promise<void> {
    await this.record("watchShellEvents", []);
    this.shellWatchers.push(onEvent);
  }

  async closeChoice(choice: CloseChoice): Promise<void> {
    await this.record("closeChoice", [choice]);
  }

  async requestQuit(): Promise<void> {
    await this.record("requestQuit", []);
  }

  async openLogFolder(): Promise<void> {
    await this.record("openLogFolder", []);
  }

  async openLibraryFolder(): Promise<void> {
    await this.record("openLibraryFolder", []);
  }
}
