// An in-memory Backend for component tests. It keeps state the way the Rust side does: saving
// credentials changes the status, and deleting removes the library entry. It records every call.
// A test can make the next call of a method fail, or push job snapshots to watch_jobs subscribers.
import type { Backend, CredentialsInput, FileCheck } from "./backend";
import type {
  AppStatus,
  DownloadType,
  ErrorPayload,
  JobSnapshot,
  LibraryEntry,
  VideoRow,
} from "./types";

export type FakeCall = { method: keyof Backend; args: unknown[] };

export type FakeOptions = {
  status?: Partial<AppStatus>;
  videos?: VideoRow[];
  library?: LibraryEntry[];
  jobs?: JobSnapshot[];
  /** File checks by path; paths not listed are "ok". */
  files?: Record<string, FileCheck>;
  /** False makes saving to the keychain fail with `keychain_unavailable`. */
  keychainAvailable?: boolean;
  /** Path the folder picker returns; null means the user cancelled. */
  chosenDirectory?: string | null;
};

export const FAKE_STATUS: AppStatus = {
  demo: false,
  credentialSource: "none",
  accountId: null,
  apiBase: "https://api.cloudflare.com/client/v4",
  apiBaseFromEnv: false,
  libraryDir: "/home/user/Videos/Offstream",
  libraryDirFromEnv: false,
  keychainError: null,
};

export class FakeBackend implements Backend {
  status: AppStatus;
  videos: VideoRow[];
  library: LibraryEntry[];
  jobs: JobSnapshot[];
  files: Record<string, FileCheck>;
  keychainAvailable: boolean;
  chosenDirectory: string | null;
  readonly calls: FakeCall[] = [];

  private readonly failures = new Map<keyof Backend, ErrorPayload>();
  private readonly watchers: Array<(job: JobSnapshot) => void> = [];
  private nextJobId = 1;

  constructor(options: FakeOptions = {}) {
    this.status = { ...FAKE_STATUS, ...options.status };
    this.videos = options.videos ?? [];
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

  /** Sends a job snapshot to every watch_jobs subscriber, as the Rust channel does. */
  pushJob(job: JobSnapshot): void {
    for (const watcher of this.watchers) {
      watcher(job);
    }
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

  async startDownload(uid: string, downloadType: DownloadType): Promise<number> {
    await this.record("startDownload", [uid, downloadType]);
    const id = this.nextJobId;
    this.nextJobId += 1;
    return id;
  }

  async cancelDownload(jobId: number): Promise<void> {
    await this.record("cancelDownload", [jobId]);
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
}
