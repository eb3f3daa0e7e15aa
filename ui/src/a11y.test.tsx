// Renders every screen, the downloads panel and every dialog with the fake backend, and fails
// for any control, row, progress bar or dialog that a screen reader would announce without a
// name. The states are chosen so each screen shows as many different controls as it can.
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { App } from "./App";
import { FakeBackend, type FakeOptions } from "./backend/fake";
import { BackupDialog } from "./backup/BackupDialog";
import { BackupsView } from "./backup/BackupsView";
import { EMPTY_SELECTION } from "./backup/selection";
import { CancelJobDialog } from "./jobs/CancelJobDialog";
import { SettingsView } from "./settings/SettingsView";
import { CloseDialog } from "./shell/CloseDialog";
import { ShortcutsDialog } from "./shell/ShortcutsDialog";
import { SigningDialog } from "./signing/SigningDialog";
import { unnamedElements } from "./test/a11y";
import {
  makeBackup,
  makeBackupItem,
  makeEntry,
  makeJob,
  makeSummary,
  makeVideo,
  makeVideos,
  renderWith,
} from "./test/fixtures";

const CONFIGURED: FakeOptions["status"] = { credentialSource: "keychain", accountId: "acc" };

const VIDEOS = [
  makeVideo({ uid: "uid-plain", name: "Launch keynote", creator: "studio" }),
  makeVideo({ uid: "uid-private", name: "Board meeting", requireSignedUrls: true }),
  makeVideo({ uid: "uid-offline", name: "Harbor pattern", offline: ["default", "audio"] }),
  makeVideo({ uid: "uid-new", name: "Product demo", change: "new" }),
  makeVideo({
    uid: "uid-renamed",
    name: "Roadmap",
    change: "renamed",
    previousName: "Roadmap draft",
  }),
  makeVideo({ uid: "uid-removed", name: "Old teaser", removed: true, change: "removed" }),
  makeVideo({
    uid: "uid-encoding",
    name: "Still encoding",
    readyToStream: false,
    state: "inprogress",
  }),
];

/** Jobs in every phase the panel draws differently, with the cards' buttons and bars. */
const JOBS = [
  makeJob({ id: 1, uid: "uid-plain", phase: "transferring", bytesDone: 10, bytesTotal: 40 }),
  makeJob({ id: 2, uid: "uid-new", phase: "preparing", preparePercent: null }),
  makeJob({ id: 3, uid: "uid-renamed", phase: "paused", bytesDone: 5, bytesTotal: 40 }),
  makeJob({
    id: 4,
    uid: "uid-private",
    title: "Board meeting",
    phase: "failed",
    error: { code: "signing_key_needed", message: "The video requires signed URLs." },
  }),
  makeJob({ id: 5, uid: "uid-offline", phase: "done" }),
  makeJob({
    id: 6,
    uid: "uid-encoding",
    phase: "transferring",
    bytesDone: 1,
    bytesTotal: 9,
    notice: { kind: "rateLimited", retryAfterSecs: 30 },
  }),
];

/** Fails with the list of unnamed elements, so the message names each one. */
function expectAllNamed(root: ParentNode = document.body) {
  expect(unnamedElements(root)).toEqual([]);
}

