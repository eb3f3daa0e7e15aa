// The app with the fake backend: keyboard shortcuts, native menu actions, their deduplication,
// the shortcuts list and the close question.
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { FakeBackend, type FakeOptions } from "../backend/fake";
import { makeEntry, makeSummary, makeVideos, renderWith } from "../test/fixtures";
import { DUPLICATE_WINDOW_MS } from "./dispatch";

const CONFIGURED: FakeOptions["status"] = { credentialSource: "keychain", accountId: "acc" };

/** Renders the app on the videos screen once its first sync has finished. */
async function renderApp(options: FakeOptions = {}) {
  const backend = new FakeBackend({
    status: CONFIGURED,
    videos: makeVideos(3),
    lastSync: makeSummary({ finishedAt: new Date().toISOString() }),
    ...options,
  });
  const user = userEvent.setup();
  renderWith(backend, <App />);
  await screen.findByRole("heading", { name: "Videos" });
  await waitFor(() => expect(screen.getAllByTestId("video-row")).toHaveLength(3));
  await waitFor(() =>
    expect(screen.getByTestId("sync-status")).toHaveAttribute("data-syncing", "false"),
  );
  return { backend, user };
}

/** Sends one keydown to the focused element and returns whether the app prevented it. */
function keyDown(init: KeyboardEventInit): boolean {
  const target = document.activeElement ?? document.body;
  return !fireEvent.keyDown(target, init);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("keyboard shortcuts", () => {
  it("Ctrl+R runs a full sync", async () => {
    const { backend } = await renderApp();
    backend.calls.length = 0;

    const prevented = keyDown({ key: "r", code: "KeyR", ctrlKey: true });

    expect(prevented).toBe(true);
    await waitFor(() => expect(backend.callsOf("syncVideos")).toEqual([["full"]]));
  });

  it("F5 never reloads", async () => {
    const { user } = await renderApp();
    await user.keyboard("?");
    await screen.findByTestId("shortcuts-dialog");

    expect(keyDown({ key: "F5", code: "F5" })).toBe(true);
  });

  it("Ctrl+F focuses search", async () => {
    const { user } = await renderApp();

    await user.keyboard("{Control>}f{/Control}");

    expect(document.querySelector("#video-search")).toHaveFocus();
  });

  it("slash focuses search", async () => {
    const { user } = await renderApp();

    await user.keyboard("/");

    expect(document.querySelector("#video-search")).toHaveFocus();
    expect(document.querySelector("#video-search")).toHaveValue("");
  });

  it("slash types in a field", async () => {
    const { user } = await renderApp();
    await user.click(screen.getByLabelText("Search videos"));

    await user.keyboard("a/b");

    expect(screen.getByLabelText("Search videos")).toHaveValue("a/b");
  });

  it("Ctrl+digits switch screens", async () => {
    const { user } = await renderApp();

    await user.keyboard("{Control>}2{/Control}");
    expect(await screen.findByRole("heading", { name: "Library" })).toHaveFocus();

    await user.keyboard("{Control>}3{/Control}");
    expect(await screen.findByRole("heading", { name: "Backups" })).toHaveFocus();

    await user.keyboard("{Control>},{/Control}");
    expect(await screen.findByRole("heading", { name: "Settings" })).toHaveFocus();

    await user.keyboard("{Control>}1{/Control}");
    expect(await screen.findByRole("heading", { name: "Videos" })).toHaveFocus();
  });

  it("search from settings opens videos", async () => {
    const { user } = await renderApp();
    await user.keyboard("{Control>},{/Control}");
    await screen.findByRole("heading", { name: "Settings" });

    await user.keyboard("{Control>}f{/Control}");

    await waitFor(() => expect(document.querySelector("#video-search")).toHaveFocus());
  });

  it("search in library focuses its field", async () => {
    const { user } = await renderApp({ library: [makeEntry()] });
    await user.keyboard("{Control>}2{/Control}");
    await screen.findByRole("heading", { name: "Library" });

    await user.keyboard("{Control>}f{/Control}");

    expect(document.querySelector("#library-search")).toHaveFocus();
  });

  it("refresh from settings syncs videos", async () => {
    const { backend, user } = await renderApp();
    await user.keyboard("{Control>},{/Control}");
    await screen.findByRole("heading", { name: "Settings" });
    backend.calls.length = 0;

    await user.keyboard("{Control>}r{/Control}");

    await screen.findByRole("heading", { name: "Videos" });
    await waitFor(() => expect(backend.callsOf("syncVideos")).toEqual([["full"]]));
  });

  it("refresh in library reloads it", async () => {
    const { backend, user } = await renderApp({ library: [makeEntry()] });
    await user.keyboard("{Control>}2{/Control}");
    await screen.findByTestId("library-row");
    const before = backend.callsOf("listLibrary").length;

    await user.keyboard("{F5}");

    await waitFor(() => expect(backend.callsOf("listLibrary")).toHaveLength(before + 1));
  });

  it("Ctrl+Shift+O opens library folder", async () => {
    const { backend, user } = await renderApp();

    await user.keyboard("{Control>}{Shift>}O{/Shift}{/Control}");

    await waitFor(() => expect(backend.callsOf("openLibraryFolder")).toHaveLength(1));
  });

  it("open folder failure is shown", async () => {
    const { backend, user } = await renderApp();
    backend.failNext("openLibraryFolder", {
      code: "io",
      message: "No file manager is installed.",
    });

    await user.keyboard("{Control>}{Shift>}O{/Shift}{/Control}");

    const error = await screen.findByRole("alert");
    expect(error).toHaveTextContent("Could not open the library folder.");
    expect(error).toHaveTextContent("No file manager is installed.");
  });

  it("Ctrl+Q requests quit", async () => {
    const { backend, user } = await renderApp();

    await user.keyboard("{Control>}q{/Control}");

    await waitFor(() => expect(backend.callsOf("requestQuit")).toHaveLength(1));
  });

  it("held key runs once", async () => {
    const { backend } = await renderApp();
    backend.calls.length = 0;

    keyDown({ key: "r", ctrlKey: true });
    expect(keyDown({ key: "r", ctrlKey: true, repeat: true })).toBe(true);

    await waitFor(() => expect(backend.callsOf("syncVideos")).toHaveLength(1));
  });
});

describe("menu actions", () => {
  it("subscribes once", async () => {
    const { backend } = await renderApp();

    expect(backend.callsOf("watchShellEvents")).toHaveLength(1);
    expect(backend.shellSubscribers).toBe(1);
  });

  it("menu switches screens", async () => {
    const { backend } = await renderApp();

    act(() => backend.emitShell({ kind: "menu", action: "library" }));
    expect(await screen.findByRole("heading", { name: "Library" })).toHaveFocus();

    act(() => backend.emitShell({ kind: "menu", action: "settings" }));
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeInTheDocument();
  });

  it("menu search focuses the field", async () => {
    const { backend } = await renderApp();

    act(() => backend.emitShell({ kind: "menu", action: "search" }));

    expect(document.querySelector("#video-search")).toHaveFocus();
  });

  it("menu and key run once", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(10_000);
    const { backend } = await renderApp();
    backend.calls.length = 0;

    act(() => backend.emitShell({ kind: "menu", action: "refresh" }));
    vi.setSystemTime(10_000 + DUPLICATE_WINDOW_MS - 50);
    keyDown({ key: "r", ctrlKey: true });

    await waitFor(() => expect(backend.callsOf("syncVideos")).toHaveLength(1));
    await waitFor(() =>
      expect(screen.getByTestId("sync-status")).toHaveAttribute("data-syncing", "false"),
    );
    vi.setSystemTime(10_000 + DUPLICATE_WINDOW_MS + 500);
    keyDown({ key: "r", ctrlKey: true });
    await waitFor(() => expect(backend.callsOf("syncVideos")).toHaveLength(2));
  });

  it("subscription failure offers retry", async () => {
    const backend = new FakeBackend({ status: CONFIGURED });
    backend.failNext("watchShellEvents", { code: "unexpected", message: "The channel closed." });
    const user = userEvent.setup();
    renderWith(backend, <App />);

    const error = await screen.findByText(/Could not connect to the window menu/);
    await user.click(screen.getByRole("button", { name: "Retry" }));

    await waitFor(() => expect(backend.shellSubscribers).toBe(1));
    expect(error).not.toBeInTheDocument();
    act(() => backend.emitShell({ kind: "menu", action: "backups" }));
    expect(await screen.findByRole("heading", { name: "Backups" })).toBeInTheDocument();
  });
});

