import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { FakeBackend } from "../backend/fake";
import type { BackupProgress, VideoRow } from "../backend/types";
import { EMPTY_SELECTION } from "../backup/selection";
import { JobStore } from "../jobs/store";
import { makeVideo, makeVideos, renderWith } from "../test/fixtures";
import { backupTarget, NO_FILTERS } from "./filters";
import { pickRange, VideosView } from "./VideosView";

const HOURS = 60 * 60;

const READY = makeVideo({
  uid: "uid-ready",
  name: "Ready talk",
  creator: "ops",
  created: "2025-05-05T10:00:00Z",
  durationSeconds: 90,
  sizeBytes: 1_500_000,
});
const READY_2 = makeVideo({
  uid: "uid-ready-2",
  name: "Ready panel",
  created: "2025-05-04T10:00:00Z",
  durationSeconds: null,
  sizeBytes: 2_500_000,
});
const OFFLINE = makeVideo({
  uid: "uid-offline",
  name: "Kept before",
  created: "2025-05-03T10:00:00Z",
  durationSeconds: 600,
  offline: ["default"],
});
const LIVE = makeVideo({
  uid: "uid-live",
  name: "All-day stream",
  created: "2025-05-02T10:00:00Z",
  durationSeconds: 5 * HOURS,
  liveInput: true,
});
const BROKEN = makeVideo({
  uid: "uid-broken",
  name: "Broken upload",
  created: "2025-05-01T10:00:00Z",
  state: "error",
  readyToStream: false,
});
const ENCODING = makeVideo({
  uid: "uid-encoding",
  name: "Still encoding",
  created: "2025-04-30T10:00:00Z",
  state: "inprogress",
  readyToStream: false,
});
const ALL = [READY, READY_2, OFFLINE, LIVE, BROKEN, ENCODING];

function renderVideos(videos: VideoRow[] = ALL) {
  const backend = new FakeBackend({
    status: { credentialSource: "keychain", accountId: "acc" },
    videos,
  });
  const onBackupStarted = vi.fn<(backup: BackupProgress) => void>();
  renderWith(
    backend,
    <VideosView
      status={backend.status}
      jobs={new JobStore()}
      onOpenSettings={() => {}}
      onStatusChange={() => {}}
      onBackupStarted={onBackupStarted}
    />,
  );
  return { backend, onBackupStarted, user: userEvent.setup() };
}

function checkbox(uid: string): HTMLElement {
  const row = document.querySelector<HTMLElement>(`[data-testid=video-row][data-uid="${uid}"]`);
  if (row === null) {
    throw new Error(`no video row for ${uid}`);
  }
  return within(row).getByTestId("select-video");
}

function pickedUids(): string[] {
  return screen
    .getAllByTestId("video-row")
    .filter((row) => within(row).getByTestId<HTMLInputElement>("select-video").checked)
    .map((row) => row.dataset.uid ?? "");
}

async function openDialog(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByTestId("back-up"));
  const dialog = await screen.findByRole("dialog", { name: "Back up videos" });
  await within(dialog).findByTestId("estimate");
  return dialog;
}

