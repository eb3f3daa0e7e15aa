import type { Channel } from "@tauri-apps/api/core";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";

import { EMPTY_SELECTION } from "../backup/selection";
import { makeJob, makeSummary } from "../test/fixtures";
import { FAKE_STATUS } from "./fake";
import { TauriBackend } from "./tauri";
import type { JobSnapshot, ShellEvent, SyncEvent } from "./types";

const SELECTION = { ...EMPTY_SELECTION, search: "keynote", since: "2025-01-01" };

type Invocation = { cmd: string; args: Record<string, unknown> | undefined };

/** Records every IPC call and resolves it with the value `respond` returns. */
function recordIPC(respond: (cmd: string, args: Record<string, unknown>) => unknown = () => null) {
  const invocations: Invocation[] = [];
  mockIPC((cmd, args) => {
    const record = args as Record<string, unknown> | undefined;
    invocations.push({ cmd, args: record });
    return respond(cmd, record ?? {});
  });
  return invocations;
}

/** Delivers `message` the way Tauri's Rust side does: by callback id, with an ordering index. */
function sendOnChannel<T>(channel: Channel<T>, index: number, message: T) {
  const internals = (window as unknown as { __TAURI_INTERNALS__: Record<string, unknown> })
    .__TAURI_INTERNALS__;
  const runCallback = internals.runCallback as (id: number, data: unknown) => void;
  runCallback(channel.id, { index, message });
}

afterEach(() => {
  clearMocks();
});

describe("TauriBackend commands", () => {
  const backend = new TauriBackend();

  it.each<[string, (b: TauriBackend) => Promise<unknown>, string, Record<string, unknown>]>([
    ["appStatus", (b) => b.appStatus(), "app_status", {}],
    [
      "saveCredentials",
      (b) => b.saveCredentials({ accountId: "acc", apiToken: "tok", sessionOnly: true }),
      "save_credentials",
      { accountId: "acc", apiToken: "tok", sessionOnly: true },
    ],
    ["forgetCredentials", (b) => b.forgetCredentials(), "forget_credentials", {}],
    [
      "addSigningKey",
      (b) => b.addSigningKey({ keyId: "k1", material: "pem", sessionOnly: false }),
      "add_signing_key",
      { input: { keyId: "k1", material: "pem", sessionOnly: false } },
    ],
    [
      "createSigningKey",
      (b) => b.createSigningKey(true),
      "create_signing_key",
      { sessionOnly: true },
    ],
    ["removeSigningKey", (b) => b.removeSigningKey(true), "remove_signing_key", { revoke: true }],
    [
      "setTokenApiFallback",
      (b) => b.setTokenApiFallback(false),
      "set_token_api_fallback",
      { allowed: false },
    ],
    [
      "setApiBase",
      (b) => b.setApiBase("http://127.0.0.1:9"),
      "set_api_base",
      { apiBase: "http://127.0.0.1:9" },
    ],
    ["setApiBase default", (b) => b.setApiBase(null), "set_api_base", { apiBase: null }],
    ["setLibraryDir", (b) => b.setLibraryDir("/srv/lib"), "set_library_dir", { path: "/srv/lib" }],
    ["listVideos", (b) => b.listVideos(null), "list_videos", { search: null }],
    ["listVideos search", (b) => b.listVideos("intro"), "list_videos", { search: "intro" }],
    [
      "startDownload",
      (b) => b.startDownload("uid1", "audio"),
      "start_download",
      { uid: "uid1", downloadType: "audio" },
    ],
    [
      "cancelDownload",
      (b) => b.cancelDownload(4, false),
      "cancel_download",
      { jobId: 4, removePartial: false },
    ],
    [
      "cancelDownload removing partial",
      (b) => b.cancelDownload(4, true),
      "cancel_download",
      { jobId: 4, removePartial: true },
    ],
    ["pauseDownload", (b) => b.pauseDownload(4), "pause_download", { jobId: 4 }],
    ["resumeDownload", (b) => b.resumeDownload(4), "resume_download", { jobId: 4 }],
    ["pauseAllDownloads", (b) => b.pauseAllDownloads(), "pause_all_downloads", {}],
    ["resumeAllDownloads", (b) => b.resumeAllDownloads(), "resume_all_downloads", {}],
    ["setMaxTransfers", (b) => b.setMaxTransfers(3), "set_max_transfers", { count: 3 }],
    ["listLibrary", (b) => b.listLibrary(), "list_library", {}],
    ["deleteLibraryItem", (b) => b.deleteLibraryItem(3), "delete_library_item", { id: 3 }],
    ["revealLibraryItem", (b) => b.revealLibraryItem(3), "reveal_library_item", { id: 3 }],
    ["cachedVideos", (b) => b.cachedVideos(), "cached_videos", {}],
    ["acknowledgeChanges", (b) => b.acknowledgeChanges(), "acknowledge_changes", {}],
    [
      "estimateBackup",
      (b) => b.estimateBackup(SELECTION, "audio"),
      "estimate_backup",
      { selection: SELECTION, downloadType: "audio" },
    ],
    [
      "startBackup",
      (b) => b.startBackup(SELECTION, "default", { restoreAccount: true }),
      "start_backup",
      { selection: SELECTION, downloadType: "default", options: { restoreAccount: true } },
    ],
    ["backupProgress", (b) => b.backupProgress(5), "backup_progress", { id: 5 }],
    ["listBackups", (b) => b.listBackups(), "list_backups", {}],
    ["cancelBackup", (b) => b.cancelBackup(5), "cancel_backup", { id: 5 }],
    ["restoreAccount", (b) => b.restoreAccount(5), "restore_account", { id: 5 }],
    [
      "exportManifest",
      (b) => b.exportManifest(5, "csv", "/home/user/m.csv"),
      "export_manifest",
      { id: 5, format: "csv", path: "/home/user/m.csv" },
    ],
    ["storageOverview", (b) => b.storageOverview(), "storage_overview", {}],
    [
      "closeChoice",
      (b) => b.closeChoice("keepInBackground"),
      "close_choice",
      { choice: "keepInBackground" },
    ],
    ["requestQuit", (b) => b.requestQuit(), "request_quit", {}],
    ["openLogFolder", (b) => b.openLogFolder(), "open_log_folder", {}],
    ["openLibraryFolder", (b) => b.openLibraryFolder(), "open_library_folder", {}],
  ])("%s sends its command", async (_name, run, cmd, args) => {
    const invocations = recordIPC();

    await run(backend);

    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.cmd).toBe(cmd);
    expect(invocations[0]?.args ?? {}).toEqual(args);
  });

  it("addSigningKey sends only input fields", async () => {
    const invocations = recordIPC();
    const input = { keyId: "k1", material: "pem", sessionOnly: true, note: "extra" };

    await backend.addSigningKey(input);

    expect(invocations[0]?.args).toEqual({
      input: { keyId: "k1", material: "pem", sessionOnly: true },
    });
  });

  it("returns command result", async () => {
    recordIPC(() => FAKE_STATUS);

    await expect(backend.appStatus()).resolves.toEqual(FAKE_STATUS);
  });

  it("passes error payload through", async () => {
    mockIPC(() => {
      throw { code: "auth", message: "Cloudflare rejected the API token." };
    });

    await expect(
      backend.saveCredentials({ accountId: "a", apiToken: "t", sessionOnly: false }),
    ).rejects.toEqual({ code: "auth", message: "Cloudflare rejected the API token." });
  });

  it("wraps string rejection", async () => {
    mockIPC(() => {
      throw "Command list_videos not allowed by ACL";
    });

    await expect(backend.listVideos(null)).rejects.toEqual({
      code: "unexpected",
      message: "Command list_videos not allowed by ACL",
    });
  });
});

