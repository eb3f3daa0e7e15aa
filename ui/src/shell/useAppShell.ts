// Connects the app to its window: the native menu's actions and close requests arrive on the
// shell channel, the same actions come from keyboard shortcuts in the page, and both run
// through one dispatcher. It keeps the state of the dialogs that the shell opens.
import { useCallback, useEffect, useRef, useState } from "react";

import { toErrorPayload, type Backend } from "../backend/backend";
import type { ErrorPayload } from "../backend/types";
import type { View } from "../components/Header";
import { ActionDeduper, type ActionSource } from "./dispatch";
import { actionForKey, isMacPlatform, isTypingTarget, type AppAction } from "./shortcuts";
import type { ViewCommands } from "./viewCommands";

/** The work a close request reported as running. */
export type CloseRequest = { activeJobs: number; backupRunning: boolean };

/** A failed shell action or subscription, shown above the screen. */
export type ShellError = {
  title: string;
  error: ErrorPayload;
  /** Set for a failed subscription, which Retry starts again. */
  retry?: () => void;
};

export type AppShell = {
  /** The running work of a close request that waits for the user's choice, or null. */
  closeRequest: CloseRequest | null;
  /** Hides the close question after it was answered. */
  dismissClose: () => void;
  shortcutsOpen: boolean;
  setShortcutsOpen: (open: boolean) => void;
  shellError: ShellError | null;
};

const VIEWS: ReadonlySet<AppAction> = new Set(["videos", "library", "backups", "settings"]);

/** Returns true while a modal dialog is open, which keeps the app's shortcuts from running. */
function modalOpen(): boolean {
  return document.querySelector('[aria-modal="true"]') !== null;
}

type Options = {
  backend: Backend;
  commands: ViewCommands;
  navigate: (view: View) => void;
};

export function useAppShell({ backend, commands, navigate }: Options): AppShell {
  const [closeRequest, setCloseRequest] = useState<CloseRequest | null>(null);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const [shellError, setShellError] = useState<ShellError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [deduper] = useState(() => new ActionDeduper());

  const runAction = useCallback(
    (action: AppAction) => {
      if (VIEWS.has(action)) {
        navigate(action as View);
        return;
      }
      switch (action) {
        case "refresh":
        case "search":
          // Screens without a search field or a list to refresh hand the command to Videos.
          if (!commands.run(action)) {
            commands.defer(action);
            navigate("videos");
          }
          return;
        case "shortcuts":
          setShortcutsOpen(true);
          return;
        // NOTE: the native menu runs these two in Rust without a shell event, so the duplicate
        // check cannot see a key press that reaches both the menu's accelerator and the page.
        case "openLibraryFolder":
          backend.openLibraryFolder().catch((caught: unknown) => {
            setShellError({
              title: "Could not open the library folder",
              error: toErrorPayload(caught),
            });
          });
          return;
        case "quit":
          backend.requestQuit().catch((caught: unknown) => {
            setShellError({ title: "Could not quit", error: toErrorPayload(caught) });
          });
          return;
      }
    },
    [backend, commands, navigate],
  );

  const dispatch = useCallback(
    (action: AppAction, source: ActionSource) => {
      if (!deduper.accept(action, source, Date.now()) || modalOpen()) {
        return;
      }
      // A new action replaces the error of an earlier one, but not a failed subscription.
      setShellError((previous) => (previous?.retry === undefined ? null : previous));
      runAction(action);
    },
    [deduper, runAction],
  );

  const latestDispatch = useRef(dispatch);
  latestDispatch.current = dispatch;

  // The channel lives as long as the page; a second subscription (React's development double
  // effects, or Retry) leaves the earlier one ignored.
  useEffect(() => {
    let active = true;
    backend
      .watchShellEvents((event) => {
        if (!active) {
          return;
        }
        if (event.kind === "menu") {
          latestDispatch.current(event.action, "menu");
        } else {
          setCloseRequest({ activeJobs: event.activeJobs, backupRunning: event.backupRunning });
        }
      })
      .catch((caught: unknown) => {
        if (active) {
          setShellError({
            title: "Could not connect to the window menu",
            error: toErrorPayload(caught),
            retry: () => {
              setShellError(null);
              setAttempt((value) => value + 1);
            },
          });
        }
      });
    return () => {
      active = false;
    };
  }, [backend, attempt]);

  const mac = useRef(isMacPlatform());
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (event.defaultPrevented) {
        return;
      }
      const action = actionForKey(event, mac.current, isTypingTarget(event.target));
      if (action === null) {
        return;
      }
      // Also while a dialog is open, because the webview's own reload on Ctrl+R or F5 would
      // lose the page's state.
      event.preventDefault();
      if (!event.repeat) {
        dispatch(action, "keyboard");
      }
    }
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, [dispatch]);

  return {
    closeRequest,
    dismissClose: useCallback(() => setCloseRequest(null), []),
    shortcutsOpen,
    setShortcutsOpen,
    shellError,
  };
}
