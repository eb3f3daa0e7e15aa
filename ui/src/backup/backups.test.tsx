import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { FakeBackend, type FakeOptions } from "../backend/fake";
import { EMPTY_SELECTION } from "./selection";
import { makeBackup, makeBackupItem, makeVideos, renderWith } from "../test/fixtures";
import { BACKUP_POLL_MS, BackupsView } from "./BackupsView";
import { describeRestore } from "./BackupDetails";

const DONE_BACKUP = makeBackup({
  id: 2,
  state: "done",
  items: [
    makeBackupItem({ uid: "uid-a", title: "Alpha", outcome: "done", jobId: 7 }),
    makeBackupItem({ uid: "uid-b", title: "Bravo", outcome: "done", jobId: 8 }),
    makeBackupItem({
      uid: "uid-c",
      title: "Charlie",
      outcome: "skipped",
      reason: "alreadyOffline",
    }),
    makeBackupItem({
      uid: "uid-d",
      title: "Delta",
      outcome: "failed",
      error: { code: "not_ready", message: "Cloudflare reported an error preparing the MP4." },
    }),
    makeBackupItem({
      uid: "uid-e",
      title: "Echo",
      outcome: "unavailable",
      reason: "liveRecordingTooLong",
    }),
  ],
});

/** Returns a fake with one running backup of `count` videos, started the way the videos view does. */
async function runningBackup(count: number, options: FakeOptions = {}) {
  const backend = new FakeBackend({ videos: makeVideos(count), ...options });
  await backend.startBackup(EMPTY_SELECTION, "default", { restoreAccount: false });
  backend.calls.length = 0;
  return backend;
}

function renderBackups(backend: FakeBackend, initialId: number | null = null) {
  renderWith(backend, <BackupsView initialId={initialId} />);
  return userEvent.setup();
}

function item(uid: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(
    `[data-testid=backup-item][data-uid="${uid}"]`,
  );
  if (element === null) {
    throw new Error(`no backup item for ${uid}`);
  }
  return element;
}