describe("shortcuts dialog", () => {
  it("question mark opens the list", async () => {
    const { user } = await renderApp();
    screen.getByRole("button", { name: "Videos" }).focus();

    await user.keyboard("?");

    const dialog = await screen.findByRole("dialog", { name: "Keyboard shortcuts" });
    expect(dialog).toHaveTextContent("Ctrl+Shift+O");
    expect(screen.getByTestId("shortcuts-close")).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(dialog).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Videos" })).toHaveFocus();
  });

  it("F1 opens the list", async () => {
    const { user } = await renderApp();

    await user.keyboard("{F1}");

    expect(await screen.findByTestId("shortcuts-dialog")).toBeInTheDocument();
  });

  it("settings links the list", async () => {
    const { user } = await renderApp();
    await user.click(screen.getByRole("button", { name: "Settings" }));

    await user.click(await screen.findByTestId("show-shortcuts"));

    expect(await screen.findByTestId("shortcuts-dialog")).toBeInTheDocument();
  });

  it("shortcuts wait while a dialog is open", async () => {
    const { user } = await renderApp();
    await user.keyboard("{F1}");
    await screen.findByTestId("shortcuts-dialog");

    await user.keyboard("{Control>}2{/Control}");

    expect(screen.getByRole("heading", { name: "Videos" })).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Library" })).not.toBeInTheDocument();
  });
});

