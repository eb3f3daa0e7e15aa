import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { FakeBackend } from "../backend/fake";
import type { AppStatus, JobSnapshot } from "../backend/types";
import { JobStore } from "../jobs/store";
import { makeJob, makeVideo, renderWith } from "../test/fixtures";
import { filterVideos, markFinished, VideosView } from "./VideosView";

const KEYNOTE = makeVideo({ uid: "uid-keynote", name: "Launch keynote", creator: "marketing" });
const DEMO = makeVideo({
  uid: "uid-demo",
  name: "Product demo",
  durationSeconds: 75,
  sizeBytes: 12_345_678,
  created: "2024-11-02T08:00:00Z",
  requireSignedUrls: true,
  offline: ["default"],
});
const PROCESSING = makeVideo({
  uid: "uid-processing",
  name: "Webinar recording",
  state: "inprogress",
  readyToStream: false,
});

function renderVideos(backend: FakeBackend, store = new JobStore()) {
  const status: AppStatus = backend.status;
  renderWith(
    backend,
    <VideosView status={status} jobs={store} onOpenSettings={() => {}} onStatusChange={() => {}} />,
  );
  return store;
}

function configured(videos = [KEYNOTE, DEMO, PROCESSING]) {
  return new FakeBackend({ status: { credentialSource: "keychain", accountId: "acc" }, videos });
}

function row(uid: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(`[data-testid=video-row][data-uid="${uid}"]`);
  if (element === null) {
    throw new Error(`no video row for ${uid}`);
  }
  return element;
}

/** Watches jobs the way App does, so pushed snapshots reach the store. */
async function watch(backend: FakeBackend, store: JobStore) {
  store.seed(await backend.watchJobs((job) => store.apply(job)));
}

describe("VideosView", () => {
  it("shows loading first", () => {
    renderVideos(configured());

    expect(screen.getByRole("status")).toHaveTextContent("Loading videos…");
  });

  it("renders rows newest first", async () => {
    renderVideos(configured());

    await screen.findByText("Launch keynote");
    expect(screen.getAllByTestId("video-row").map((element) => element.dataset.uid)).toEqual([
      "uid-keynote",
      "uid-processing",
      "uid-demo",
    ]);
  });

  it("formats row cells", async () => {
    renderVideos(configured());
    await screen.findByText("Product demo");

    // Cells 0 and 1 hold the checkbox and the thumbnail.
    const cells = within(row("uid-demo")).getAllByRole("cell");
    expect(cells[2]).toHaveTextContent("0:01:15");
    expect(cells[3]).toHaveTextContent("12.3 MB");
    expect(within(row("uid-demo")).getByText(/2024/)).toHaveAttribute(
      "datetime",
      "2024-11-02T08:00:00Z",
    );
    expect(cells[5]).toHaveTextContent("Ready");
  });

  it("private badge for signed urls", async () => {
    renderVideos(configured());
    await screen.findByText("Product demo");

    expect(within(row("uid-demo")).getByTestId("private-badge")).toHaveTextContent("Private");
    expect(within(row("uid-keynote")).queryByTestId("private-badge")).not.toBeInTheDocument();
  });

  it("offline mark for default type", async () => {
    renderVideos(configured());
    await screen.findByText("Product demo");

    expect(within(row("uid-demo")).getByTestId("offline-mark")).toHaveTextContent("Offline");
    expect(within(row("uid-keynote")).queryByTestId("offline-mark")).not.toBeInTheDocument();
    expect(within(row("uid-demo")).getByTestId("make-offline")).toBeDisabled();
  });

  it("not ready disables download", async () => {
    renderVideos(configured());
    await screen.findByText("Webinar recording");

    const button = within(row("uid-processing")).getByTestId("make-offline");
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute("title", expect.stringContaining("still processing"));
    expect(within(row("uid-keynote")).getByTestId("make-offline")).toBeEnabled();
  });

  it("paused job disables download", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await screen.findByText("Launch keynote");
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ uid: "uid-keynote", phase: "paused" })));

    const button = within(row("uid-keynote")).getByTestId("make-offline");
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute("title", expect.stringContaining("is paused"));
  });

  it("search filters as typed", async () => {
    const user = userEvent.setup();
    renderVideos(configured());
    await screen.findByText("Launch keynote");

    await user.type(screen.getByLabelText("Search videos"), "DEMO");

    await waitFor(() => {
      expect(screen.getAllByTestId("video-row").map((element) => element.dataset.uid)).toEqual([
        "uid-demo",
      ]);
    });
  });

  it("search matches creator", async () => {
    const user = userEvent.setup();
    renderVideos(configured());
    await screen.findByText("Launch keynote");

    await user.type(screen.getByLabelText("Search videos"), "marketing");

    await waitFor(() => {
      expect(screen.getAllByTestId("video-row")).toHaveLength(1);
    });
  });

  it("search with no match says so", async () => {
    const user = userEvent.setup();
    renderVideos(configured());
    await screen.findByText("Launch keynote");

    await user.type(screen.getByLabelText("Search videos"), "zzz");

    expect(await screen.findByText("No videos match this search.")).toBeInTheDocument();
  });

  it("enter stays offline", async () => {
    const backend = configured();
    const user = userEvent.setup();
    renderVideos(backend);
    await screen.findByText("Launch keynote");

    await user.type(screen.getByLabelText("Search videos"), " webinar {Enter}");

    await waitFor(() => {
      expect(screen.getAllByTestId("video-row")).toHaveLength(1);
    });
    expect(backend.callsOf("listVideos")).toEqual([]);
    expect(backend.callsOf("syncVideos")).toHaveLength(1);
  });

  it("load error offers retry", async () => {
    const backend = configured();
    backend.failNext("cachedVideos", {
      code: "catalog",
      message: "catalog.sqlite is locked; retry in a moment.",
    });
    const user = userEvent.setup();
    renderVideos(backend);

    expect(await screen.findByTestId("error")).toHaveTextContent("catalog.sqlite is locked");
    await user.click(screen.getByRole("button", { name: "Retry" }));

    expect(await screen.findByText("Launch keynote")).toBeInTheDocument();
    expect(screen.queryByTestId("error")).not.toBeInTheDocument();
  });

  it("empty account says so", async () => {
    renderVideos(configured([]));

    expect(await screen.findByText("This account has no videos yet.")).toBeInTheDocument();
  });

  it("unconfigured asks for credentials", () => {
    renderVideos(new FakeBackend());

    expect(screen.getByRole("button", { name: "Open Settings" })).toBeInTheDocument();
  });

  it("make offline starts download", async () => {
    const backend = configured();
    const user = userEvent.setup();
    renderVideos(backend);
    await screen.findByText("Launch keynote");

    await user.click(within(row("uid-keynote")).getByTestId("make-offline"));

    expect(backend.callsOf("startDownload")).toEqual([["uid-keynote", "default"]]);
    const job = await screen.findByTestId("job");
    expect(job).toHaveAttribute("data-uid", "uid-keynote");
    expect(job).toHaveAttribute("data-phase", "queued");
    expect(within(row("uid-keynote")).getByTestId("make-offline")).toBeDisabled();
  });

  it("audio only starts audio download", async () => {
    const backend = configured();
    const user = userEvent.setup();
    renderVideos(backend);
    await screen.findByText("Launch keynote");

    await user.click(within(row("uid-keynote")).getByTestId("make-offline-audio"));

    expect(backend.callsOf("startDownload")).toEqual([["uid-keynote", "audio"]]);
  });

  it("start failure shows error", async () => {
    const backend = configured();
    backend.failNext("startDownload", {
      code: "permission",
      message: "The token lacks Stream Write, which downloads need.",
    });
    const user = userEvent.setup();
    renderVideos(backend);
    await screen.findByText("Launch keynote");

    await user.click(within(row("uid-keynote")).getByTestId("make-offline"));

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("Could not start the download of “Launch keynote”");
    expect(error).toHaveTextContent("lacks Stream Write");
  });
});