describe("BackupsView", () => {
  it("empty list says so", async () => {
    renderBackups(new FakeBackend());

    expect(await screen.findByText(/No backups yet/)).toBeInTheDocument();
  });

  it("lists backups newest first", async () => {
    const backend = new FakeBackend({ backups: [DONE_BACKUP, makeBackup({ id: 1 })] });
    renderBackups(backend);

    const cards = await screen.findAllByTestId("backup-card");

    expect(cards.map((card) => card.dataset.id)).toEqual(["2", "1"]);
    expect(cards[0]).toHaveTextContent("Finished: 5 videos");
    expect(cards[0]).toHaveTextContent("2 done, 1 failed, 1 skipped, 1 unavailable");
  });

  it("progress bar counts ended videos", async () => {
    const backend = await runningBackup(5);
    backend.finishBackupItems(1, 2);
    renderBackups(backend);

    const details = await screen.findByTestId("backup-details");
    const bar = within(details).getByTestId("backup-progress");

    expect(bar).toHaveAttribute("value", "2");
    expect(bar).toHaveAttribute("max", "5");
    expect(within(details).getByTestId("backup-counts")).toHaveTextContent(
      "2 of 5 videos ended: 2 done, 3 to go.",
    );
  });

  it("shows per-video states", async () => {
    renderBackups(new FakeBackend({ backups: [DONE_BACKUP] }));
    await screen.findByTestId("backup-details");

    expect(item("uid-a")).toHaveAttribute("data-outcome", "done");
    expect(item("uid-c")).toHaveTextContent("SkippedAlready in the library");
    expect(item("uid-d")).toHaveTextContent("Cloudflare reported an error preparing the MP4.");
    expect(item("uid-e")).toHaveTextContent("A live recording of 4 hours or more");
  });

  it("state filter keeps failed", async () => {
    const user = renderBackups(new FakeBackend({ backups: [DONE_BACKUP] }));
    await screen.findByTestId("backup-details");

    await user.selectOptions(screen.getByLabelText("Show"), "failed");

    expect(screen.getAllByTestId("backup-item").map((row) => row.dataset.uid)).toEqual(["uid-d"]);
  });

  it("item list is virtualized", async () => {
    const backend = await runningBackup(10_000);
    renderBackups(backend);

    await screen.findByTestId("backup-details");

    expect(screen.getAllByTestId("backup-item").length).toBeLessThan(50);
    expect(within(screen.getByTestId("backup-details")).getByRole("table")).toHaveAttribute(
      "aria-rowcount",
      "10001",
    );
  });

  it("opens the given backup", async () => {
    const backend = new FakeBackend({ backups: [DONE_BACKUP, makeBackup({ id: 1 })] });
    renderBackups(backend, 1);

    expect(await screen.findByTestId("backup-details")).toHaveAttribute("data-id", "1");
  });

  it("polls running backup", async () => {
    const backend = await runningBackup(3);
    renderBackups(backend);
    await screen.findByTestId("backup-details");

    act(() => backend.finishBackupItems(1, 3));

    await waitFor(
      () => {
        expect(screen.getByTestId("backup-state")).toHaveAttribute("data-state", "done");
      },
      { timeout: BACKUP_POLL_MS * 3 },
    );
    expect(backend.callsOf("backupProgress")[0]).toEqual([1]);
  });

  it("finished backup is not polled", async () => {
    const backend = new FakeBackend({ backups: [DONE_BACKUP] });
    renderBackups(backend);
    await screen.findByTestId("backup-details");

    await act(() => new Promise((resolve) => setTimeout(resolve, BACKUP_POLL_MS * 1.5)));

    expect(backend.callsOf("backupProgress")).toEqual([]);
  });

  it("pause all pauses backup", async () => {
    const backend = await runningBackup(3);
    const user = renderBackups(backend);
    await screen.findByTestId("backup-details");

    await user.click(screen.getByTestId("backup-pause-all"));

    expect(backend.callsOf("pauseAllDownloads")).toHaveLength(1);
    await waitFor(() => {
      expect(item("uid-00001")).toHaveAttribute("data-outcome", "paused");
    });
    expect(screen.getByTestId("backup-resume-all")).toBeInTheDocument();
  });

  it("resume all resumes backup", async () => {
    const backend = await runningBackup(3);
    await backend.pauseAllDownloads();
    const user = renderBackups(backend);
    await screen.findByTestId("backup-details");

    await user.click(screen.getByTestId("backup-resume-all"));

    expect(backend.callsOf("resumeAllDownloads")).toHaveLength(1);
    await waitFor(() => {
      expect(item("uid-00001")).toHaveAttribute("data-outcome", "queued");
    });
  });

  it("cancel asks then cancels", async () => {
    const backend = await runningBackup(3);
    const user = renderBackups(backend);
    await screen.findByTestId("backup-details");

    await user.click(screen.getByTestId("cancel-backup"));
    const dialog = screen.getByRole("dialog", { name: "Cancel this backup?" });
    expect(within(dialog).getByRole("button", { name: "Keep running" })).toHaveFocus();
    await user.click(within(dialog).getByTestId("confirm-cancel-backup"));

    expect(backend.callsOf("cancelBackup")).toEqual([[1]]);
    await waitFor(() => {
      expect(screen.getByTestId("backup-state")).toHaveAttribute("data-state", "cancelled");
    });
  });

  it.each([
    ["json", "export-json"],
    ["csv", "export-csv"],
  ] as const)("exports %s manifest", async (format, testId) => {
    const path = `/home/user/manifest.${format}`;
    const backend = new FakeBackend({ backups: [DONE_BACKUP], savePath: path });
    const user = renderBackups(backend);
    await screen.findByTestId("backup-details");

    await user.click(screen.getByTestId(testId));

    expect(await screen.findByTestId("export-result")).toHaveTextContent(
      `Wrote 3 rows to ${path}.`,
    );
    expect(backend.callsOf("chooseManifestPath")).toEqual([
      [`offstream-backup-2.${format}`, format],
    ]);
    expect(backend.callsOf("exportManifest")).toEqual([[2, format, path]]);
  });

  it("cancelled save exports nothing", async () => {
    const backend = new FakeBackend({ backups: [DONE_BACKUP], savePath: null });
    const user = renderBackups(backend);
    await screen.findByTestId("backup-details");

    await user.click(screen.getByTestId("export-csv"));

    await waitFor(() => {
      expect(backend.callsOf("chooseManifestPath")).toHaveLength(1);
    });
    expect(backend.callsOf("exportManifest")).toEqual([]);
    expect(screen.queryByTestId("export-result")).not.toBeInTheDocument();
  });

  it("export failure shows error", async () => {
    const backend = new FakeBackend({ backups: [DONE_BACKUP], savePath: "/ro/m.csv" });
    backend.failNext("exportManifest", { code: "io", message: "permission denied: /ro/m.csv" });
    const user = renderBackups(backend);
    await screen.findByTestId("backup-details");

    await user.click(screen.getByTestId("export-csv"));

    expect(await screen.findByTestId("error")).toHaveTextContent(
      "Could not export the CSV manifest. permission denied: /ro/m.csv",
    );
  });

  it("restore shows result", async () => {
    const backend = new FakeBackend({ backups: [DONE_BACKUP] });
    const user = renderBackups(backend);
    await screen.findByTestId("backup-details");

    await user.click(screen.getByTestId("restore-account"));
    await user.click(screen.getByTestId("confirm-restore-account"));

    expect(await screen.findByTestId("restore-result")).toHaveTextContent(
      "Deleted 2 downloads on Cloudflare.",
    );
    expect(backend.callsOf("restoreAccount")).toEqual([[2]]);
    expect(screen.queryByTestId("restore-account")).not.toBeInTheDocument();
  });

  it("restore chosen at start reports", async () => {
    const backend = new FakeBackend({ videos: makeVideos(2) });
    await backend.startBackup(EMPTY_SELECTION, "default", { restoreAccount: true });
    backend.finishBackupItems(1, 2);
    renderBackups(backend);

    expect(await screen.findByTestId("backup-restore-state")).toHaveTextContent(
      "Account restored: 2 downloads deleted on Cloudflare.",
    );
    expect(screen.queryByTestId("restore-account")).not.toBeInTheDocument();
  });

  it("load error offers retry", async () => {
    const backend = new FakeBackend({ backups: [DONE_BACKUP] });
    backend.failNext("listBackups", { code: "catalog", message: "catalog.sqlite is locked" });
    const user = renderBackups(backend);

    expect(await screen.findByTestId("error")).toHaveTextContent("catalog.sqlite is locked");
    await user.click(screen.getByRole("button", { name: "Retry" }));

    expect(await screen.findByTestId("backup-details")).toBeInTheDocument();
  });
});

describe("describeRestore", () => {
  it("names kept and failed", () => {
    expect(describeRestore({ deleted: 1, kept: 2, failed: 3 })).toBe(
      "Deleted 1 download on Cloudflare; kept 2 that existed before the backup; 3 could not be deleted (see the videos below).",
    );
  });
});
