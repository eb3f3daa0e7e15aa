import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { FakeBackend, type FakeOptions } from "../backend/fake";
import { JobStore } from "../jobs/store";
import { makeSummary, makeVideo, makeVideos, renderWith } from "../test/fixtures";
import { chooseSyncMode, FULL_SYNC_INTERVAL_MS, SyncMemory } from "./syncPolicy";
import { VideosView } from "./VideosView";

const HOUR = 60 * 60 * 1000;
const NOW = Date.parse("2025-06-01T12:00:00Z");

const KEYNOTE = makeVideo({ uid: "uid-keynote", name: "Launch keynote" });
const DEMO = makeVideo({
  uid: "uid-demo",
  name: "Product demo",
  created: "2025-01-01T00:00:00Z",
  offline: ["default"],
});

function configured(options: FakeOptions) {
  return new FakeBackend({
    status: { credentialSource: "keychain", accountId: "acc" },
    ...options,
  });
}

function renderVideos(backend: FakeBackend, memory?: SyncMemory) {
  renderWith(
    backend,
    <VideosView
      status={backend.status}
      jobs={new JobStore()}
      onOpenSettings={() => {}}
      onStatusChange={() => {}}
      syncMemory={memory}
    />,
  );
  return userEvent.setup();
}

function row(uid: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(`[data-testid=video-row][data-uid="${uid}"]`);
  if (element === null) {
    throw new Error(`no video row for ${uid}`);
  }
  return element;
}

/** Returns a backend whose mirror was synced before the account changed: one new, renamed, removed. */
function changedAccount() {
  const renamed = makeVideo({ uid: "uid-keynote", name: "Keynote (final cut)" });
  const added = makeVideo({
    uid: "uid-new",
    name: "Fresh upload",
    created: "2025-05-01T00:00:00Z",
  });
  return configured({
    videos: [renamed, added],
    mirror: [KEYNOTE, DEMO],
    lastSync: makeSummary({ finishedAt: new Date(Date.now() - 2 * HOUR).toISOString() }),
  });
}

describe("chooseSyncMode", () => {
  it("never synced is full", () => {
    expect(chooseSyncMode(null, null, NOW)).toBe("full");
  });

  it("recent full is quick", () => {
    const last = makeSummary({ mode: "full", finishedAt: new Date(NOW - HOUR / 2).toISOString() });

    expect(chooseSyncMode(last, null, NOW)).toBe("quick");
  });

  it("old full is full", () => {
    const last = makeSummary({
      mode: "full",
      finishedAt: new Date(NOW - FULL_SYNC_INTERVAL_MS - 1).toISOString(),
    });

    expect(chooseSyncMode(last, null, NOW)).toBe("full");
  });

  it("quick without known full is full", () => {
    const last = makeSummary({ mode: "quick", finishedAt: new Date(NOW - 60_000).toISOString() });

    expect(chooseSyncMode(last, null, NOW)).toBe("full");
  });

  it("quick after remembered full is quick", () => {
    const last = makeSummary({ mode: "quick", finishedAt: new Date(NOW - 60_000).toISOString() });

    expect(chooseSyncMode(last, NOW - HOUR / 4, NOW)).toBe("quick");
  });
});

describe("SyncMemory", () => {
  it("remembers full syncs only", () => {
    const memory = new SyncMemory();

    memory.note("acc", makeSummary({ mode: "quick", finishedAt: "2025-06-01T10:00:00Z" }));
    expect(memory.lastFullSync("acc")).toBeNull();
    memory.note("acc", makeSummary({ mode: "full", finishedAt: "2025-06-01T11:00:00Z" }));

    expect(memory.lastFullSync("acc")).toBe(Date.parse("2025-06-01T11:00:00Z"));
  });
});

