import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { FakeBackend } from "../backend/fake";
import type { VideoRow } from "../backend/types";
import { FALLBACK_VIEWPORT_PX, visibleRange } from "../components/useVirtualRows";
import { JobStore } from "../jobs/store";
import { makeVideo, makeVideos, renderWith } from "../test/fixtures";
import { applyFilters, creatorsOf, NO_FILTERS, sortVideos } from "./filters";
import { ROW_HEIGHT_PX } from "./VideoTable";
import { VideosView } from "./VideosView";

const ALPHA = makeVideo({
  uid: "uid-alpha",
  name: "alpha talk",
  creator: "ops",
  created: "2025-01-10T12:00:00Z",
  durationSeconds: 600,
  sizeBytes: 5_000,
  offline: ["default"],
});
const BRAVO = makeVideo({
  uid: "uid-bravo",
  name: "Bravo demo",
  creator: "sales",
  created: "2025-02-20T23:30:00Z",
  durationSeconds: null,
  sizeBytes: 9_000,
  requireSignedUrls: true,
});
const CHARLIE = makeVideo({
  uid: "uid-charlie",
  name: "charlie keynote",
  creator: null,
  created: "2024-12-31T23:59:59Z",
  durationSeconds: 30,
  sizeBytes: null,
});

function renderVideos(videos: VideoRow[]) {
  const backend = new FakeBackend({
    status: { credentialSource: "keychain", accountId: "acc" },
    videos,
  });
  renderWith(
    backend,
    <VideosView
      status={backend.status}
      jobs={new JobStore()}
      onOpenSettings={() => {}}
      onStatusChange={() => {}}
    />,
  );
  return { backend, user: userEvent.setup() };
}

function shownUids(): string[] {
  return screen.getAllByTestId("video-row").map((row) => row.dataset.uid ?? "");
}

/** Scrolls the list the way a browser does: sets scrollTop, then sends a scroll event. */
function scrollList(top: number) {
  const scroller = screen.getByTestId("video-scroll");
  Object.defineProperty(scroller, "scrollTop", { value: top, configurable: true, writable: true });
  fireEvent.scroll(scroller);
}

describe("visibleRange", () => {
  it("starts at top", () => {
    expect(visibleRange(100, 50, 0, 500, 2)).toEqual({ start: 0, end: 13 });
  });

  it("follows scroll", () => {
    expect(visibleRange(100, 50, 1000, 500, 2)).toEqual({ start: 18, end: 33 });
  });

  it("clamps at end", () => {
    expect(visibleRange(100, 50, 4900, 500, 2)).toEqual({ start: 96, end: 100 });
  });

  it("handles empty list", () => {
    expect(visibleRange(0, 50, 0, 500, 2)).toEqual({ start: 0, end: 0 });
  });
});

describe("video list virtualization", () => {
  it("renders bounded rows for 10,000", async () => {
    renderVideos(makeVideos(10_000));

    await screen.findByText("Video 00001");

    const bound = Math.ceil(FALLBACK_VIEWPORT_PX / ROW_HEIGHT_PX) + 20;
    expect(screen.getAllByTestId("video-row").length).toBeLessThan(bound);
    expect(screen.getByRole("table")).toHaveAttribute("aria-rowcount", "10001");
  });

  it("scroll shows the right rows", async () => {
    renderVideos(makeVideos(10_000));
    await screen.findByText("Video 00001");

    scrollList(5_000 * ROW_HEIGHT_PX);

    await screen.findByText("Video 05001");
    expect(screen.queryByText("Video 00001")).not.toBeInTheDocument();
    const rows = screen.getAllByTestId("video-row");
    expect(rows.length).toBeLessThan(40);
    expect(rows.find((row) => row.dataset.uid === "uid-05001")).toHaveAttribute(
      "aria-rowindex",
      "5002",
    );
  });

  it("scroll to end shows last row", async () => {
    renderVideos(makeVideos(10_000));
    await screen.findByText("Video 00001");

    scrollList(10_000 * ROW_HEIGHT_PX);

    expect(await screen.findByText("Video 10000")).toBeInTheDocument();
  });

  it("new filter scrolls to top", async () => {
    const { user } = renderVideos(makeVideos(10_000));
    await screen.findByText("Video 00001");
    scrollList(5_000 * ROW_HEIGHT_PX);
    await screen.findByText("Video 05001");

    await user.selectOptions(screen.getByTestId("sort-videos"), "name:ascending");

    expect(await screen.findByText("Video 00001")).toBeInTheDocument();
  });
});