describe("TauriBackend selection", () => {
  it("sends only selection fields", async () => {
    const invocations = recordIPC();

    await new TauriBackend().estimateBackup({ ...SELECTION, note: "extra" } as never, "default");

    expect(invocations[0]?.args?.selection).toEqual(SELECTION);
  });
});

describe("TauriBackend syncVideos", () => {
  it("sends mode and channel", async () => {
    const summary = makeSummary();
    const invocations = recordIPC(() => summary);
    const received: SyncEvent[] = [];

    const result = await new TauriBackend().syncVideos("quick", (event) => received.push(event));

    expect(result).toEqual(summary);
    expect(invocations[0]?.cmd).toBe("sync_videos");
    expect(invocations[0]?.args?.mode).toBe("quick");
    const channel = invocations[0]?.args?.onEvent as Channel<SyncEvent>;
    sendOnChannel(channel, 0, { kind: "progress", listed: 1000 });
    sendOnChannel(channel, 1, { kind: "progress", listed: 2000 });

    expect(received).toEqual([
      { kind: "progress", listed: 1000 },
      { kind: "progress", listed: 2000 },
    ]);
  });
});

describe("TauriBackend watchJobs", () => {
  it("sends a channel and forwards messages", async () => {
    const current = [makeJob({ id: 1, phase: "transferring" })];
    const invocations = recordIPC(() => current);
    const received: JobSnapshot[] = [];

    const jobs = await new TauriBackend().watchJobs((job) => received.push(job));

    expect(jobs).toEqual(current);
    expect(invocations[0]?.cmd).toBe("watch_jobs");
    const channel = invocations[0]?.args?.onEvent as Channel<JobSnapshot>;
    expect(typeof channel.id).toBe("number");

    sendOnChannel(channel, 0, makeJob({ id: 1, phase: "verifying" }));
    sendOnChannel(channel, 1, makeJob({ id: 1, phase: "done" }));

    expect(received.map((job) => job.phase)).toEqual(["verifying", "done"]);
  });

  it("delivers channel messages in order", async () => {
    const invocations = recordIPC(() => []);
    const received: JobSnapshot[] = [];
    await new TauriBackend().watchJobs((job) => received.push(job));
    const channel = invocations[0]?.args?.onEvent as Channel<JobSnapshot>;

    sendOnChannel(channel, 1, makeJob({ phase: "done" }));
    sendOnChannel(channel, 0, makeJob({ phase: "verifying" }));

    expect(received.map((job) => job.phase)).toEqual(["verifying", "done"]);
  });
});

