// Plain-language texts about signing tokens for private videos, shared by the settings section,
// the first-download dialog and the jobs panel, so the three use the same words.
import type { SigningStatus } from "../backend/types";

/** Clock difference to Cloudflare, in seconds, above which the settings warn. */
export const CLOCK_SKEW_WARNING_SECONDS = 120;

/** Error codes of jobs that failed for lack of a usable token. */
export const SIGNING_ERROR_CODES: ReadonlySet<string> = new Set([
  "signing_key_needed",
  "signing_key_invalid",
  "signing_key_revoked",
  "token_rejected",
  "clock_skew",
]);

/**
 * Returns what creating a key does, shown before the user confirms it. The demo account keeps
 * its key in memory, because a demo run never writes to the keychain.
 */
export function createKeyText(demo: boolean): string {
  const where = demo
    ? "on the demo account and keeps it in memory for this run"
    : "on your Cloudflare account and keeps it in the system keychain";
  return (
    `Offstream creates a signing key ${where}. ` +
    "It then signs a token on this computer for each private video you download, with no API call per token. " +
    "You can remove the key, and revoke it on Cloudflare, in Settings under Private videos."
  );
}

/** The consequence of keeping a created key in memory only, shown before the user chooses it. */
export const SESSION_CREATE_TEXT =
  "Offstream can create the key and keep it in memory for this run only. " +
  "The key stays valid on the Cloudflare account after Offstream quits, unless you first remove it here with “Also revoke it on Cloudflare”.";

/** Cloudflare's volume guidance for the token endpoint, shown in the settings and the dialog. */
export const TOKEN_API_NOTE =
  "Cloudflare recommends its token endpoint only for low volumes, under about 1,000 tokens a day.";

/** Returns the sentence that describes how tokens for private videos are made now. */
export function describeSigning(signing: SigningStatus): string {
  switch (signing.mode) {
    case "key": {
      const key = signing.keyId === null ? "the stored key" : `key ${signing.keyId}`;
      return signing.keySource === "session"
        ? `Signing tokens on this computer with ${key}, kept in memory for this run only.`
        : `Signing tokens on this computer with ${key} from the system keychain.`;
    }
    case "tokenApi":
      return `Requesting a token from Cloudflare's token endpoint for each download. ${TOKEN_API_NOTE}`;
    case "none":
      return "Not set up. Private videos cannot be downloaded until you add a signing key or allow the token endpoint.";
  }
}

/**
 * Returns the clock warning for `skewSeconds` (Cloudflare's clock minus this computer's), or
 * null when the difference is unknown or at most CLOCK_SKEW_WARNING_SECONDS.
 */
export function describeClockSkew(skewSeconds: number | null): string | null {
  if (skewSeconds === null || Math.abs(skewSeconds) <= CLOCK_SKEW_WARNING_SECONDS) {
    return null;
  }
  const minutes = Math.round(Math.abs(skewSeconds) / 60);
  const direction = skewSeconds > 0 ? "behind" : "ahead of";
  return `This computer's clock is ${minutes} min ${direction} Cloudflare's. Offstream adjusts tokens for the difference, but fix the clock in the system's date and time settings.`;
}
