import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { BackendProvider } from "../backend/context";
import { FakeBackend } from "../backend/fake";
import type { JobNotice, JobPhase, JobSnapshot } from "../backend/types";
import { makeEntry, makeJob, renderWith } from "../test/fixtures";
import { LibraryView } from "../library/LibraryView";
import { describeJob } from "./JobItem";
import { cardsToShow, JobsPanel, MAX_CARDS } from "./JobsPanel";
import { describeNotice } from "./NoticeMessage";
import { JobStore } from "./store";

/** Renders the panel over a FakeBackend whose snapshots reach the store, as in App. */
async function renderPanel(jobs: JobSnapshot[]) {
  const backend = new FakeBackend({ jobs });
  const store = new JobStore();
  store.seed(await backend.watchJobs((job) => store.apply(job)));
  renderWith(backend, <JobsPanel store={store} />);
  return { backend, store, user: userEvent.setup() };
}

/** Returns the card at `index` in the panel, oldest job first. */
function card(index = 0): HTMLElement {
  const match = screen.getAllByTestId("job")[index];
  if (match === undefined) {
    throw new Error(`no job card at ${index}`);
  }
  return match;
}

function notice(overrides: JobNotice): JobSnapshot {
  return makeJob({ phase: "preparing", preparePercent: 37, notice: overrides });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("describeJob", () => {
  it.each<[string, Partial<JobSnapshot>, string]>([
    ["paused before bytes", { phase: "paused" }, "Paused"],
    [
      "paused with size",
      { phase: "paused", bytesDone: 12_300_000, bytesTotal: 40_000_000 },
      "Paused at 12.3 MB of 40.0 MB",
    ],
    ["paused without size", { phase: "paused", bytesDone: 12_300_000 }, "Paused at 12.3 MB"],
    ["done", { phase: "done", itemId: 4 }, "Done: in the library"],
  ])("describes %s", (_name, snapshot, expected) => {
    expect(describeJob(makeJob(snapshot))).toBe(expected);
  });

  it("describes removed item", () => {
    expect(describeJob(makeJob({ phase: "done", itemId: 4 }), true)).toBe("Removed from library");
  });
});

describe("job pause and resume", () => {
  it.each<JobPhase>(["queued", "preparing", "transferring"])(
    "pause sends job id when %s",
    async (phase) => {
      const { backend, user } = await renderPanel([makeJob({ id: 3, phase })]);

      await user.click(screen.getByTestId("pause-job"));

      expect(backend.callsOf("pauseDownload")).toEqual([[3]]);
    },
  );

  it("pause shows paused phase", async () => {
    const { user } = await renderPanel([makeJob({ phase: "transferring" })]);

    await user.click(screen.getByTestId("pause-job"));

    await waitFor(() => {
      expect(screen.getByTestId("job")).toHaveAttribute("data-phase", "paused");
    });
    expect(screen.queryByTestId("pause-job")).not.toBeInTheDocument();
    expect(screen.getByTestId("resume-job")).toBeInTheDocument();
  });

  it.each<JobPhase>(["verifying", "paused", "done", "failed", "cancelled"])(
    "%s offers no pause",
    async (phase) => {
      await renderPanel([makeJob({ phase })]);

      expect(screen.queryByTestId("pause-job")).not.toBeInTheDocument();
    },
  );

  it("resume sends job id", async () => {
    const { backend, user } = await renderPanel([makeJob({ id: 4, phase: "paused" })]);

    await user.click(screen.getByTestId("resume-job"));

    expect(backend.callsOf("resumeDownload")).toEqual([[4]]);
    await waitFor(() => {
      expect(screen.getByTestId("job")).toHaveAttribute("data-phase", "queued");
    });
  });

  it.each<JobPhase>(["queued", "transferring", "done", "failed"])(
    "%s offers no resume",
    async (phase) => {
      await renderPanel([makeJob({ phase })]);

      expect(screen.queryByTestId("resume-job")).not.toBeInTheDocument();
    },
  );

  it("pause failure shows error", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "transferring" })]);
    backend.failNext("pauseDownload", { code: "unknown_job", message: "No job has the id 1." });

    await user.click(screen.getByTestId("pause-job"));

    const error = await within(screen.getByTestId("job")).findByTestId("error");
    expect(error).toHaveTextContent("Could not pause");
    expect(error).toHaveTextContent("No job has the id 1.");
    expect(screen.getByTestId("pause-job")).toBeEnabled();
  });

  it("pause waits for phase change", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "transferring" })]);
    // Rust returns at once but announces "paused" only after the transfer stopped.
    backend.pauseDownload = async (jobId) => {
      backend.calls.push({ method: "pauseDownload", args: [jobId] });
    };

    await user.click(screen.getByTestId("pause-job"));

    await waitFor(() => {
      expect(screen.getByTestId("pause-job")).toBeDisabled();
    });
  });

  it("resume failure shows error", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "paused" })]);
    backend.failNext("resumeDownload", { code: "catalog", message: "The catalog is locked." });

    await user.click(screen.getByTestId("resume-job"));

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("Could not resume");
    expect(error).toHaveTextContent("The catalog is locked.");
  });
});