describe("TauriBackend watchShellEvents", () => {
  it("sends a channel and forwards events", async () => {
    const invocations = recordIPC();
    const received: ShellEvent[] = [];

    await new TauriBackend().watchShellEvents((event) => received.push(event));

    expect(invocations[0]?.cmd).toBe("watch_shell_events");
    const channel = invocations[0]?.args?.channel as Channel<ShellEvent>;
    expect(typeof channel.id).toBe("number");

    sendOnChannel(channel, 0, { kind: "menu", action: "refresh" });
    sendOnChannel(channel, 1, { kind: "closeRequested", activeJobs: 2, backupRunning: false });

    expect(received).toEqual([
      { kind: "menu", action: "refresh" },
      { kind: "closeRequested", activeJobs: 2, backupRunning: false },
    ]);
  });
});

describe("TauriBackend plugins", () => {
  const backend = new TauriBackend();

  it("chooseDirectory opens folder dialog", async () => {
    const invocations = recordIPC(() => "/media/archive");

    const chosen = await backend.chooseDirectory("/home/user/Videos");

    expect(chosen).toBe("/media/archive");
    expect(invocations[0]?.cmd).toBe("plugin:dialog|open");
    expect(invocations[0]?.args?.options).toMatchObject({
      directory: true,
      multiple: false,
      defaultPath: "/home/user/Videos",
    });
  });

  it("chooseManifestPath opens save dialog", async () => {
    const invocations = recordIPC(() => "/home/user/backup.csv");

    const chosen = await backend.chooseManifestPath("offstream-backup-3.csv", "csv");

    expect(chosen).toBe("/home/user/backup.csv");
    expect(invocations[0]?.cmd).toBe("plugin:dialog|save");
    expect(invocations[0]?.args?.options).toMatchObject({
      defaultPath: "offstream-backup-3.csv",
      filters: [{ name: "CSV manifest", extensions: ["csv"] }],
    });
  });

  it("chooseManifestPath cancel is null", async () => {
    recordIPC(() => null);

    await expect(backend.chooseManifestPath("m.json", "json")).resolves.toBeNull();
  });

  it("startDragOut drags the path", async () => {
    const invocations = recordIPC();

    await backend.startDragOut("/lib/Intro.mp4");

    expect(invocations[0]?.cmd).toBe("plugin:drag|start_drag");
    expect(invocations[0]?.args?.item).toEqual(["/lib/Intro.mp4"]);
    expect(invocations[0]?.args?.image).toMatch(/^data:image\/png;base64,/);
  });

  function fsResponder(present: boolean, size: number) {
    return (cmd: string) => {
      if (cmd === "plugin:fs|exists") {
        return present;
      }
      if (cmd === "plugin:fs|stat") {
        return { isFile: true, size, mtime: null, atime: null, birthtime: null };
      }
      throw `unexpected command ${cmd}`;
    };
  }

  it("checkFile ok", async () => {
    const invocations = recordIPC(fsResponder(true, 100));

    await expect(backend.checkFile("/lib/a.mp4", 100)).resolves.toEqual({ state: "ok" });
    expect(invocations.map((call) => [call.cmd, call.args?.path])).toEqual([
      ["plugin:fs|exists", "/lib/a.mp4"],
      ["plugin:fs|stat", "/lib/a.mp4"],
    ]);
  });

  it("checkFile missing", async () => {
    recordIPC(fsResponder(false, 0));

    await expect(backend.checkFile("/lib/a.mp4", 100)).resolves.toEqual({ state: "missing" });
  });

  it("checkFile size mismatch", async () => {
    recordIPC(fsResponder(true, 42));

    await expect(backend.checkFile("/lib/a.mp4", 100)).resolves.toEqual({
      state: "size-mismatch",
      actualBytes: 42,
    });
  });

  it("checkFile scope rejection", async () => {
    mockIPC(() => {
      throw "forbidden path: /lib/a.mp4";
    });

    await expect(backend.checkFile("/lib/a.mp4", 100)).resolves.toEqual({
      state: "unknown",
      reason: "forbidden path: /lib/a.mp4",
    });
  });
});
