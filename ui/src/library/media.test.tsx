import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { FAKE_THUMBNAIL_BYTES, FakeBackend } from "../backend/fake";
import type { LibraryEntry } from "../backend/types";
import { makeEntry, renderWith } from "../test/fixtures";
import { defaultCaptionIndex, sortLibrary } from "./filters";
import { LibraryView } from "./LibraryView";
import { describeFreeSpace } from "./StorageOverview";

const CAPTIONS = [
  { language: "de", label: "Deutsch", url: "http://127.0.0.1:49152/secret/captions/1/de" },
  { language: "en-US", label: "English", url: "http://127.0.0.1:49152/secret/captions/1/en-US" },
];
const KEYNOTE = makeEntry({
  creator: "ops",
  duration: 3725,
  thumbnailUrl: "http://127.0.0.1:49152/secret/thumbnails/a1",
  captions: CAPTIONS,
});
const PODCAST = makeEntry({
  id: 2,
  uid: "uid-podcast",
  downloadType: "audio",
  title: "Weekly podcast",
  fileName: "Weekly podcast.m4a",
  path: "/home/user/Videos/Offstream/Weekly podcast.m4a",
  bytes: 5_500_000,
  duration: null,
  creator: "radio",
  addedAt: "2025-04-02T12:00:00Z",
  mediaUrl: "http://127.0.0.1:49152/secret/media/2",
});
const CLIP = makeEntry({
  id: 3,
  uid: "uid-clip",
  title: "a short clip",
  fileName: "a short clip.mp4",
  bytes: 900_000,
  duration: 12,
  creator: "ops",
  addedAt: "2025-03-30T12:00:00Z",
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function renderLibrary(library: LibraryEntry[] = [KEYNOTE, PODCAST, CLIP]) {
  const backend = new FakeBackend({ library });
  renderWith(backend, <LibraryView />);
  await screen.findAllByTestId("library-row");
  return { backend, user: userEvent.setup() };
}

function shownUids(): string[] {
  return screen.getAllByTestId("library-row").map((row) => row.dataset.uid ?? "");
}

function libraryRow(uid: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(
    `[data-testid=library-row][data-uid="${uid}"]`,
  );
  if (element === null) {
    throw new Error(`no library row for ${uid}`);
  }
  return element;
}

async function play(user: ReturnType<typeof userEvent.setup>, uid: string) {
  await user.click(within(libraryRow(uid)).getByTestId("play"));
  const player = document.querySelector("video#player");
  if (player === null) {
    throw new Error("no player");
  }
  return player;
}

describe("library captions", () => {
  it("captions become tracks", async () => {
    const { user } = await renderLibrary();

    const player = await play(user, KEYNOTE.uid);

    const tracks = [...player.querySelectorAll("track")];
    expect(
      tracks.map((track) => [track.kind, track.srclang, track.label, track.getAttribute("src")]),
    ).toEqual([
      ["subtitles", "de", "Deutsch", CAPTIONS[0]?.url],
      ["subtitles", "en-US", "English", CAPTIONS[1]?.url],
    ]);
  });

  it("track matching language is default", async () => {
    vi.stubGlobal("navigator", { ...navigator, language: "en-GB" });
    const { user } = await renderLibrary();

    const player = await play(user, KEYNOTE.uid);

    const tracks = [...player.querySelectorAll("track")];
    expect(tracks.map((track) => track.default)).toEqual([false, true]);
  });

  it("first track is not default otherwise", async () => {
    vi.stubGlobal("navigator", { ...navigator, language: "fr-FR" });
    const { user } = await renderLibrary();

    const player = await play(user, KEYNOTE.uid);

    const tracks = [...player.querySelectorAll("track")];
    expect(tracks.map((track) => track.default)).toEqual([false, false]);
  });

  it("player with captions uses CORS", async () => {
    const { user } = await renderLibrary();

    const player = await play(user, KEYNOTE.uid);

    expect(player).toHaveAttribute("crossorigin", "anonymous");
  });

  it("player without captions has no tracks", async () => {
    const { user } = await renderLibrary();

    const player = await play(user, PODCAST.uid);

    expect(player.querySelectorAll("track")).toHaveLength(0);
    expect(player).not.toHaveAttribute("crossorigin");
  });

  it("row marks captions", async () => {
    await renderLibrary();

    expect(within(libraryRow(KEYNOTE.uid)).getByTestId("captions-badge")).toHaveAttribute(
      "title",
      "Deutsch, English",
    );
    expect(within(libraryRow(PODCAST.uid)).queryByTestId("captions-badge")).toBeNull();
  });
});

describe("defaultCaptionIndex", () => {
  it.each<[string, string, number]>([
    ["exact tag", "en-US", 1],
    ["case differs", "EN-us", 1],
    ["primary language", "de-AT", 0],
    ["no match", "fr", -1],
    ["empty language", "", -1],
  ])("%s", (_name, preferred, expected) => {
    expect(defaultCaptionIndex(CAPTIONS, preferred)).toBe(expected);
  });

  it("exact match wins over primary", () => {
    const captions = [{ language: "en" }, { language: "en-GB" }];

    expect(defaultCaptionIndex(captions, "en-GB")).toBe(1);
  });
});

describe("library thumbnails", () => {
  it("thumbnail is lazy image", async () => {
    await renderLibrary();

    const image = within(libraryRow(KEYNOTE.uid)).getByTestId("thumbnail");

    expect(image.tagName).toBe("IMG");
    expect(image).toHaveAttribute("src", KEYNOTE.thumbnailUrl);
    expect(image).toHaveAttribute("loading", "lazy");
    expect(image).toHaveAttribute("width", "80");
  });

  it("missing thumbnail shows placeholder", async () => {
    await renderLibrary();

    const placeholder = within(libraryRow(PODCAST.uid)).getByTestId("thumbnail");

    expect(placeholder.tagName).toBe("SPAN");
    expect(placeholder).toHaveClass("thumb-placeholder");
  });
});

describe("library sort and filter", () => {
  it("default is recently added", async () => {
    await renderLibrary();

    expect(shownUids()).toEqual([PODCAST.uid, KEYNOTE.uid, CLIP.uid]);
  });

  it("title header sorts", async () => {
    const { user } = await renderLibrary();

    await user.click(screen.getByTestId("sort-title"));

    expect(shownUids()).toEqual([CLIP.uid, KEYNOTE.uid, PODCAST.uid]);
    expect(screen.getByRole("columnheader", { name: /Title/ })).toHaveAttribute(
      "aria-sort",
      "ascending",
    );
  });

  it("duration header puts unknown last", async () => {
    const { user } = await renderLibrary();

    await user.click(screen.getByTestId("sort-duration"));

    expect(shownUids()).toEqual([KEYNOTE.uid, CLIP.uid, PODCAST.uid]);
  });

  it("size select sorts", async () => {
    const { user } = await renderLibrary();

    await user.selectOptions(screen.getByTestId("sort-library"), "size:ascending");

    expect(shownUids()).toEqual([CLIP.uid, PODCAST.uid, KEYNOTE.uid]);
  });

  it("creator select sorts", async () => {
    const { user } = await renderLibrary();

    await user.selectOptions(screen.getByTestId("sort-library"), "creator:ascending");

    expect(shownUids()).toEqual([KEYNOTE.uid, CLIP.uid, PODCAST.uid]);
  });

  it("type header sorts video first", async () => {
    const { user } = await renderLibrary();

    await user.click(screen.getByTestId("sort-type"));
    await user.click(screen.getByTestId("sort-type"));

    expect(shownUids()).toEqual([KEYNOTE.uid, CLIP.uid, PODCAST.uid]);
    expect(screen.getByTestId("sort-library")).toHaveValue("type:descending");
  });

  it("type filter keeps audio", async () => {
    const { user } = await renderLibrary();

    await user.selectOptions(screen.getByLabelText("Type"), "audio");

    await waitFor(() => {
      expect(shownUids()).toEqual([PODCAST.uid]);
    });
  });

  it("creator filter", async () => {
    const { user } = await renderLibrary();

    await user.selectOptions(screen.getByLabelText("Creator"), "ops");

    await waitFor(() => {
      expect(shownUids()).toEqual([KEYNOTE.uid, CLIP.uid]);
    });
  });

  it("large library is virtualized", async () => {
    const library = Array.from({ length: 5_000 }, (_, index) =>
      makeEntry({ id: index + 1, uid: `uid-${index}`, title: `Item ${index}` }),
    );
    await renderLibrary(library);

    expect(screen.getAllByTestId("library-row").length).toBeLessThan(40);
    expect(screen.getByRole("table")).toHaveAttribute("aria-rowcount", "5001");
  });
});

describe("sortLibrary", () => {
  it("upload date descending", () => {
    const sorted = sortLibrary(
      [
        makeEntry({ id: 1, videoCreated: "2024-01-01T00:00:00Z" }),
        makeEntry({ id: 2, videoCreated: null }),
        makeEntry({ id: 3, videoCreated: "2025-01-01T00:00:00Z" }),
      ],
      { key: "created", direction: "descending" },
    );

    expect(sorted.map((entry) => entry.id)).toEqual([3, 1, 2]);
  });
});

describe("storage overview", () => {
  it("shows library and volume", async () => {
    await renderLibrary();

    const overview = await screen.findByTestId("storage-overview");

    await waitFor(() => {
      expect(within(overview).getByTestId("storage-library")).toHaveTextContent(
        "46.4 MB in 3 files",
      );
    });
    expect(within(overview).getByTestId("storage-free")).toHaveTextContent(
      "120.0 GB free of 500.0 GB",
    );
    expect(within(overview).getByTestId("storage-thumbnails")).toHaveTextContent(
      `${(FAKE_THUMBNAIL_BYTES / 1e6).toFixed(1)} MB`,
    );
    expect(within(overview).getByRole("meter")).toHaveAttribute("value", "380000000000");
  });

  it("delete measures again", async () => {
    const { backend, user } = await renderLibrary();
    await screen.findByText("46.4 MB in 3 files");

    await user.click(within(libraryRow(CLIP.uid)).getByTestId("delete"));
    await user.click(screen.getByTestId("confirm-delete"));

    expect(await screen.findByText("45.5 MB in 2 files")).toBeInTheDocument();
    expect(backend.callsOf("storageOverview").length).toBeGreaterThanOrEqual(2);
  });

  it("failure offers retry", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    backend.failNext("storageOverview", { code: "io", message: "statvfs failed" });
    renderWith(backend, <LibraryView />);

    expect(await screen.findByTestId("error")).toHaveTextContent(
      "Could not measure the storage. statvfs failed",
    );
  });

  it.each<[string, number | null, number | null, string]>([
    ["both", 1_000_000, 2_000_000, "1.0 MB free of 2.0 MB"],
    ["no volume", 1_000_000, null, "1.0 MB free"],
    ["nothing", null, null, "Not reported by the system"],
  ])("describes free space with %s", (_name, freeBytes, volumeBytes, expected) => {
    const overview = {
      libraryDir: "/lib",
      libraryBytes: 0,
      itemCount: 0,
      freeBytes,
      volumeBytes,
      thumbnailBytes: 0,
    };

    expect(describeFreeSpace(overview)).toBe(expected);
  });
});