describe("close dialog", () => {
  it("describes the running work", async () => {
    const { backend } = await renderApp();

    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 2, backupRunning: true }));

    const dialog = await screen.findByTestId("close-dialog");
    expect(dialog).toHaveTextContent("2 downloads and a backup are running.");
    expect(dialog).toHaveTextContent("Offstream quits by itself when the work is done");
    expect(dialog).toHaveTextContent("Partial downloads are kept");
    expect(screen.getByTestId("close-keep")).toHaveFocus();
  });

  it.each<[string, string]>([
    ["close-keep", "keepInBackground"],
    ["close-stop", "stopAndQuit"],
    ["close-cancel", "cancel"],
  ])("%s sends its choice", async (testId, choice) => {
    const { backend, user } = await renderApp();
    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 1, backupRunning: false }));

    await user.click(await screen.findByTestId(testId));

    await waitFor(() => expect(screen.queryByTestId("close-dialog")).not.toBeInTheDocument());
    expect(backend.callsOf("closeChoice")).toEqual([[choice]]);
  });

  it("Escape cancels", async () => {
    const { backend, user } = await renderApp();
    const search = screen.getByLabelText("Search videos");
    search.focus();
    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 1, backupRunning: false }));
    await screen.findByTestId("close-dialog");

    await user.keyboard("{Escape}");

    await waitFor(() => expect(screen.queryByTestId("close-dialog")).not.toBeInTheDocument());
    expect(backend.callsOf("closeChoice")).toEqual([["cancel"]]);
    expect(search).toHaveFocus();
  });

  it("Tab stays in the dialog", async () => {
    const { backend, user } = await renderApp();
    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 1, backupRunning: false }));
    await screen.findByTestId("close-dialog");

    await user.tab();
    expect(screen.getByTestId("close-cancel")).toHaveFocus();
    await user.tab({ shift: true });
    expect(screen.getByTestId("close-keep")).toHaveFocus();
  });

  it("failed choice keeps the dialog", async () => {
    const { backend, user } = await renderApp();
    backend.failNext("closeChoice", { code: "unexpected", message: "The window is gone." });
    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 1, backupRunning: false }));

    await user.click(await screen.findByTestId("close-stop"));

    expect(await screen.findByRole("alert")).toHaveTextContent("The window is gone.");
    expect(screen.getByTestId("close-dialog")).toBeInTheDocument();
    expect(screen.getByTestId("close-stop")).toBeEnabled();
  });

  it("backup only", async () => {
    const { backend } = await renderApp();

    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 0, backupRunning: true }));

    expect(await screen.findByTestId("close-running")).toHaveTextContent("A backup is running.");
  });

  it("one download", async () => {
    const { backend } = await renderApp();

    act(() => backend.emitShell({ kind: "closeRequested", activeJobs: 1, backupRunning: false }));

    expect(await screen.findByTestId("close-running")).toHaveTextContent("1 download is running.");
  });
});

describe("skip link and settings", () => {
  it("skip link focuses the heading", async () => {
    const { user } = await renderApp();

    await user.tab();
    const link = screen.getByRole("link", { name: "Skip to main content" });
    expect(link).toHaveFocus();
    await user.keyboard("{Enter}");

    expect(screen.getByRole("heading", { name: "Videos" })).toHaveFocus();
  });

  it("open log folder", async () => {
    const { backend, user } = await renderApp();
    await user.click(screen.getByRole("button", { name: "Settings" }));

    await user.click(await screen.findByRole("button", { name: "Open log folder" }));

    expect(backend.callsOf("openLogFolder")).toHaveLength(1);
    expect(screen.getByRole("textbox", { name: "Log folder" })).toHaveValue(backend.status.logDir);
  });

  it("log folder failure is shown", async () => {
    const { backend, user } = await renderApp();
    backend.failNext("openLogFolder", { code: "io", message: "No file manager is installed." });
    await user.click(screen.getByRole("button", { name: "Settings" }));

    await user.click(await screen.findByRole("button", { name: "Open log folder" }));

    const error = await screen.findByText(/Could not open the log folder/);
    expect(error.closest("[role=alert]")).toHaveTextContent("No file manager is installed.");
  });

  it("library offers its folder", async () => {
    const { backend, user } = await renderApp();
    await user.click(screen.getByRole("button", { name: "Library" }));

    await user.click(await screen.findByRole("button", { name: "Open library folder" }));

    expect(backend.callsOf("openLibraryFolder")).toHaveLength(1);
  });
});