describe("job cancel", () => {
  it("cancel asks first", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "transferring" })]);

    await user.click(screen.getByTestId("cancel-job"));

    expect(screen.getByTestId("cancel-job-dialog")).toHaveTextContent("Launch keynote");
    expect(screen.getByTestId("remove-partial")).not.toBeChecked();
    expect(backend.callsOf("cancelDownload")).toHaveLength(0);
  });

  it("cancel keeps partial file", async () => {
    const { backend, user } = await renderPanel([makeJob({ id: 6, phase: "transferring" })]);

    await user.click(screen.getByTestId("cancel-job"));
    await user.click(screen.getByTestId("confirm-cancel-job"));

    expect(backend.callsOf("cancelDownload")).toEqual([[6, false]]);
    expect(screen.queryByTestId("cancel-job-dialog")).not.toBeInTheDocument();
    await waitFor(() => {
      expect(screen.getByTestId("job")).toHaveAttribute("data-phase", "cancelled");
    });
  });

  it("cancel removes partial file", async () => {
    const { backend, user } = await renderPanel([makeJob({ id: 6, phase: "transferring" })]);

    await user.click(screen.getByTestId("cancel-job"));
    await user.click(screen.getByLabelText("Also delete the partial file"));
    await user.click(screen.getByTestId("confirm-cancel-job"));

    expect(backend.callsOf("cancelDownload")).toEqual([[6, true]]);
  });

  it("dialog text follows checkbox", async () => {
    const { user } = await renderPanel([makeJob({ phase: "transferring" })]);

    await user.click(screen.getByTestId("cancel-job"));
    expect(screen.getByTestId("cancel-job-dialog")).toHaveTextContent("stays on this computer");
    await user.click(screen.getByTestId("remove-partial"));

    expect(screen.getByTestId("cancel-job-dialog")).toHaveTextContent("is deleted");
  });

  it("keep download closes dialog", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "transferring" })]);

    await user.click(screen.getByTestId("cancel-job"));
    await user.click(screen.getByRole("button", { name: "Keep download" }));

    expect(screen.queryByTestId("cancel-job-dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("cancelDownload")).toHaveLength(0);
  });

  it("paused job can be cancelled", async () => {
    const { backend, user } = await renderPanel([makeJob({ id: 2, phase: "paused" })]);

    await user.click(screen.getByTestId("cancel-job"));
    await user.click(screen.getByTestId("confirm-cancel-job"));

    expect(backend.callsOf("cancelDownload")).toEqual([[2, false]]);
  });

  it("dialog closes when job ends", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "verifying" })]);

    await user.click(screen.getByTestId("cancel-job"));
    act(() => backend.pushJob(makeJob({ phase: "done", itemId: 1 })));

    expect(screen.queryByTestId("cancel-job-dialog")).not.toBeInTheDocument();
  });

  it("cancel failure shows error", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "transferring" })]);
    backend.failNext("cancelDownload", { code: "catalog", message: "The catalog is locked." });

    await user.click(screen.getByTestId("cancel-job"));
    await user.click(screen.getByTestId("confirm-cancel-job"));

    expect(await screen.findByTestId("error")).toHaveTextContent("Could not cancel");
  });
});