describe("video selection", () => {
  it("checkbox picks one row", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    await user.click(checkbox("uid-ready-2"));

    expect(pickedUids()).toEqual(["uid-ready-2"]);
    expect(screen.getByTestId("selection-count")).toHaveTextContent("1 selected");
    expect(screen.getByTestId("back-up")).toHaveTextContent("Back up 1 selected…");
  });

  it("checkbox is labelled", async () => {
    renderVideos();
    await screen.findByText("Ready talk");

    expect(screen.getByRole("checkbox", { name: "Select Ready talk" })).toBe(checkbox("uid-ready"));
  });

  it("shift click picks range", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    await user.click(checkbox("uid-ready-2"));
    await user.keyboard("{Shift>}");
    await user.click(checkbox("uid-broken"));
    await user.keyboard("{/Shift}");

    expect(pickedUids()).toEqual(["uid-ready-2", "uid-offline", "uid-live", "uid-broken"]);
  });

  it("shift click upwards picks range", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    await user.click(checkbox("uid-live"));
    fireEvent.click(checkbox("uid-ready-2"), { shiftKey: true });

    expect(pickedUids()).toEqual(["uid-ready-2", "uid-offline", "uid-live"]);
    expect(screen.getByTestId("selection-count")).toHaveTextContent("3 selected");
  });

  it("select all takes matching rows", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");
    await user.type(screen.getByLabelText("Search videos"), "ready");
    await waitFor(() => {
      expect(screen.getAllByTestId("video-row")).toHaveLength(2);
    });

    await user.click(screen.getByTestId("select-all"));
    await user.clear(screen.getByLabelText("Search videos"));

    await waitFor(() => {
      expect(screen.getAllByTestId("video-row")).toHaveLength(6);
    });
    expect(pickedUids()).toEqual(["uid-ready", "uid-ready-2"]);
  });

  it("hidden picks are counted", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");
    await user.click(checkbox("uid-live"));

    await user.type(screen.getByLabelText("Search videos"), "ready");

    await waitFor(() => {
      expect(screen.getByTestId("selection-count")).toHaveTextContent(
        "1 selected, 1 of them hidden by the filters",
      );
    });
  });

  it("select all is mixed when some picked", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    await user.click(checkbox("uid-live"));

    expect(screen.getByTestId<HTMLInputElement>("select-all").indeterminate).toBe(true);
  });

  it("clear selection unpicks", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");
    await user.click(checkbox("uid-live"));

    await user.click(screen.getByRole("button", { name: "Clear selection" }));

    expect(pickedUids()).toEqual([]);
  });

  it("selection of 10,000 counts all", async () => {
    const { user } = renderVideos(makeVideos(10_000));
    await screen.findByText("Video 00001");

    await user.click(screen.getByTestId("select-all"));

    expect(screen.getByTestId("selection-count")).toHaveTextContent("10,000 selected");
  });
});

describe("backup estimate dialog", () => {
  it("shows the numbers", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    const dialog = await openDialog(user);

    expect(within(dialog).getByTestId("estimate-selected")).toHaveTextContent("6");
    expect(within(dialog).getByTestId("estimate-download")).toHaveTextContent("2");
    expect(within(dialog).getByTestId("estimate-skipped")).toHaveTextContent("1");
    expect(within(dialog).getByTestId("estimate-unavailable")).toHaveTextContent("3");
    expect(within(dialog).getByTestId("estimate-size")).toHaveTextContent("4.0 MB");
    expect(within(dialog).getByTestId("estimate-minutes")).toHaveTextContent("1.5 min");
    expect(within(dialog).getByTestId("estimate-unknown")).toHaveTextContent(
      "1 video without a known duration is not counted",
    );
  });

  it("explains billing", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    const dialog = await openDialog(user);

    expect(dialog).toHaveTextContent("Cloudflare bills each MP4 download as minutes delivered");
  });

  it("lists reasons in words", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    const dialog = await openDialog(user);

    const items = within(dialog).getAllByTestId("unavailable-item");
    expect(items.map((item) => [item.dataset.reason, item.textContent])).toEqual([
      [
        "liveRecordingTooLong",
        "All-day stream A live recording of 4 hours or more, of which Cloudflare makes no MP4",
      ],
      ["processingFailed", "Broken upload Cloudflare failed to process this video"],
      ["notReady", "Still encoding Cloudflare is still processing this video"],
    ]);
  });

  it("estimates picked uids", async () => {
    const { backend, user } = renderVideos();
    await screen.findByText("Ready talk");
    await user.click(checkbox("uid-ready"));
    await user.click(checkbox("uid-live"));

    await openDialog(user);

    expect(backend.callsOf("estimateBackup")).toEqual([
      [{ ...EMPTY_SELECTION, uids: ["uid-ready", "uid-live"] }, "default"],
    ]);
  });

  it("estimates filters when nothing picked", async () => {
    const { backend, user } = renderVideos();
    await screen.findByText("Ready talk");
    await user.type(screen.getByLabelText("Search videos"), "ready");
    await waitFor(() => {
      expect(screen.getAllByTestId("video-row")).toHaveLength(2);
    });

    const dialog = await openDialog(user);

    expect(backend.callsOf("estimateBackup")).toEqual([
      [{ ...EMPTY_SELECTION, search: "ready" }, "default"],
    ]);
    expect(dialog).toHaveAccessibleDescription(
      "Takes every video that matches the filters offline as one job: 2 videos chosen in the list.",
    );
  });

  it("audio choice estimates again", async () => {
    const { backend, user } = renderVideos();
    await screen.findByText("Ready talk");
    const dialog = await openDialog(user);

    await user.click(within(dialog).getByLabelText("Audio only (M4A)"));

    await waitFor(() => {
      expect(within(dialog).getByTestId("estimate-skipped")).toHaveTextContent("0");
    });
    expect(backend.callsOf("estimateBackup").map((call) => call[1])).toEqual(["default", "audio"]);
    expect(within(dialog).getByTestId("estimate-download")).toHaveTextContent("3");
  });

  it("estimate failure shows error", async () => {
    const { backend, user } = renderVideos();
    backend.failNext("estimateBackup", { code: "catalog", message: "mirror is locked" });
    await screen.findByText("Ready talk");

    await user.click(screen.getByTestId("back-up"));

    expect(await screen.findByTestId("error")).toHaveTextContent(
      "Could not estimate the backup. mirror is locked",
    );
    expect(screen.getByTestId("start-backup")).toBeDisabled();
  });

  it("start sends selection and options", async () => {
    const { backend, onBackupStarted, user } = renderVideos();
    await screen.findByText("Ready talk");
    await user.click(checkbox("uid-ready"));
    await user.click(checkbox("uid-ready-2"));
    const dialog = await openDialog(user);

    await user.click(within(dialog).getByLabelText("Audio only (M4A)"));
    await user.click(within(dialog).getByLabelText("Restore the account afterwards"));
    await user.click(within(dialog).getByTestId("start-backup"));

    await waitFor(() => {
      expect(onBackupStarted).toHaveBeenCalledTimes(1);
    });
    expect(backend.callsOf("startBackup")).toEqual([
      [
        { ...EMPTY_SELECTION, uids: ["uid-ready", "uid-ready-2"] },
        "audio",
        { restoreAccount: true },
      ],
    ]);
    expect(onBackupStarted.mock.calls[0]?.[0]).toMatchObject({ id: 1, total: 2 });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(pickedUids()).toEqual([]);
  });

  it("start failure keeps dialog", async () => {
    const { backend, onBackupStarted, user } = renderVideos();
    backend.failNext("startBackup", { code: "permission", message: "token lacks Stream Write" });
    await screen.findByText("Ready talk");
    const dialog = await openDialog(user);

    await user.click(within(dialog).getByTestId("start-backup"));

    expect(await within(dialog).findByTestId("error")).toHaveTextContent(
      "Could not start the backup. token lacks Stream Write",
    );
    expect(onBackupStarted).not.toHaveBeenCalled();
  });

  it("restore option is explained", async () => {
    const { user } = renderVideos();
    await screen.findByText("Ready talk");

    const dialog = await openDialog(user);

    expect(
      within(dialog).getByLabelText("Restore the account afterwards"),
    ).toHaveAccessibleDescription(
      expect.stringContaining("deletes on Cloudflare the downloads it had to enable"),
    );
  });

  it("cancel closes without backup", async () => {
    const { backend, user } = renderVideos();
    await screen.findByText("Ready talk");
    await openDialog(user);

    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("startBackup")).toEqual([]);
  });
});

