// When the videos screen syncs the mirror in the background, and with which mode. A quick sync
// costs one or two requests but misses renames and deletions, which only a full walk of the
// list can see, so a full sync runs when the last one is more than an hour old.
import type { SyncMode, SyncSummary } from "../backend/types";

/** Age after which the last full sync no longer counts as recent. */
export const FULL_SYNC_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The times of the full syncs this window ran, per account. The cached list names only the
 * last sync, so after a quick sync this memory is what tells when the last full one ran.
 */
export class SyncMemory {
  private readonly fullSyncs = new Map<string, number>();

  /** Records a finished sync of `account`. */
  note(account: string, summary: SyncSummary): void {
    if (summary.mode === "full") {
      const finished = Date.parse(summary.finishedAt);
      this.fullSyncs.set(account, Number.isNaN(finished) ? Date.now() : finished);
    }
  }

  /** Returns when this window last saw a full sync of `account` finish, in milliseconds. */
  lastFullSync(account: string): number | null {
    return this.fullSyncs.get(account) ?? null;
  }
}

/**
 * Returns the mode of the background sync: "full" when the account was never synced or no
 * full sync is known to have finished within the last hour, else "quick".
 */
export function chooseSyncMode(
  lastSync: SyncSummary | null,
  rememberedFullSync: number | null,
  now: number,
): SyncMode {
  if (lastSync === null) {
    return "full";
  }
  const lastFromList = lastSync.mode === "full" ? Date.parse(lastSync.finishedAt) : Number.NaN;
  const candidates = [lastFromList, rememberedFullSync ?? Number.NaN].filter(
    (time) => !Number.isNaN(time),
  );
  if (candidates.length === 0) {
    return "full";
  }
  return now - Math.max(...candidates) > FULL_SYNC_INTERVAL_MS ? "full" : "quick";
}
