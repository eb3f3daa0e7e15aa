import { describe, expect, it } from "vitest";

import { EMPTY_SELECTION, selectionBound, selectionMatcher } from "../backup/selection";
import { makeVideo, makeVideos } from "../test/fixtures";
import { FakeBackend } from "./fake";
import { estimateFromMirror } from "./fake-backup";
import { syncMirror } from "./fake-sync";

const KEPT = makeVideo({ uid: "uid-kept", name: "Kept", created: "2025-01-01T00:00:00Z" });
const GONE_OFFLINE = makeVideo({
  uid: "uid-gone-offline",
  name: "Gone but kept",
  created: "2024-01-01T00:00:00Z",
  offline: ["audio"],
});
const GONE = makeVideo({ uid: "uid-gone", name: "Gone", created: "2023-01-01T00:00:00Z" });
const ADDED = makeVideo({ uid: "uid-added", name: "Added", created: "2025-06-01T00:00:00Z" });

describe("syncMirror", () => {
  it("first sync marks nothing", () => {
    const result = syncMirror([], [KEPT, ADDED], "full", true);

    expect(result.mirror.map((row) => [row.uid, row.change])).toEqual([
      ["uid-added", null],
      ["uid-kept", null],
    ]);
    expect(result.summary).toMatchObject({ mode: "full", total: 2, added: 2 });
  });

  it("later sync marks new", () => {
    const result = syncMirror([KEPT], [KEPT, ADDED], "quick", false);

    expect(result.mirror[0]).toMatchObject({ uid: "uid-added", change: "new" });
    expect(result.summary.mode).toBe("quick");
  });

  it("full sync marks rename", () => {
    const result = syncMirror([KEPT], [{ ...KEPT, name: "Kept v2" }], "full", false);

    expect(result.mirror[0]).toMatchObject({ change: "renamed", previousName: "Kept" });
    expect(result.summary.renamed).toBe(1);
  });

  it("quick sync misses rename", () => {
    const result = syncMirror([KEPT], [{ ...KEPT, name: "Kept v2" }], "quick", false);

    expect(result.mirror[0]).toMatchObject({ name: "Kept", change: null });
  });

  it("deletion keeps offline copy marked", () => {
    const result = syncMirror([KEPT, GONE_OFFLINE, GONE], [KEPT], "full", false);

    expect(result.mirror.map((row) => [row.uid, row.removed, row.change])).toEqual([
      ["uid-kept", false, null],
      ["uid-gone-offline", true, "removed"],
    ]);
    expect(result.summary).toMatchObject({ total: 1, removed: 2 });
  });

  it("quick falls back on deletion", () => {
    const result = syncMirror([KEPT, GONE], [KEPT], "quick", false);

    expect(result.summary.mode).toBe("full");
  });

  it("reports one count per page", () => {
    const result = syncMirror([], makeVideos(2_500), "full", true);

    expect(result.listed).toEqual([1000, 2000, 2500]);
    expect(result.summary.apiCalls).toBe(3);
  });
});

describe("selectionMatcher", () => {
  const videos = [KEPT, GONE_OFFLINE, GONE, ADDED];

  it.each<[string, Partial<typeof EMPTY_SELECTION>, string[]]>([
    ["everything", {}, ["uid-kept", "uid-gone-offline", "uid-gone", "uid-added"]],
    ["uids", { uids: ["uid-gone"] }, ["uid-gone"]],
    ["search ignores case", { search: "GONE" }, ["uid-gone-offline", "uid-gone"]],
    ["since date", { since: "2025-01-01" }, ["uid-kept", "uid-added"]],
    ["until date includes day", { until: "2024-01-01" }, ["uid-gone-offline", "uid-gone"]],
  ])("selects %s", (_name, selection, expected) => {
    const selected = videos.filter(selectionMatcher({ ...EMPTY_SELECTION, ...selection }));

    expect(selected.map((video) => video.uid)).toEqual(expected);
  });

  it("bound of invalid date is null", () => {
    expect(selectionBound("yesterday", "since")).toBeNull();
  });
});