describe("backupTarget", () => {
  const all = ALL;

  it("no filter takes account", () => {
    const target = backupTarget(new Set(), all, all, NO_FILTERS);

    expect(target.selection).toEqual(EMPTY_SELECTION);
    expect(target.count).toBe(6);
  });

  it("creator filter travels as filter", () => {
    const filters = { ...NO_FILTERS, creator: "ops" };

    const target = backupTarget(new Set(), [READY], all, filters);

    expect(target.selection).toEqual({ ...EMPTY_SELECTION, creator: "ops" });
  });

  it("privacy filter travels as uids", () => {
    const filters = { ...NO_FILTERS, privacy: "public" as const };
    const visible = all.filter((video) => video.uid !== "uid-live");

    const target = backupTarget(new Set(), visible, all, filters);

    expect(target.selection.uids).toEqual(visible.map((video) => video.uid));
  });

  it("uid search travels as uids", () => {
    const filters = { ...NO_FILTERS, query: "uid-live" };

    const target = backupTarget(new Set(), [LIVE], all, filters);

    expect(target.selection).toEqual({ ...EMPTY_SELECTION, uids: ["uid-live"] });
  });

  it("picked rows travel as uids", () => {
    const target = backupTarget(new Set(["uid-live", "uid-ready"]), all, all, NO_FILTERS);

    expect(target.selection.uids).toEqual(["uid-ready", "uid-live"]);
    expect(target.description).toBe("the selected videos");
  });
});

describe("pickRange", () => {
  it("unpicks range", () => {
    const picked = new Set(ALL.map((video) => video.uid));

    const next = pickRange(picked, ALL, 4, 1, false);

    expect([...next]).toEqual(["uid-ready", "uid-encoding"]);
  });
});