describe("video sorting", () => {
  it("default is newest first", async () => {
    renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    expect(shownUids()).toEqual(["uid-bravo", "uid-alpha", "uid-charlie"]);
    expect(screen.getByRole("columnheader", { name: /Uploaded/ })).toHaveAttribute(
      "aria-sort",
      "descending",
    );
  });

  it("name header sorts ascending", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.click(screen.getByTestId("sort-name"));

    expect(shownUids()).toEqual(["uid-alpha", "uid-bravo", "uid-charlie"]);
    expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute(
      "aria-sort",
      "ascending",
    );
    expect(screen.getByRole("columnheader", { name: /Uploaded/ })).toHaveAttribute(
      "aria-sort",
      "none",
    );
  });

  it("second click reverses", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.click(screen.getByTestId("sort-name"));
    await user.click(screen.getByTestId("sort-name"));

    expect(shownUids()).toEqual(["uid-charlie", "uid-bravo", "uid-alpha"]);
  });

  it("duration puts unknown last", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.click(screen.getByTestId("sort-duration"));

    expect(shownUids()).toEqual(["uid-alpha", "uid-charlie", "uid-bravo"]);
  });

  it("size select sorts smallest first", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.selectOptions(screen.getByLabelText("Sort by"), "size:ascending");

    expect(shownUids()).toEqual(["uid-alpha", "uid-bravo", "uid-charlie"]);
    expect(screen.getByRole("columnheader", { name: /Size/ })).toHaveAttribute(
      "aria-sort",
      "ascending",
    );
  });
});

describe("video filters", () => {
  it("offline filter keeps library rows", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.selectOptions(screen.getByLabelText("Offline"), "offline");

    await waitFor(() => {
      expect(shownUids()).toEqual(["uid-alpha"]);
    });
  });

  it("online filter drops library rows", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.selectOptions(screen.getByLabelText("Offline"), "online");

    await waitFor(() => {
      expect(shownUids()).toEqual(["uid-bravo", "uid-charlie"]);
    });
  });

  it("private filter", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.selectOptions(screen.getByLabelText("Privacy"), "private");

    await waitFor(() => {
      expect(shownUids()).toEqual(["uid-bravo"]);
    });
  });

  it("public filter", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    await user.selectOptions(screen.getByLabelText("Privacy"), "public");

    await waitFor(() => {
      expect(shownUids()).toEqual(["uid-alpha", "uid-charlie"]);
    });
  });

  it("creator filter lists creators", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");
    const select = screen.getByLabelText("Creator");

    expect(
      within(select)
        .getAllByRole("option")
        .map((option) => option.textContent),
    ).toEqual(["Every creator", "ops", "sales"]);
    await user.selectOptions(select, "sales");

    await waitFor(() => {
      expect(shownUids()).toEqual(["uid-bravo"]);
    });
  });

  it("date range uses UTC days", async () => {
    renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");

    fireEvent.change(screen.getByLabelText("Uploaded from"), { target: { value: "2025-01-01" } });
    fireEvent.change(screen.getByLabelText("to"), { target: { value: "2025-02-20" } });

    await waitFor(() => {
      expect(shownUids()).toEqual(["uid-bravo", "uid-alpha"]);
    });
  });

  it("clear filters restores list", async () => {
    const { user } = renderVideos([CHARLIE, ALPHA, BRAVO]);
    await screen.findByText("Bravo demo");
    await user.selectOptions(screen.getByLabelText("Privacy"), "private");

    await user.click(await screen.findByRole("button", { name: "Clear filters" }));

    await waitFor(() => {
      expect(shownUids()).toHaveLength(3);
    });
  });

  it("search finds titles in 10,000", async () => {
    const { user } = renderVideos(makeVideos(10_000));
    await screen.findByText("Video 00001");

    await user.type(screen.getByLabelText("Search videos"), "Video 0987");

    await waitFor(() => {
      expect(shownUids()).toHaveLength(10);
    });
    expect(screen.getByTestId("selection-count")).toHaveTextContent("10 videos shown of 10,000");
  });
});

describe("applyFilters", () => {
  it.each<[string, Partial<typeof NO_FILTERS>, string[]]>([
    ["none", {}, ["uid-charlie", "uid-alpha", "uid-bravo"]],
    ["query", { query: "KEYNOTE" }, ["uid-charlie"]],
    ["creator", { creator: "ops" }, ["uid-alpha"]],
    ["from", { from: "2025-01-01" }, ["uid-alpha", "uid-bravo"]],
    ["to", { to: "2024-12-31" }, ["uid-charlie"]],
    ["offline and private", { offline: "online", privacy: "public" }, ["uid-charlie"]],
  ])("filters by %s", (_name, filters, expected) => {
    const shown = applyFilters([CHARLIE, ALPHA, BRAVO], { ...NO_FILTERS, ...filters });

    expect(shown.map((video) => video.uid)).toEqual(expected);
  });
});

describe("sortVideos", () => {
  it("name ignores case", () => {
    const sorted = sortVideos([CHARLIE, BRAVO, ALPHA], { key: "name", direction: "ascending" });

    expect(sorted.map((video) => video.uid)).toEqual(["uid-alpha", "uid-bravo", "uid-charlie"]);
  });

  it("size descending puts unknown last", () => {
    const sorted = sortVideos([CHARLIE, BRAVO, ALPHA], { key: "size", direction: "descending" });

    expect(sorted.map((video) => video.uid)).toEqual(["uid-bravo", "uid-alpha", "uid-charlie"]);
  });
});

describe("creatorsOf", () => {
  it("lists distinct sorted creators", () => {
    expect(creatorsOf([BRAVO, ALPHA, CHARLIE, BRAVO])).toEqual(["ops", "sales"]);
  });
});
