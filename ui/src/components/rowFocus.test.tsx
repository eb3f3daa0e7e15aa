// Keyboard navigation of the virtualized video and library lists, in the app with the fake
// backend: one row in the tab order, arrow keys and paging that scroll the list so the focused
// row exists, Space to select, Enter for the row's main action.
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import { FakeBackend } from "../backend/fake";
import { ROW_HEIGHT_PX } from "../videos/VideoTable";
import { makeEntry, makeSummary, makeVideo, makeVideos, renderWith } from "../test/fixtures";
import { FALLBACK_VIEWPORT_PX, scrollTopShowing } from "./useVirtualRows";

const CONFIGURED = { credentialSource: "keychain" as const, accountId: "acc" };

/** Rows the jsdom viewport pages by: the fallback height, less one row for the header. */
const PAGE_ROWS = Math.floor(FALLBACK_VIEWPORT_PX / ROW_HEIGHT_PX) - 1;

async function renderVideos(count: number, videos = makeVideos(count)) {
  const backend = new FakeBackend({
    status: CONFIGURED,
    videos,
    lastSync: makeSummary({ finishedAt: new Date().toISOString() }),
  });
  const user = userEvent.setup();
  renderWith(backend, <App />);
  await waitFor(() => expect(screen.getAllByTestId("video-row").length).toBeGreaterThan(0));
  await waitFor(() =>
    expect(screen.getByTestId("sync-status")).toHaveAttribute("data-syncing", "false"),
  );
  return { backend, user };
}