describe("videos sync", () => {
  it("shows cache before sync ends", async () => {
    const backend = configured({ videos: [KEYNOTE], mirror: [KEYNOTE] });
    const release = backend.holdSyncs();
    renderVideos(backend);

    expect(await screen.findByText("Launch keynote")).toBeInTheDocument();
    await waitFor(() => {
      expect(screen.getByTestId("sync-summary")).toHaveTextContent(
        "Syncing the whole video list… 1 listed",
      );
    });
    expect(screen.getByTestId("refresh-videos")).toBeDisabled();

    act(() => release());
    await waitFor(() => {
      expect(screen.getByTestId("sync-summary")).toHaveTextContent("Last synced");
    });
  });

  it("first sync is full", async () => {
    const backend = configured({ videos: [KEYNOTE] });
    renderVideos(backend);

    await screen.findByText("Launch keynote");

    expect(backend.callsOf("syncVideos")).toEqual([["full"]]);
  });

  it("recent full sync runs quick", async () => {
    const backend = configured({
      videos: [KEYNOTE],
      lastSync: makeSummary({ mode: "full", finishedAt: new Date().toISOString() }),
    });
    renderVideos(backend);

    await screen.findByText("Launch keynote");

    await waitFor(() => {
      expect(backend.callsOf("syncVideos")).toEqual([["quick"]]);
    });
  });

  it("remembered full sync runs quick", async () => {
    const memory = new SyncMemory();
    memory.note("acc@https://api.cloudflare.com/client/v4", makeSummary({ mode: "full" }));
    const backend = configured({
      videos: [KEYNOTE],
      lastSync: makeSummary({ mode: "quick" }),
    });
    renderVideos(backend, memory);

    await screen.findByText("Launch keynote");

    await waitFor(() => {
      expect(backend.callsOf("syncVideos")).toEqual([["quick"]]);
    });
  });

  it("empty cache fills after sync", async () => {
    const backend = configured({ videos: makeVideos(3), mirror: [] });
    renderVideos(backend);

    expect(await screen.findByText("Video 00003")).toBeInTheDocument();
    expect(backend.callsOf("cachedVideos")).toHaveLength(2);
  });

  it("refresh runs full sync", async () => {
    const backend = configured({
      videos: [KEYNOTE],
      lastSync: makeSummary({ mode: "full", finishedAt: new Date().toISOString() }),
    });
    const user = renderVideos(backend);
    await screen.findByText("Launch keynote");
    await waitFor(() => {
      expect(screen.getByTestId("refresh-videos")).toBeEnabled();
    });

    await user.click(screen.getByTestId("refresh-videos"));

    await waitFor(() => {
      expect(backend.callsOf("syncVideos")).toEqual([["quick"], ["full"]]);
    });
  });

  it("status names last sync", async () => {
    const backend = configured({ videos: makeVideos(2500) });
    renderVideos(backend);

    await waitFor(() => {
      expect(screen.getByTestId("sync-summary")).toHaveTextContent(
        /^Last synced .+ \(full sync, 2,500 videos\)\.$/,
      );
    });
  });

  it("sync error keeps list", async () => {
    const backend = configured({ videos: [KEYNOTE] });
    backend.failNext("syncVideos", { code: "network", message: "connection refused" });
    const user = renderVideos(backend);

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("Could not sync the video list. connection refused");
    expect(screen.getByText("Launch keynote")).toBeInTheDocument();
    await user.click(within(error).getByRole("button", { name: "Retry" }));

    await waitFor(() => {
      expect(screen.queryByTestId("error")).not.toBeInTheDocument();
    });
    expect(backend.callsOf("syncVideos")).toEqual([["full"], ["full"]]);
  });

  it("sync elsewhere is followed", async () => {
    const backend = configured({ videos: [KEYNOTE], syncing: true });
    renderVideos(backend);

    expect(await screen.findByText("A sync started earlier is still running…")).toBeInTheDocument();
    backend.syncing = false;

    await waitFor(
      () => {
        expect(screen.getByTestId("sync-summary")).toHaveTextContent("Not synced yet.");
      },
      { timeout: 4000 },
    );
    expect(backend.callsOf("syncVideos")).toEqual([]);
  });
});

describe("video thumbnails", () => {
  it("thumbnails appear when ready", async () => {
    const url = "http://127.0.0.1:49152/secret/thumbnails/uid-keynote";
    const backend = configured({ videos: [KEYNOTE], thumbnails: { "uid-keynote": url } });
    renderVideos(backend);
    await screen.findByText("Launch keynote");

    const image = await waitFor(() => {
      const found = within(row("uid-keynote")).getByTestId("thumbnail");
      expect(found.tagName).toBe("IMG");
      return found;
    });

    expect(image).toHaveAttribute("src", url);
    expect(image).toHaveAttribute("loading", "lazy");
    expect(image).toHaveAttribute("alt", "");
  });

  it("missing thumbnail shows placeholder", async () => {
    renderVideos(configured({ videos: [KEYNOTE] }));
    await screen.findByText("Launch keynote");

    const placeholder = within(row("uid-keynote")).getByTestId("thumbnail");

    expect(placeholder).toHaveClass("thumb-placeholder");
  });
});

describe("change marks", () => {
  it("new video is marked", async () => {
    renderVideos(changedAccount());

    await screen.findByText("Fresh upload");

    const mark = within(row("uid-new")).getByTestId("change-mark");
    expect(mark).toHaveAttribute("data-change", "new");
    expect(mark).toHaveTextContent("New");
  });

  it("renamed video names old title", async () => {
    renderVideos(changedAccount());

    await screen.findByText("Keynote (final cut)");

    const mark = within(row("uid-keynote")).getByTestId("change-mark");
    expect(mark).toHaveAttribute("data-change", "renamed");
    expect(mark).toHaveAttribute("title", "Previously “Launch keynote”");
  });

  it("removed offline video is only copy", async () => {
    renderVideos(changedAccount());

    await screen.findByText("Fresh upload");

    const removed = row("uid-demo");
    expect(within(removed).getByTestId("change-mark")).toHaveTextContent("Removed from Stream");
    expect(within(removed).getByTestId("only-copy")).toHaveAttribute(
      "title",
      expect.stringContaining("now the only copy"),
    );
    expect(within(removed).getByTestId("make-offline-audio")).toBeDisabled();
  });

  it("status counts changes", async () => {
    renderVideos(changedAccount());

    await screen.findByText("Fresh upload");

    expect(screen.getByTestId("sync-marks")).toHaveTextContent(
      "Changes: 1 new, 1 renamed, 1 removed from Stream.",
    );
  });

  it("mark as seen clears marks", async () => {
    const backend = changedAccount();
    const user = renderVideos(backend);
    await screen.findByText("Fresh upload");

    await user.click(screen.getByTestId("acknowledge-changes"));

    await waitFor(() => {
      expect(screen.queryByTestId("sync-marks")).not.toBeInTheDocument();
    });
    expect(backend.callsOf("acknowledgeChanges")).toHaveLength(1);
    expect(within(row("uid-new")).queryByTestId("change-mark")).not.toBeInTheDocument();
    expect(within(row("uid-demo")).getByTestId("change-mark")).toHaveAttribute(
      "data-change",
      "removed",
    );
  });

  it("acknowledge failure shows error", async () => {
    const backend = changedAccount();
    backend.failNext("acknowledgeChanges", { code: "catalog", message: "disk I/O error" });
    const user = renderVideos(backend);
    await screen.findByText("Fresh upload");

    await user.click(screen.getByTestId("acknowledge-changes"));

    expect(await screen.findByTestId("error")).toHaveTextContent(
      "Could not clear the marks. disk I/O error",
    );
  });
});
