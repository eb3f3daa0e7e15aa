// Hands "refresh" and "search" from the app shell to the screen that is shown. Each screen
// registers what the commands mean there. A command sent together with a navigation waits
// for the next screen to register, because that screen mounts only after the shell's render.
import { createContext, useContext, useEffect, useRef, type ReactNode } from "react";

export type ViewCommand = "refresh" | "search";

export class ViewCommands {
  private readonly handlers = new Map<ViewCommand, () => void>();
  private pending: ViewCommand | null = null;

  /** Runs the shown screen's handler of `command`; returns false when it has none. */
  run(command: ViewCommand): boolean {
    const handler = this.handlers.get(command);
    if (handler === undefined) {
      return false;
    }
    handler();
    return true;
  }

  /** Keeps `command` for the screen that registers next, replacing any kept before. */
  defer(command: ViewCommand): void {
    this.pending = command;
  }

  /** Drops a kept command that no screen took, so it cannot run long after the request. */
  dropPending(): void {
    this.pending = null;
  }

  /** Registers `handler` for `command` and runs it at once if that command was kept. */
  register(command: ViewCommand, handler: () => void): () => void {
    this.handlers.set(command, handler);
    if (this.pending === command) {
      this.pending = null;
      handler();
    }
    return () => {
      if (this.handlers.get(command) === handler) {
        this.handlers.delete(command);
      }
    };
  }
}

const ViewCommandsContext = createContext<ViewCommands | null>(null);

export function ViewCommandsProvider({
  commands,
  children,
}: {
  commands: ViewCommands;
  children: ReactNode;
}) {
  return <ViewCommandsContext.Provider value={commands}>{children}</ViewCommandsContext.Provider>;
}

/**
 * Registers `handler` for `command` while the calling screen is mounted. Screens rendered
 * without the provider, as in most component tests, register nothing.
 */
export function useViewCommand(command: ViewCommand, handler: () => void): void {
  const commands = useContext(ViewCommandsContext);
  const latest = useRef(handler);
  latest.current = handler;

  useEffect(() => {
    if (commands === null) {
      return;
    }
    return commands.register(command, () => latest.current());
  }, [commands, command]);
}