/** Returns the rendered row with list index `index`, or null when it is not in the DOM. */
function row(index: number): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-row-index="${index}"]`);
}

/** Returns the rendered row with list index `index`, failing when it is not in the DOM. */
function rowAt(index: number): HTMLElement {
  const found = row(index);
  if (found === null) {
    throw new Error(`row ${index} is not rendered`);
  }
  return found;
}

describe("scrollTopShowing", () => {
  it.each<[string, number, number, number]>([
    ["row in view stays", 3, 0, 0],
    ["row above scrolls up to it", 2, 500, 128],
    ["row below scrolls its bottom into view", 20, 0, 21 * 64 - 600],
    ["first row", 0, 300, 0],
  ])("%s", (_name, index, scrollTop, expected) => {
    expect(scrollTopShowing(index, 64, scrollTop, 600)).toBe(expected);
  });
});

describe("video list keys", () => {
  it("one row in the tab order", async () => {
    await renderVideos(5);

    const tabbable = screen.getAllByTestId("video-row").filter((element) => element.tabIndex === 0);
    expect(tabbable).toEqual([rowAt(0)]);
    for (const control of rowAt(1).querySelectorAll("button, input")) {
      expect(control).toHaveAttribute("tabindex", "-1");
    }
    for (const control of rowAt(0).querySelectorAll("button, input")) {
      expect(control).toHaveAttribute("tabindex", "0");
    }
  });

  it("arrow down from search", async () => {
    const { user } = await renderVideos(5);
    await user.click(screen.getByLabelText("Search videos"));

    await user.keyboard("{ArrowDown}");

    expect(rowAt(0)).toHaveFocus();
  });

  it("arrows move between rows", async () => {
    const { user } = await renderVideos(5);
    rowAt(0).focus();

    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(rowAt(2)).toHaveFocus();
    expect(rowAt(2).tabIndex).toBe(0);
    expect(rowAt(0).tabIndex).toBe(-1);

    await user.keyboard("{ArrowUp}");
    expect(rowAt(1)).toHaveFocus();
  });

  it("arrows stop at the ends", async () => {
    const { user } = await renderVideos(3);
    rowAt(0).focus();

    await user.keyboard("{ArrowUp}");
    expect(rowAt(0)).toHaveFocus();
    await user.keyboard("{End}{ArrowDown}");
    expect(rowAt(2)).toHaveFocus();
  });

  it("End and Home in 10,000 rows", async () => {
    const { user } = await renderVideos(10_000);
    const scroller = screen.getByTestId("video-scroll");
    expect(row(9_999)).toBeNull();
    rowAt(0).focus();

    await user.keyboard("{End}");

    await waitFor(() => expect(rowAt(9_999)).toHaveFocus());
    expect(rowAt(9_999)).toHaveAttribute("data-uid", "uid-10000");
    expect(scroller.scrollTop).toBe(10_000 * ROW_HEIGHT_PX - FALLBACK_VIEWPORT_PX);

    await user.keyboard("{Home}");

    await waitFor(() => expect(rowAt(0)).toHaveFocus());
    expect(scroller.scrollTop).toBe(0);
  });

  it("Page Down moves a page", async () => {
    const { user } = await renderVideos(100);
    rowAt(0).focus();

    await user.keyboard("{PageDown}");
    await waitFor(() => expect(rowAt(PAGE_ROWS)).toHaveFocus());

    await user.keyboard("{PageDown}{PageDown}");
    await waitFor(() => expect(rowAt(3 * PAGE_ROWS)).toHaveFocus());
    expect(row(0)).toBeNull();

    await user.keyboard("{PageUp}");
    await waitFor(() => expect(rowAt(2 * PAGE_ROWS)).toHaveFocus());
  });

  it("arrow from a row button", async () => {
    const { user } = await renderVideos(5);
    const button = rowAt(0).querySelector<HTMLElement>("[data-testid=make-offline]");
    button?.focus();

    await user.keyboard("{ArrowDown}");

    expect(rowAt(1)).toHaveFocus();
  });

  it("Space selects the row", async () => {
    const { user } = await renderVideos(5);
    rowAt(0).focus();

    await user.keyboard(" ");

    expect(screen.getByTestId("selection-count")).toHaveTextContent("1 selected");
    expect(rowAt(0).querySelector("[data-testid=select-video]")).toBeChecked();

    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}{Shift>} {/Shift}");
    expect(screen.getByTestId("selection-count")).toHaveTextContent("4 selected");

    await user.keyboard(" ");
    expect(screen.getByTestId("selection-count")).toHaveTextContent("3 selected");
  });

  it("Enter starts the download", async () => {
    const { backend, user } = await renderVideos(5);
    rowAt(0).focus();

    await user.keyboard("{ArrowDown}{Enter}");

    await waitFor(() =>
      expect(backend.callsOf("startDownload")).toEqual([["uid-00002", "default"]]),
    );
  });

  it("Enter skips an offline video", async () => {
    const { backend, user } = await renderVideos(1, [makeVideo({ offline: ["default"] })]);
    rowAt(0).focus();

    await user.keyboard("{Enter}");

    expect(backend.callsOf("startDownload")).toEqual([]);
  });

  it("Enter on a button presses it", async () => {
    const { backend, user } = await renderVideos(2);
    rowAt(0).querySelector<HTMLElement>("[data-testid=make-offline-audio]")?.focus();

    await user.keyboard("{Enter}");

    await waitFor(() => expect(backend.callsOf("startDownload")).toEqual([["uid-00001", "audio"]]));
  });

  it("Tab visits the row, then leaves", async () => {
    const { user } = await renderVideos(5);
    const table = screen.getByRole("table", { name: "Videos in the account" });
    rowAt(1).focus();

    await user.tab();
    expect(rowAt(1).querySelector("[data-testid=select-video]")).toHaveFocus();
    await user.tab();
    expect(rowAt(1).querySelector("[data-testid=make-offline]")).toHaveFocus();
    await user.tab();
    expect(rowAt(1).querySelector("[data-testid=make-offline-audio]")).toHaveFocus();
    await user.tab();
    expect(table.contains(document.activeElement)).toBe(false);
  });

  it("Shift+Tab reaches the headers", async () => {
    const { user } = await renderVideos(5);
    rowAt(0).focus();

    await user.tab({ shift: true });

    expect(screen.getByTestId("sort-created")).toHaveFocus();
  });

  it("click makes the row current", async () => {
    const { user } = await renderVideos(5);

    await user.click(rowAt(3).querySelector<HTMLElement>("[data-testid=select-video]")!);

    expect(rowAt(3).tabIndex).toBe(0);
    expect(rowAt(0).tabIndex).toBe(-1);
  });

  it("new filter makes the first row current", async () => {
    const { user } = await renderVideos(30);
    rowAt(0).focus();
    await user.keyboard("{ArrowDown}{ArrowDown}");

    await user.click(screen.getByLabelText("Search videos"));
    await user.keyboard("Video 000");

    await waitFor(() => expect(rowAt(0).tabIndex).toBe(0));
  });

  it("scrolled-away row gives way", async () => {
    const { user } = await renderVideos(500);
    rowAt(0).focus();
    await user.keyboard("{ArrowDown}");
    const scroller = screen.getByTestId("video-scroll");

    scroller.scrollTop = 200 * ROW_HEIGHT_PX;
    scroller.dispatchEvent(new Event("scroll"));

    await waitFor(() => expect(row(1)).toBeNull());
    const tabbable = screen.getAllByTestId("video-row").filter((element) => element.tabIndex === 0);
    expect(tabbable).toHaveLength(1);
  });
});

describe("library list keys", () => {
  const ENTRIES = [
    makeEntry({ id: 1, uid: "uid-a", title: "Alpha", addedAt: "2025-04-03T00:00:00Z" }),
    makeEntry({ id: 2, uid: "uid-b", title: "Bravo", addedAt: "2025-04-02T00:00:00Z" }),
    makeEntry({
      id: 3,
      uid: "uid-c",
      title: "Charlie",
      path: "/lib/Charlie.mp4",
      addedAt: "2025-04-01T00:00:00Z",
    }),
  ];

  async function renderLibrary() {
    const backend = new FakeBackend({
      status: CONFIGURED,
      library: ENTRIES,
      files: { "/lib/Charlie.mp4": { state: "missing" } },
    });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    await user.click(await screen.findByRole("button", { name: "Library" }));
    await waitFor(() => expect(screen.getAllByTestId("library-row")).toHaveLength(3));
    await screen.findByTestId("missing");
    return { backend, user };
  }

  it("Enter plays the row", async () => {
    const { user } = await renderLibrary();
    await user.click(screen.getByLabelText("Search the library"));

    await user.keyboard("{ArrowDown}{ArrowDown}{Enter}");

    expect(rowAt(1)).toHaveAttribute("aria-current", "true");
    expect(document.querySelector("video#player")).toHaveAccessibleName("Player: Bravo");
  });

  it("Enter skips a missing file", async () => {
    const { user } = await renderLibrary();
    rowAt(0).focus();

    await user.keyboard("{End}{Enter}");

    expect(rowAt(2)).toHaveFocus();
    expect(document.querySelector("video#player")).toBeNull();
  });

  it("row buttons leave the tab order", async () => {
    await renderLibrary();

    for (const button of rowAt(2).querySelectorAll("button")) {
      expect(button).toHaveAttribute("tabindex", "-1");
    }
    expect(rowAt(0).querySelector("[data-testid=delete]")).toHaveAttribute("tabindex", "0");
  });
});