describe("job retry", () => {
  it.each<JobPhase>(["failed", "cancelled"])("%s job retries same video", async (phase) => {
    const job = makeJob({ id: 2, uid: "uid-podcast", downloadType: "audio", phase });
    const { backend, user } = await renderPanel([job]);

    await user.click(screen.getByTestId("retry-job"));

    expect(backend.callsOf("startDownload")).toEqual([["uid-podcast", "audio"]]);
  });

  it("retry shows new job", async () => {
    const { user } = await renderPanel([makeJob({ id: 2, phase: "failed" })]);

    await user.click(screen.getByTestId("retry-job"));

    await waitFor(() => {
      expect(screen.getAllByTestId("job").map((job) => job.dataset.phase)).toEqual([
        "failed",
        "queued",
      ]);
    });
    expect(screen.queryByTestId("retry-job")).not.toBeInTheDocument();
  });

  it.each<JobPhase>(["queued", "transferring", "paused", "done"])(
    "%s offers no retry",
    async (phase) => {
      await renderPanel([makeJob({ phase })]);

      expect(screen.queryByTestId("retry-job")).not.toBeInTheDocument();
    },
  );

  it("retry failure shows error", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "failed" })]);
    backend.failNext("startDownload", { code: "auth", message: "The token was revoked." });

    await user.click(screen.getByTestId("retry-job"));

    const errors = await within(card()).findAllByTestId("error");
    expect(errors.map((error) => error.textContent)).toContain(
      "Could not retry. The token was revoked.",
    );
    expect(screen.getByTestId("retry-job")).toBeEnabled();
  });
});

describe("job notices", () => {
  it.each<[string, JobNotice, string]>([
    [
      "stalled",
      { kind: "stalled", percent: 37, sinceSecs: 120 },
      "Cloudflare's preparation has not moved from 37% for 2 min",
    ],
    [
      "stalled without percent",
      { kind: "stalled", percent: null, sinceSecs: 45 },
      "Cloudflare's preparation has not moved for 45 s",
    ],
    [
      "rate limited",
      { kind: "rateLimited", retryAfterSecs: 42 },
      "Waiting for Cloudflare's rate limit: resumes in 42 s",
    ],
    [
      "disk full",
      { kind: "diskFull", neededBytes: 1_200_000_000 },
      "The disk is full: 1.2 GB more is needed. Free some space, then Resume. The partial file is kept.",
    ],
    [
      "disk full without size",
      { kind: "diskFull", neededBytes: null },
      "The disk is full. Free some space, then Resume. The partial file is kept.",
    ],
  ])("shows %s", async (_name, value, expected) => {
    await renderPanel([notice(value)]);

    const message = screen.getByTestId("job-notice");
    expect(message).toHaveTextContent(expected);
    expect(message).toHaveAttribute("role", "status");
    expect(message).toHaveAttribute("data-kind", value.kind);
  });

  it("disk full shows on paused job", async () => {
    await renderPanel([
      makeJob({ phase: "paused", notice: { kind: "diskFull", neededBytes: 5_000 } }),
    ]);

    expect(screen.getByTestId("job-notice")).toHaveTextContent("5.0 KB more is needed");
    expect(screen.getByTestId("resume-job")).toBeInTheDocument();
  });

  it("finished job hides notice", async () => {
    await renderPanel([
      makeJob({ phase: "failed", notice: { kind: "stalled", percent: 37, sinceSecs: 600 } }),
    ]);

    expect(screen.queryByTestId("job-notice")).not.toBeInTheDocument();
  });

  it("no notice shows nothing", async () => {
    await renderPanel([makeJob({ phase: "preparing" })]);

    expect(screen.queryByTestId("job-notice")).not.toBeInTheDocument();
  });
});

