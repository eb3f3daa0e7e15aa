import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { FakeBackend } from "../backend/fake";
import { makeEntry, renderWith } from "../test/fixtures";
import { filterLibrary, LibraryView } from "./LibraryView";

const KEYNOTE = makeEntry();
const PODCAST = makeEntry({
  id: 2,
  uid: "uid-podcast",
  downloadType: "audio",
  title: "Weekly podcast",
  fileName: "Weekly podcast.m4a",
  path: "/home/user/Videos/Offstream/Weekly podcast.m4a",
  bytes: 5_500_000,
  mediaUrl: "http://127.0.0.1:49152/secret/media/2",
});

function libraryRow(uid: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(
    `[data-testid=library-row][data-uid="${uid}"]`,
  );
  if (element === null) {
    throw new Error(`no library row for ${uid}`);
  }
  return element;
}

async function renderLibrary(backend: FakeBackend) {
  renderWith(backend, <LibraryView />);
  await screen.findByText("Launch keynote");
}

describe("LibraryView", () => {
  it("lists offline items", async () => {
    await renderLibrary(new FakeBackend({ library: [KEYNOTE, PODCAST] }));

    const row = libraryRow("uid-podcast");
    expect(within(row).getByText("Weekly podcast")).toBeInTheDocument();
    expect(within(row).getByText("Audio (M4A)")).toBeInTheDocument();
    expect(within(row).getByText("5.5 MB")).toBeInTheDocument();
    expect(within(row).getByText(/2025/)).toHaveAttribute("datetime", "2025-04-01T12:00:00Z");
  });

  it("empty library says so", async () => {
    renderWith(new FakeBackend(), <LibraryView />);

    expect(await screen.findByText(/Nothing offline yet/)).toBeInTheDocument();
  });

  it("load error offers retry", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    backend.failNext("listLibrary", { code: "catalog", message: "catalog.sqlite is locked" });
    const user = userEvent.setup();
    renderWith(backend, <LibraryView />);

    expect(await screen.findByTestId("error")).toHaveTextContent("catalog.sqlite is locked");
    await user.click(screen.getByRole("button", { name: "Retry" }));

    expect(await screen.findByText("Launch keynote")).toBeInTheDocument();
  });

  it("play loads player", async () => {
    const user = userEvent.setup();
    await renderLibrary(new FakeBackend({ library: [KEYNOTE, PODCAST] }));

    await user.click(within(libraryRow("uid-podcast")).getByTestId("play"));

    const player = document.querySelector("video#player");
    expect(player).toHaveAttribute("src", "http://127.0.0.1:49152/secret/media/2");
    expect(player).toHaveAttribute("controls");
  });

  it("delete asks first", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE, PODCAST] });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(within(libraryRow(KEYNOTE.uid)).getByTestId("delete"));

    const dialog = screen.getByRole("dialog", { name: "Delete from the library?" });
    expect(dialog).toHaveTextContent("“Launch keynote”");
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(backend.callsOf("deleteLibraryItem")).toHaveLength(0);
  });

  it("confirm deletes and refreshes", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE, PODCAST] });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(within(libraryRow(KEYNOTE.uid)).getByTestId("delete"));
    await user.click(screen.getByTestId("confirm-delete"));

    expect(backend.callsOf("deleteLibraryItem")).toEqual([[1]]);
    await waitFor(() => {
      expect(screen.getAllByTestId("library-row").map((row) => row.dataset.uid)).toEqual([
        "uid-podcast",
      ]);
    });
    expect(backend.callsOf("listLibrary")).toHaveLength(2);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("cancel keeps item", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(screen.getByTestId("delete"));
    await user.click(screen.getByRole("button", { name: "Cancel" }));

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("deleteLibraryItem")).toHaveLength(0);
  });

  it("escape closes dialog", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(screen.getByTestId("delete"));
    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("deleteLibraryItem")).toHaveLength(0);
  });

  it("tab stays in dialog", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(screen.getByTestId("delete"));
    await user.tab();
    expect(screen.getByTestId("confirm-delete")).toHaveFocus();
    await user.tab();

    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
  });

  it("deleting played item stops player", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(screen.getByTestId("play"));
    await user.click(screen.getByTestId("delete"));
    await user.click(screen.getByTestId("confirm-delete"));

    await waitFor(() => {
      expect(document.querySelector("video#player")).not.toBeInTheDocument();
    });
  });

  it("delete failure shows error", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    backend.failNext("deleteLibraryItem", {
      code: "io",
      message: "permission denied: Launch keynote.mp4",
    });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(screen.getByTestId("delete"));
    await user.click(screen.getByTestId("confirm-delete"));

    expect(await screen.findByTestId("error")).toHaveTextContent(
      "Could not delete “Launch keynote”. permission denied: Launch keynote.mp4",
    );
  });

  it("missing file is flagged", async () => {
    const backend = new FakeBackend({
      library: [KEYNOTE, PODCAST],
      files: { [KEYNOTE.path]: { state: "missing" } },
    });
    await renderLibrary(backend);

    const flag = await within(libraryRow(KEYNOTE.uid)).findByTestId("missing");
    expect(flag).toHaveTextContent("Missing — removed outside Offstream");
    expect(within(libraryRow(KEYNOTE.uid)).getByTestId("play")).toBeDisabled();
    expect(within(libraryRow("uid-podcast")).queryByTestId("missing")).not.toBeInTheDocument();
  });

  it("size mismatch is flagged", async () => {
    const backend = new FakeBackend({
      library: [KEYNOTE],
      files: { [KEYNOTE.path]: { state: "size-mismatch", actualBytes: 1_000 } },
    });
    await renderLibrary(backend);

    const flag = await screen.findByTestId("missing");
    expect(flag).toHaveAttribute("data-reason", "size-mismatch");
    expect(flag).toHaveTextContent("the file is 1.0 KB");
  });

  it("unknown check is not flagged", async () => {
    const backend = new FakeBackend({
      library: [KEYNOTE],
      files: { [KEYNOTE.path]: { state: "unknown", reason: "forbidden path" } },
    });
    await renderLibrary(backend);

    await waitFor(() => {
      expect(backend.callsOf("checkFile")).toEqual([[KEYNOTE.path, KEYNOTE.bytes]]);
    });
    expect(screen.queryByTestId("missing")).not.toBeInTheDocument();
  });

  it("reveal calls backend", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    const user = userEvent.setup();
    await renderLibrary(backend);

    await user.click(screen.getByTestId("reveal"));

    expect(backend.callsOf("revealLibraryItem")).toEqual([[1]]);
  });

  it("drag handle starts drag", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    await renderLibrary(backend);

    fireEvent.mouseDown(screen.getByTestId("drag-out"), { button: 0 });

    await waitFor(() => {
      expect(backend.callsOf("startDragOut")).toEqual([[KEYNOTE.path]]);
    });
  });

  it("right button does not drag", async () => {
    const backend = new FakeBackend({ library: [KEYNOTE] });
    await renderLibrary(backend);

    fireEvent.mouseDown(screen.getByTestId("drag-out"), { button: 2 });

    expect(backend.callsOf("startDragOut")).toHaveLength(0);
  });

  it("library search filters", async () => {
    const user = userEvent.setup();
    await renderLibrary(new FakeBackend({ library: [KEYNOTE, PODCAST] }));

    await user.type(screen.getByLabelText("Search the library"), "podcast");

    expect(screen.getAllByTestId("library-row").map((row) => row.dataset.uid)).toEqual([
      "uid-podcast",
    ]);
  });
});

describe("filterLibrary", () => {
  it.each([
    ["", 2],
    ["WEEKLY", 1],
    [".m4a", 1],
    ["uid-podcast", 1],
    ["none", 0],
  ])("query %j keeps %i", (query, count) => {
    expect(filterLibrary([KEYNOTE, PODCAST], query)).toHaveLength(count);
  });
});
