// Drops the second copy of an action that arrives from both the native menu and the page. On
// some platforms one key press reaches the menu's accelerator and the page's keydown handler,
// in either order, and the action must still run once.
import type { AppAction } from "./shortcuts";

/** The origin of an action: the native menu or a keydown in the page. */
export type ActionSource = "menu" | "keyboard";

/** Milliseconds within which the same action from the other source counts as the same press. */
export const DUPLICATE_WINDOW_MS = 300;

export class ActionDeduper {
  private readonly last = new Map<AppAction, { source: ActionSource; at: number }>();

  /**
   * Returns true when `action` should run: unless the same action came from the other source
   * less than DUPLICATE_WINDOW_MS before `now`. Two presses from one source both run.
   */
  accept(action: AppAction, source: ActionSource, now: number): boolean {
    const previous = this.last.get(action);
    if (
      previous !== undefined &&
      previous.source !== source &&
      now - previous.at < DUPLICATE_WINDOW_MS
    ) {
      // Forget the pair, so a third press right after runs again.
      this.last.delete(action);
      return false;
    }
    this.last.set(action, { source, at: now });
    return true;
  }
}