describe("rate limit countdown", () => {
  /** Renders the panel with fake timers, so the countdown moves only when a test advances them. */
  function renderWithClock(job: JobSnapshot) {
    vi.useFakeTimers();
    const backend = new FakeBackend();
    const store = new JobStore();
    store.apply(job);
    render(
      <BackendProvider backend={backend}>
        <JobsPanel store={store} />
      </BackendProvider>,
    );
    return store;
  }

  const limited = (seconds: number) =>
    makeJob({ phase: "preparing", notice: { kind: "rateLimited", retryAfterSecs: seconds } });

  it("counts down each second", () => {
    renderWithClock(limited(42));

    act(() => vi.advanceTimersByTime(5_000));

    expect(screen.getByTestId("job-notice")).toHaveTextContent("resumes in 37 s");
  });

  it("counts down minutes", () => {
    renderWithClock(limited(150));

    act(() => vi.advanceTimersByTime(20_000));

    expect(screen.getByTestId("job-notice")).toHaveTextContent("resumes in 2 min 10 s");
  });

  it("ends at resuming now", () => {
    renderWithClock(limited(3));

    act(() => vi.advanceTimersByTime(10_000));

    expect(screen.getByTestId("job-notice")).toHaveTextContent(
      "Waiting for Cloudflare's rate limit: resuming now",
    );
  });

  it("new snapshot restarts countdown", () => {
    const store = renderWithClock(limited(42));
    act(() => vi.advanceTimersByTime(30_000));

    act(() => store.apply(limited(20)));

    expect(screen.getByTestId("job-notice")).toHaveTextContent("resumes in 20 s");
  });
});

describe("describeNotice", () => {
  it.each<[number, string]>([
    [42, "resumes in 42 s"],
    [60, "resumes in 1 min"],
    [0, "resuming now"],
  ])("rate limit with %s s left", (remaining, expected) => {
    expect(describeNotice({ kind: "rateLimited", retryAfterSecs: 99 }, remaining)).toContain(
      expected,
    );
  });

  it("rounds stalled percent", () => {
    expect(describeNotice({ kind: "stalled", percent: 36.6, sinceSecs: 60 }, 0)).toBe(
      "Cloudflare's preparation has not moved from 37% for 1 min",
    );
  });
});

describe("pause all and resume all", () => {
  it("empty panel offers neither", async () => {
    await renderPanel([]);

    expect(screen.queryByTestId("pause-all")).not.toBeInTheDocument();
    expect(screen.queryByTestId("resume-all")).not.toBeInTheDocument();
  });

  it("running job offers pause all", async () => {
    await renderPanel([makeJob({ phase: "transferring" })]);

    expect(screen.getByTestId("pause-all")).toBeInTheDocument();
    expect(screen.queryByTestId("resume-all")).not.toBeInTheDocument();
  });

  it("paused job offers resume all", async () => {
    await renderPanel([makeJob({ phase: "paused" })]);

    expect(screen.getByTestId("resume-all")).toBeInTheDocument();
    expect(screen.queryByTestId("pause-all")).not.toBeInTheDocument();
  });

  it("mixed jobs offer both", async () => {
    await renderPanel([makeJob({ id: 1, phase: "queued" }), makeJob({ id: 2, phase: "paused" })]);

    expect(screen.getByTestId("pause-all")).toBeInTheDocument();
    expect(screen.getByTestId("resume-all")).toBeInTheDocument();
  });

  it("finished jobs offer neither", async () => {
    await renderPanel([makeJob({ id: 1, phase: "done" }), makeJob({ id: 2, phase: "verifying" })]);

    expect(screen.queryByTestId("pause-all")).not.toBeInTheDocument();
    expect(screen.queryByTestId("resume-all")).not.toBeInTheDocument();
  });

  it("pause all pauses every job", async () => {
    const { backend, user } = await renderPanel([
      makeJob({ id: 1, phase: "queued" }),
      makeJob({ id: 2, phase: "transferring" }),
    ]);

    await user.click(screen.getByTestId("pause-all"));

    expect(backend.callsOf("pauseAllDownloads")).toEqual([[]]);
    await waitFor(() => {
      expect(screen.queryByTestId("pause-all")).not.toBeInTheDocument();
    });
    expect(screen.getAllByTestId("job").map((job) => job.dataset.phase)).toEqual([
      "paused",
      "paused",
    ]);
  });

  it("resume all resumes every job", async () => {
    const { backend, user } = await renderPanel([
      makeJob({ id: 1, phase: "paused" }),
      makeJob({ id: 2, phase: "paused" }),
    ]);

    await user.click(screen.getByTestId("resume-all"));

    expect(backend.callsOf("resumeAllDownloads")).toEqual([[]]);
    await waitFor(() => {
      expect(screen.queryByTestId("resume-all")).not.toBeInTheDocument();
    });
  });

  it("pause all failure shows error", async () => {
    const { backend, user } = await renderPanel([makeJob({ phase: "transferring" })]);
    backend.failNext("pauseAllDownloads", { code: "internal", message: "The queue stopped." });

    await user.click(screen.getByTestId("pause-all"));

    expect(await screen.findByTestId("error")).toHaveTextContent(
      "Could not pause the downloads. The queue stopped.",
    );
  });

  it("clear finished keeps paused job", async () => {
    const { user } = await renderPanel([
      makeJob({ id: 1, phase: "done" }),
      makeJob({ id: 2, phase: "paused" }),
    ]);

    await user.click(screen.getByRole("button", { name: "Clear finished" }));

    expect(screen.getAllByTestId("job").map((job) => job.dataset.phase)).toEqual(["paused"]);
  });
});

