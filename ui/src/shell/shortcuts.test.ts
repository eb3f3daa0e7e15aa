import { describe, expect, it } from "vitest";

import { ActionDeduper, DUPLICATE_WINDOW_MS } from "./dispatch";
import { actionForKey, isTypingTarget, shortcutHelp, type KeyInput } from "./shortcuts";
import { ViewCommands } from "./viewCommands";

/** Returns a key press with no modifier unless `changes` sets one. */
function press(key: string, changes: Partial<KeyInput> = {}): KeyInput {
  return {
    key,
    code: "",
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...changes,
  };
}

describe("actionForKey", () => {
  it.each<[string, KeyInput, string | null]>([
    ["Ctrl+R", press("r", { ctrlKey: true }), "refresh"],
    ["Ctrl+Shift+R", press("R", { ctrlKey: true, shiftKey: true }), "refresh"],
    ["F5", press("F5"), "refresh"],
    ["Ctrl+F", press("f", { ctrlKey: true }), "search"],
    ["slash", press("/"), "search"],
    ["Ctrl+comma", press(",", { ctrlKey: true }), "settings"],
    ["Ctrl+1", press("1", { ctrlKey: true, code: "Digit1" }), "videos"],
    ["Ctrl+2", press("2", { ctrlKey: true, code: "Digit2" }), "library"],
    ["Ctrl+3", press("3", { ctrlKey: true, code: "Digit3" }), "backups"],
    ["Ctrl+2 without code", press("2", { ctrlKey: true }), "library"],
    ["Ctrl+2 on AZERTY", press("é", { ctrlKey: true, code: "Digit2" }), "library"],
    ["Ctrl+Shift+O", press("O", { ctrlKey: true, shiftKey: true }), "openLibraryFolder"],
    ["Ctrl+O", press("o", { ctrlKey: true }), null],
    ["Ctrl+Q", press("q", { ctrlKey: true }), "quit"],
    ["question mark", press("?", { shiftKey: true }), "shortcuts"],
    ["F1", press("F1"), "shortcuts"],
    ["plain r", press("r"), null],
    ["Ctrl+Alt+R", press("r", { ctrlKey: true, altKey: true }), null],
    ["Meta+R off macOS", press("r", { metaKey: true }), null],
  ])("%s", (_name, input, expected) => {
    expect(actionForKey(input, false, false)).toBe(expected);
  });

  it("macOS uses Command", () => {
    expect(actionForKey(press("r", { metaKey: true }), true, false)).toBe("refresh");
    expect(actionForKey(press("f", { metaKey: true }), true, false)).toBe("search");
    expect(actionForKey(press("r", { ctrlKey: true }), true, false)).toBeNull();
  });

  it("typing keeps slash and question mark", () => {
    expect(actionForKey(press("/"), false, true)).toBeNull();
    expect(actionForKey(press("?", { shiftKey: true }), false, true)).toBeNull();
  });

  it("typing keeps command shortcuts", () => {
    expect(actionForKey(press("f", { ctrlKey: true }), false, true)).toBe("search");
    expect(actionForKey(press("F5"), false, true)).toBe("refresh");
    expect(actionForKey(press("F1"), false, true)).toBe("shortcuts");
  });
});

describe("isTypingTarget", () => {
  it.each<[string, () => Element, boolean]>([
    ["text input", () => document.createElement("input"), true],
    [
      "search input",
      () => Object.assign(document.createElement("input"), { type: "search" }),
      true,
    ],
    ["checkbox", () => Object.assign(document.createElement("input"), { type: "checkbox" }), false],
    ["textarea", () => document.createElement("textarea"), true],
    ["select", () => document.createElement("select"), true],
    ["button", () => document.createElement("button"), false],
    ["table row", () => document.createElement("tr"), false],
  ])("%s", (_name, create, expected) => {
    expect(isTypingTarget(create())).toBe(expected);
  });

  it("null is not typing", () => {
    expect(isTypingTarget(null)).toBe(false);
  });
});

describe("shortcutHelp", () => {
  it("names Ctrl off macOS", () => {
    const keys = shortcutHelp(false).flatMap((line) => line.keys);

    expect(keys).toContain("Ctrl+R");
    expect(keys).toContain("Ctrl+Shift+O");
    expect(keys.some((key) => key.includes("⌘"))).toBe(false);
  });

  it("names Command on macOS", () => {
    const keys = shortcutHelp(true).flatMap((line) => line.keys);

    expect(keys).toContain("⌘+Q");
    expect(keys.some((key) => key.startsWith("Ctrl"))).toBe(false);
  });
});

describe("ActionDeduper", () => {
  it("drops the other source within the window", () => {
    const deduper = new ActionDeduper();

    expect(deduper.accept("refresh", "menu", 1000)).toBe(true);
    expect(deduper.accept("refresh", "keyboard", 1000 + DUPLICATE_WINDOW_MS - 1)).toBe(false);
  });

  it("drops in either order", () => {
    const deduper = new ActionDeduper();

    expect(deduper.accept("search", "keyboard", 0)).toBe(true);
    expect(deduper.accept("search", "menu", 50)).toBe(false);
  });

  it("runs after the window", () => {
    const deduper = new ActionDeduper();

    deduper.accept("refresh", "menu", 1000);

    expect(deduper.accept("refresh", "keyboard", 1000 + DUPLICATE_WINDOW_MS)).toBe(true);
  });

  it("runs two presses from one source", () => {
    const deduper = new ActionDeduper();

    expect(deduper.accept("refresh", "keyboard", 0)).toBe(true);
    expect(deduper.accept("refresh", "keyboard", 10)).toBe(true);
  });

  it("runs other actions", () => {
    const deduper = new ActionDeduper();

    deduper.accept("refresh", "menu", 0);

    expect(deduper.accept("search", "keyboard", 10)).toBe(true);
  });

  it("runs a third press after a drop", () => {
    const deduper = new ActionDeduper();

    deduper.accept("library", "menu", 0);
    deduper.accept("library", "keyboard", 10);

    expect(deduper.accept("library", "menu", 20)).toBe(true);
  });
});

describe("ViewCommands", () => {
  it("runs the registered handler", () => {
    const commands = new ViewCommands();
    const runs: string[] = [];
    commands.register("refresh", () => runs.push("refresh"));

    expect(commands.run("refresh")).toBe(true);
    expect(commands.run("search")).toBe(false);
    expect(runs).toEqual(["refresh"]);
  });

  it("deferred command runs on register", () => {
    const commands = new ViewCommands();
    const runs: string[] = [];

    commands.defer("search");
    commands.register("refresh", () => runs.push("refresh"));
    commands.register("search", () => runs.push("search"));
    commands.register("search", () => runs.push("again"));

    expect(runs).toEqual(["search"]);
  });

  it("dropped command does not run", () => {
    const commands = new ViewCommands();
    const runs: string[] = [];

    commands.defer("refresh");
    commands.dropPending();
    commands.register("refresh", () => runs.push("refresh"));

    expect(runs).toEqual([]);
  });

  it("unregister keeps a newer handler", () => {
    const commands = new ViewCommands();
    const runs: string[] = [];
    const first = commands.register("refresh", () => runs.push("first"));
    commands.register("refresh", () => runs.push("second"));

    first();
    commands.run("refresh");

    expect(runs).toEqual(["second"]);
  });
});
