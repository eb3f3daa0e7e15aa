// The app's keyboard shortcuts: which key runs which action, and the list the "Keyboard
// shortcuts" dialog shows. The native menu offers the same actions with the same accelerators,
// so a shortcut can arrive twice: as a menu event and as a keydown in the page (see dispatch.ts).
import type { MenuAction } from "../backend/types";

/** Everything a shortcut or a menu item can ask the app to do. */
export type AppAction = MenuAction | "openLibraryFolder" | "quit" | "shortcuts";

/** The parts of a keydown event that decide the shortcut. */
export type KeyInput = {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
};

/** One line of the shortcuts list: the keys as the user presses them, and what they do. */
export type ShortcutHelp = { keys: string[]; description: string };

/**
 * Digit keys by `code`, so Ctrl+1 also works where the digit needs Shift (AZERTY). The `key`
 * fallback below covers events without a `code`.
 */
const VIEW_DIGITS: Record<string, AppAction> = {
  Digit1: "videos",
  Digit2: "library",
  Digit3: "backups",
};

/** Returns true on macOS, where Command instead of Ctrl starts the shortcuts. */
export function isMacPlatform(): boolean {
  if (typeof navigator === "undefined") {
    return false;
  }
  return /Mac|iPhone|iPad/.test(navigator.platform) || /Mac OS X/.test(navigator.userAgent);
}

/**
 * Returns true when `target` takes typed text, so that a plain "/" or "?" types a character
 * instead of running a shortcut.
 */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) {
    return false;
  }
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) {
    return true;
  }
  if (target instanceof HTMLSelectElement) {
    return true;
  }
  if (target instanceof HTMLInputElement) {
    const nonText = ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"];
    return !nonText.includes(target.type);
  }
  return false;
}

/** Returns the action of a key combination with the platform's command key held. */
function commandAction(input: KeyInput): AppAction | null {
  const key = input.key.toLowerCase();
  const digit = VIEW_DIGITS[input.code];
  if (digit !== undefined) {
    return digit;
  }
  if (input.shiftKey) {
    // Ctrl+Shift+R reloads the page in WebKit too, so it refreshes like Ctrl+R.
    if (key === "o") {
      return "openLibraryFolder";
    }
    return key === "r" ? "refresh" : null;
  }
  switch (key) {
    case "1":
      return "videos";
    case "2":
      return "library";
    case "3":
      return "backups";
    case "r":
      return "refresh";
    case "f":
      return "search";
    case ",":
      return "settings";
    case "q":
      return "quit";
    default:
      return null;
  }
}

/**
 * Returns the action a keydown runs, or null when it is not a shortcut. Set `typing` when the
 * focus is in a text field, where the plain keys "/" and "?" type a character.
 */
export function actionForKey(input: KeyInput, mac: boolean, typing: boolean): AppAction | null {
  const command = mac ? input.metaKey : input.ctrlKey;
  const other = mac ? input.ctrlKey : input.metaKey;
  if (input.altKey || other) {
    return null;
  }
  if (command) {
    return commandAction(input);
  }
  if (input.key === "F5") {
    return "refresh";
  }
  if (input.key === "F1") {
    return "shortcuts";
  }
  if (typing) {
    return null;
  }
  if (input.key === "/") {
    return "search";
  }
  return input.key === "?" ? "shortcuts" : null;
}

/** Returns the shortcuts list with the platform's name for the command key. */
export function shortcutHelp(mac: boolean): ShortcutHelp[] {
  const command = mac ? "⌘" : "Ctrl";
  return [
    {
      keys: [`${command}+R`, "F5"],
      description: "Refresh: sync the video list, or reload the screen",
    },
    { keys: [`${command}+F`, "/"], description: "Search the videos or the library" },
    { keys: [`${command}+1`], description: "Show Videos" },
    { keys: [`${command}+2`], description: "Show Library" },
    { keys: [`${command}+3`], description: "Show Backups" },
    { keys: [`${command}+,`], description: "Show Settings" },
    { keys: [`${command}+Shift+O`], description: "Open the library folder" },
    { keys: [`${command}+Q`], description: "Quit (asks first while downloads run)" },
    { keys: ["?", "F1"], description: "Show this list" },
    { keys: ["↑", "↓"], description: "In a list: move to the previous or next row" },
    { keys: ["Home", "End"], description: "In a list: move to the first or last row" },
    { keys: ["Page Up", "Page Down"], description: "In a list: move one screen up or down" },
    { keys: ["Space"], description: "In the videos list: select or clear the row" },
    {
      keys: ["Enter"],
      description: "In a list: make the video available offline, or play the library item",
    },
    { keys: ["Tab"], description: "In a list: reach the buttons of the focused row" },
    { keys: ["↓"], description: "In a search field: move to the first row of the list" },
    { keys: ["Escape"], description: "Close a dialog" },
  ];
}