describe("removed from library", () => {
  it("deleted item changes done label", async () => {
    const { store } = await renderPanel([makeJob({ id: 3, phase: "done", itemId: 9 })]);

    act(() => store.markMissingItems(store.doneItems(), new Set([1, 2])));

    expect(screen.getByTestId("job-status")).toHaveTextContent("Removed from library");
  });

  it("present item keeps done label", async () => {
    const { store } = await renderPanel([makeJob({ id: 3, phase: "done", itemId: 9 })]);

    act(() => store.markMissingItems(store.doneItems(), new Set([9])));

    expect(screen.getByTestId("job-status")).toHaveTextContent("Done: in the library");
  });

  it("library list marks missing item", async () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 3, phase: "done", itemId: 9 }));
    store.apply(makeJob({ id: 4, uid: "uid-other", phase: "done", itemId: 1 }));
    renderWith(new FakeBackend({ library: [makeEntry({ id: 1 })] }), <LibraryView jobs={store} />);

    await screen.findByText("Launch keynote");

    expect([...store.getRemoved()]).toEqual([3]);
  });

  it("library delete marks job", async () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 3, phase: "done", itemId: 1 }));
    const backend = new FakeBackend({ library: [makeEntry({ id: 1 })] });
    const user = userEvent.setup();
    renderWith(backend, <LibraryView jobs={store} />);

    await user.click(await screen.findByTestId("delete"));
    await user.click(screen.getByTestId("confirm-delete"));

    await waitFor(() => {
      expect(store.getRemoved().has(3)).toBe(true);
    });
  });
});

describe("cardsToShow", () => {
  const jobs = [
    makeJob({ id: 1, phase: "done" }),
    makeJob({ id: 2, phase: "failed" }),
    makeJob({ id: 3, phase: "transferring" }),
    makeJob({ id: 4, phase: "done" }),
    makeJob({ id: 5, phase: "queued" }),
  ];

  it("keeps all within limit", () => {
    expect(cardsToShow(jobs, 5)).toBe(jobs);
  });

  it("puts unfinished first", () => {
    expect(cardsToShow(jobs, 3).map((job) => job.id)).toEqual([3, 4, 5]);
  });

  it("cuts unfinished at limit", () => {
    expect(cardsToShow(jobs, 1).map((job) => job.id)).toEqual([3]);
  });

  it("panel says how many are hidden", async () => {
    const many = Array.from({ length: MAX_CARDS + 10 }, (_, index) =>
      makeJob({ id: index + 1, uid: `uid-${index}`, phase: "queued" }),
    );
    await renderPanel(many);

    expect(screen.getAllByTestId("job")).toHaveLength(MAX_CARDS);
    expect(screen.getByTestId("jobs-more")).toHaveTextContent(
      `Showing ${MAX_CARDS} of ${MAX_CARDS + 10} downloads.`,
    );
  });
});