describe("jobs panel", () => {
  const cases: Array<[string, Partial<JobSnapshot>, string]> = [
    ["queued", { phase: "queued" }, "Queued"],
    ["preparing without percent", { phase: "preparing" }, "Preparing on Cloudflare…"],
    ["preparing", { phase: "preparing", preparePercent: 45 }, "Preparing on Cloudflare 45%"],
    [
      "transferring",
      { phase: "transferring", bytesDone: 12_300_000, bytesTotal: 40_000_000 },
      "Downloading 12.3 MB of 40.0 MB",
    ],
    [
      "transferring without total",
      { phase: "transferring", bytesDone: 12_300_000 },
      "Downloading 12.3 MB",
    ],
    ["verifying", { phase: "verifying" }, "Verifying"],
    ["done", { phase: "done", itemId: 4 }, "Done: in the library"],
    ["cancelled", { phase: "cancelled" }, "Cancelled"],
  ];

  it.each(cases)("renders %s", async (_name, snapshot, text) => {
    const backend = configured();
    const store = renderVideos(backend);
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ id: 9, uid: "uid-keynote", ...snapshot })));

    const job = await screen.findByTestId("job");
    expect(job).toHaveAttribute("data-phase", snapshot.phase);
    expect(within(job).getByText(text)).toBeInTheDocument();
  });

  it("untitled job shows uid", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ uid: "uid-new", title: null })));

    expect(within(await screen.findByTestId("job")).getByText("uid-new")).toBeInTheDocument();
  });

  it("untitled job uses listed name", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await screen.findByText("Launch keynote");
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ uid: "uid-keynote", title: null, phase: "failed" })));

    const job = await screen.findByTestId("job");
    expect(within(job).getByText("Launch keynote")).toBeInTheDocument();
    expect(within(job).queryByText("uid-keynote")).not.toBeInTheDocument();
  });

  it("progress bar follows percent", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ phase: "preparing", preparePercent: 45 })));

    const bar = within(await screen.findByTestId("job")).getByRole("progressbar");
    expect(bar).toHaveAttribute("value", "45");
    expect(bar).toHaveAttribute("max", "100");
  });

  it("progress bar follows bytes", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await watch(backend, store);

    act(() =>
      backend.pushJob(makeJob({ phase: "transferring", bytesDone: 500, bytesTotal: 2000 })),
    );

    const bar = within(await screen.findByTestId("job")).getByRole("progressbar");
    expect(bar).toHaveAttribute("value", "500");
    expect(bar).toHaveAttribute("max", "2000");
  });

  it("phases advance in one item", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ id: 3, phase: "preparing", preparePercent: 10 })));
    act(() => backend.pushJob(makeJob({ id: 3, phase: "transferring", bytesDone: 1 })));
    act(() => backend.pushJob(makeJob({ id: 3, phase: "verifying" })));

    expect(screen.getAllByTestId("job")).toHaveLength(1);
    expect(screen.getByTestId("job")).toHaveAttribute("data-phase", "verifying");
  });

  it("failed job shows error", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await watch(backend, store);

    act(() =>
      backend.pushJob(
        makeJob({
          phase: "failed",
          error: { code: "not_ready", message: "Cloudflare reported an error preparing the MP4." },
        }),
      ),
    );

    const job = await screen.findByTestId("job");
    expect(within(job).getByTestId("error")).toHaveTextContent(
      "Cloudflare reported an error preparing the MP4.",
    );
    expect(within(job).queryByTestId("cancel-job")).not.toBeInTheDocument();
  });

  it("cancel calls backend", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    const user = userEvent.setup();
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ id: 12, phase: "transferring", bytesDone: 1 })));
    await user.click(await screen.findByTestId("cancel-job"));
    await user.click(screen.getByTestId("confirm-cancel-job"));

    expect(backend.callsOf("cancelDownload")).toEqual([[12, false]]);
  });

  it("cancel failure shows error", async () => {
    const backend = configured();
    backend.failNext("cancelDownload", { code: "not_found", message: "job 12 not found" });
    const store = renderVideos(backend);
    const user = userEvent.setup();
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ id: 12, phase: "transferring", bytesDone: 1 })));
    await user.click(await screen.findByTestId("cancel-job"));
    await user.click(screen.getByTestId("confirm-cancel-job"));

    expect(await screen.findByTestId("error")).toHaveTextContent("job 12 not found");
  });

  it("done job marks row offline", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    await watch(backend, store);
    await screen.findByText("Launch keynote");

    act(() => backend.pushJob(makeJob({ uid: "uid-keynote", phase: "done", itemId: 1 })));

    expect(within(row("uid-keynote")).getByTestId("offline-mark")).toBeInTheDocument();
  });

  it("offline mark survives clear", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    const user = userEvent.setup();
    await watch(backend, store);
    await screen.findByText("Launch keynote");

    act(() => backend.pushJob(makeJob({ uid: "uid-keynote", phase: "done", itemId: 1 })));
    await user.click(screen.getByRole("button", { name: "Clear finished" }));

    expect(screen.queryByTestId("job")).not.toBeInTheDocument();
    expect(within(row("uid-keynote")).getByTestId("offline-mark")).toBeInTheDocument();
  });

  it("old done job leaves row alone", async () => {
    const backend = configured();
    const store = new JobStore();
    store.apply(makeJob({ uid: "uid-keynote", phase: "done", itemId: 1 }));
    renderVideos(backend, store);

    await screen.findByText("Launch keynote");

    expect(within(row("uid-keynote")).queryByTestId("offline-mark")).not.toBeInTheDocument();
    expect(within(row("uid-keynote")).getByTestId("make-offline")).toBeEnabled();
  });

  it("clear finished removes done jobs", async () => {
    const backend = configured();
    const store = renderVideos(backend);
    const user = userEvent.setup();
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ id: 1, phase: "done" })));
    act(() => backend.pushJob(makeJob({ id: 2, uid: "uid-demo", phase: "preparing" })));
    await user.click(await screen.findByRole("button", { name: "Clear finished" }));

    expect(screen.getAllByTestId("job").map((job) => job.dataset.phase)).toEqual(["preparing"]);
  });
});

describe("filterVideos", () => {
  it.each([
    ["", 3],
    ["   ", 3],
    ["keynote", 1],
    ["UID-DEMO", 1],
    ["marketing", 1],
    ["o", 3],
    ["nothing", 0],
  ])("query %j keeps %i", (query, count) => {
    expect(filterVideos([KEYNOTE, DEMO, PROCESSING], query)).toHaveLength(count);
  });
});

describe("markFinished", () => {
  const key = "uid-keynote:default";

  it("adds type that just finished", () => {
    const result = markFinished([KEYNOTE], new Map([[key, "verifying"]]), new Map([[key, "done"]]));

    expect(result[0]?.offline).toEqual(["default"]);
  });

  it("ignores job done before", () => {
    const videos = [KEYNOTE];
    const result = markFinished(videos, new Map([[key, "done"]]), new Map([[key, "done"]]));

    expect(result).toBe(videos);
  });

  it("ignores failed job", () => {
    const videos = [KEYNOTE];
    const result = markFinished(
      videos,
      new Map([[key, "transferring"]]),
      new Map([[key, "failed"]]),
    );

    expect(result).toBe(videos);
  });
});