describe("estimateFromMirror", () => {
  it("removed video is unavailable", () => {
    const removed = makeVideo({ uid: "uid-removed", removed: true });

    const estimate = estimateFromMirror([removed], EMPTY_SELECTION, "default");

    expect(estimate.unavailable[0]?.reason).toBe("removedFromStream");
  });

  it("short live recording downloads", () => {
    const live = makeVideo({ liveInput: true, durationSeconds: 3 * 60 * 60 });

    const estimate = estimateFromMirror([live], EMPTY_SELECTION, "default");

    expect(estimate.toDownload).toHaveLength(1);
    expect(estimate.billedMinutes).toBe(180);
  });

  it("offline type decides skip", () => {
    const estimate = estimateFromMirror([GONE_OFFLINE], EMPTY_SELECTION, "audio");

    expect(estimate.skipped.map((candidate) => candidate.reason)).toEqual(["alreadyOffline"]);
  });
});

describe("FakeBackend mirror and backups", () => {
  it("holds 10,000 videos", async () => {
    const backend = new FakeBackend({ videos: makeVideos(10_000) });

    const summary = await backend.syncVideos("full", () => {});
    const list = await backend.cachedVideos();

    expect(summary.total).toBe(10_000);
    expect(list.videos).toHaveLength(10_000);
  });

  it("sync sends progress", async () => {
    const backend = new FakeBackend({ videos: makeVideos(1_500), mirror: [] });
    const listed: number[] = [];

    await backend.syncVideos("full", (event) => {
      if (event.kind === "progress") {
        listed.push(event.listed);
      }
    });

    expect(listed).toEqual([1000, 1500]);
  });

  it("acknowledge clears marks", async () => {
    const backend = new FakeBackend({
      mirror: [makeVideo({ uid: "a", change: "new" }), makeVideo({ uid: "b", change: null })],
    });

    const cleared = await backend.acknowledgeChanges();

    expect(cleared).toBe(1);
    expect(backend.mirror.every((row) => row.change === null)).toBe(true);
  });

  it("backup starts as many as transfers", async () => {
    const backend = new FakeBackend({ videos: makeVideos(5), status: { maxTransfers: 2 } });

    const backup = await backend.startBackup(EMPTY_SELECTION, "default", {
      restoreAccount: false,
    });

    expect(backup.items.map((item) => item.outcome)).toEqual([
      "running",
      "running",
      "queued",
      "queued",
      "queued",
    ]);
    expect(backup).toMatchObject({ state: "running", total: 5, active: 5 });
  });

  it("finished items end backup", async () => {
    const backend = new FakeBackend({ videos: makeVideos(2) });
    await backend.startBackup(EMPTY_SELECTION, "default", { restoreAccount: true });

    backend.finishBackupItems(1, 1);
    backend.finishBackupItems(1, 1, "failed");
    const backup = await backend.backupProgress(1);

    expect(backup).toMatchObject({ state: "done", done: 1, failed: 1, restored: 1 });
    expect(backend.mirror.find((row) => row.uid === backup.items[0]?.uid)?.offline).toEqual([
      "default",
    ]);
  });

  it("cancel ends active items", async () => {
    const backend = new FakeBackend({ videos: makeVideos(3) });
    await backend.startBackup(EMPTY_SELECTION, "default", { restoreAccount: false });

    await backend.cancelBackup(1);
    const backup = await backend.backupProgress(1);

    expect(backup.state).toBe("cancelled");
    expect(backup.items.every((item) => item.outcome === "cancelled")).toBe(true);
  });

  it("unknown backup rejects", async () => {
    await expect(new FakeBackend().backupProgress(9)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("storage sums library", async () => {
    const backend = new FakeBackend({
      library: [],
      storage: { freeBytes: null, volumeBytes: null },
    });

    const overview = await backend.storageOverview();

    expect(overview).toMatchObject({ libraryBytes: 0, itemCount: 0, freeBytes: null });
  });
});