describe("accessible names", () => {
  it("check finds unnamed controls", () => {
    document.body.innerHTML = `
      <button type="button"><svg></svg></button>
      <button type="button" aria-label="Close"><svg></svg></button>
      <input type="text" id="plain">
      <label for="named">Title</label><input type="text" id="named">
      <table><tbody><tr tabindex="-1"><td></td></tr></tbody></table>
      <progress value="1" max="2"></progress>
      <span aria-hidden="true"><button type="button"></button></span>`;

    const unnamed = unnamedElements(document.body);

    expect(unnamed).toHaveLength(4);
    expect(unnamed[0]).toMatch(/^button: <button type="button"><svg>/);
    expect(unnamed[1]).toMatch(/^input#plain/);
    expect(unnamed[2]).toMatch(/^tr: /);
    expect(unnamed[3]).toMatch(/^progress: /);
    document.body.innerHTML = "";
  });

  it("videos view and downloads panel", async () => {
    const backend = new FakeBackend({
      status: CONFIGURED,
      videos: VIDEOS,
      jobs: JOBS,
      lastSync: makeSummary(),
    });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    await waitFor(() => expect(screen.getAllByTestId("video-row")).toHaveLength(VIDEOS.length));
    await waitFor(() => expect(screen.getAllByTestId("job")).toHaveLength(JOBS.length));
    // Picking a row adds "Clear selection" and the mixed header checkbox.
    await user.click(screen.getByRole("checkbox", { name: "Select Launch keynote" }));

    expectAllNamed();
    expect(screen.getByRole("navigation", { name: "Main" })).toBeInTheDocument();
    expect(screen.getByRole("main", { name: "Videos" })).toBeInTheDocument();
    expect(screen.getByRole("complementary", { name: "Downloads" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Skip to main content" })).toBeInTheDocument();
  });

  it("job progress is a polite live region", async () => {
    const backend = new FakeBackend({ status: CONFIGURED, videos: VIDEOS, jobs: JOBS });
    renderWith(backend, <App />);

    const summary = await screen.findByTestId("jobs-summary");
    await waitFor(() =>
      expect(summary).toHaveTextContent("3 downloads running, 1 paused, 1 done, 1 failed."),
    );
    expect(summary).toHaveAttribute("aria-live", "polite");
    expect(screen.getByTestId("sync-status").querySelector("[role=status]")).not.toBeNull();
    for (const bar of document.querySelectorAll("progress")) {
      expect(bar).toHaveAccessibleName();
    }
  });

  it("library view with player", async () => {
    const entries = [
      makeEntry({
        id: 1,
        title: "Launch keynote",
        captions: [{ language: "en", label: "English", url: "http://127.0.0.1:1/c/1/en" }],
      }),
      makeEntry({
        id: 2,
        uid: "uid-audio",
        title: "Podcast",
        downloadType: "audio",
        path: "/lib/Podcast.m4a",
        thumbnailUrl: "http://127.0.0.1:1/t/2",
      }),
      makeEntry({ id: 3, uid: "uid-gone", title: "Gone", path: "/lib/Gone.mp4" }),
    ];
    const backend = new FakeBackend({
      status: CONFIGURED,
      library: entries,
      files: { "/lib/Gone.mp4": { state: "missing" } },
    });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    await user.click(await screen.findByRole("button", { name: "Library" }));
    await waitFor(() => expect(screen.getAllByTestId("library-row")).toHaveLength(3));
    await screen.findByTestId("missing");
    await user.click(screen.getByRole("button", { name: "Play Launch keynote" }));
    await screen.findByTestId("storage-library");

    expect(document.querySelector("video#player")).not.toBeNull();
    expectAllNamed();
    expect(screen.getByRole("main", { name: "Library" })).toBeInTheDocument();
  });

  it("backups view", async () => {
    const running = makeBackup({
      id: 3,
      items: [
        makeBackupItem({ uid: "uid-a", title: "Alpha", outcome: "running", jobId: 9 }),
        makeBackupItem({ uid: "uid-b", title: "Bravo", outcome: "queued" }),
        makeBackupItem({ uid: "uid-c", title: "Charlie", outcome: "paused" }),
      ],
    });
    const done = makeBackup({
      id: 2,
      state: "done",
      restoreAccount: true,
      items: [
        makeBackupItem({ uid: "uid-d", title: "Delta", outcome: "done", jobId: 7 }),
        makeBackupItem({
          uid: "uid-e",
          title: "Echo",
          outcome: "failed",
          error: { code: "not_ready", message: "Cloudflare reported an error." },
        }),
        makeBackupItem({
          uid: "uid-f",
          title: "Foxtrot",
          outcome: "unavailable",
          reason: "liveRecordingTooLong",
        }),
      ],
    });
    const backend = new FakeBackend({ backups: [running, done] });
    const user = userEvent.setup();
    renderWith(backend, <BackupsView />);
    await waitFor(() => expect(screen.getAllByTestId("backup-item")).toHaveLength(3));

    expectAllNamed();

    await user.click(screen.getByRole("button", { name: /Backup 2/ }));
    await screen.findByText("Echo");
    expectAllNamed();
  });

  it("settings with an account", async () => {
    const backend = new FakeBackend({
      status: CONFIGURED,
      signing: { mode: "key", keyId: "k1", keySource: "keychain" },
    });
    renderWith(
      backend,
      <SettingsView
        status={await backend.appStatus()}
        onStatusChange={() => {}}
        onSaved={() => {}}
        onShowShortcuts={() => {}}
      />,
    );
    await screen.findByTestId("storage-library");

    expectAllNamed();
    expect(screen.getByRole("textbox", { name: "Log folder" })).toHaveValue(backend.status.logDir);
  });

  it("settings on first run", async () => {
    const backend = new FakeBackend();
    renderWith(backend, <App />);
    await screen.findByRole("heading", { name: "Connect your Cloudflare account" });
    await screen.findByTestId("storage-library");

    expectAllNamed();
  });

  it("close dialog", async () => {
    renderWith(
      new FakeBackend(),
      <CloseDialog request={{ activeJobs: 2, backupRunning: true }} onDone={() => {}} />,
    );

    const dialog = screen.getByRole("dialog", { name: "Downloads are still running" });
    expectAllNamed();
    expect(dialog).toHaveAccessibleDescription(/2 downloads and a backup are running/);
  });

  it("shortcuts dialog", () => {
    renderWith(new FakeBackend(), <ShortcutsDialog onClose={() => {}} />);

    expect(screen.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeInTheDocument();
    expectAllNamed();
  });

  it("signing dialog steps", async () => {
    const user = userEvent.setup();
    renderWith(
      new FakeBackend({ status: CONFIGURED }),
      <SigningDialog
        videoName="Board meeting"
        demo={false}
        onDone={() => {}}
        onCancel={() => {}}
      />,
    );

    expectAllNamed();
    await user.click(screen.getByTestId("signing-choice-paste"));
    await screen.findByRole("dialog", { name: "Paste a signing key" });
    expectAllNamed();
    await user.click(screen.getByRole("button", { name: "Back" }));
    await user.click(screen.getByTestId("signing-choice-create"));
    await screen.findByRole("dialog", { name: "Create a signing key?" });
    expectAllNamed();
  });

  it("backup dialog", async () => {
    renderWith(
      new FakeBackend({ videos: makeVideos(3) }),
      <BackupDialog
        target={{ selection: EMPTY_SELECTION, count: 3, description: "all videos" }}
        onCancel={() => {}}
        onStarted={() => {}}
      />,
    );
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(within(dialog).getByText(/3 videos/)).toBeInTheDocument());

    expectAllNamed();
  });

  it("cancel and delete dialogs", async () => {
    renderWith(
      new FakeBackend(),
      <CancelJobDialog title="Launch keynote" onConfirm={() => {}} onClose={() => {}} />,
    );
    expect(screen.getByRole("dialog", { name: "Cancel this download?" })).toBeInTheDocument();
    expectAllNamed();
  });

  it("library delete dialog", async () => {
    const backend = new FakeBackend({ status: CONFIGURED, library: [makeEntry()] });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    await user.click(await screen.findByRole("button", { name: "Library" }));
    await user.click(await screen.findByRole("button", { name: "Delete Launch keynote" }));

    expect(screen.getByRole("dialog", { name: "Delete from the library?" })).toBeInTheDocument();
    expectAllNamed();
  });

  it("close request from the shell", async () => {
    const backend = new FakeBackend({ status: CONFIGURED });
    renderWith(backend, <App />);
    await screen.findByRole("heading", { name: "Videos" });

    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 1, backupRunning: false }));

    expect(await screen.findByTestId("close-dialog")).toBeInTheDocument();
    expectAllNamed();
  });
});
