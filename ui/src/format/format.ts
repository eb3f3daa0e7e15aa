// Display formats shared by the videos, jobs and library views. Values that are unknown
// (null, negative or not a number) show as an em dash.
import type { DownloadType } from "../backend/types";

export const UNKNOWN = "—";

/** Formats seconds as h:mm:ss, rounding to the nearest second. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) {
    return UNKNOWN;
  }

  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  return `${hours}:${String(minutes).padStart(2, "0")}:${String(rest).padStart(2, "0")}`;
}

const BYTE_UNITS = ["KB", "MB", "GB", "TB"] as const;

/**
 * Formats a byte count with decimal units (1 MB = 1,000,000 bytes) and one decimal, the
 * convention of macOS Finder and GNOME Files.
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) {
    return UNKNOWN;
  }
  if (bytes < 1000) {
    return `${Math.round(bytes)} B`;
  }

  let value = bytes / 1000;
  let unit = 0;
  // Move up a unit while the value would print as 1000.0 or more in this one.
  while (value >= 999.95 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Formats an RFC 3339 time as a local date; an unparsable value is shown as it came. */
export function formatDate(iso: string | null, locale?: string, timeZone?: string): string {
  if (iso === null || iso === "") {
    return UNKNOWN;
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleDateString(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    timeZone,
  });
}

/** Formats an RFC 3339 time as a local date and time; an unparsable value is shown as it came. */
export function formatDateTime(iso: string | null, locale?: string, timeZone?: string): string {
  if (iso === null || iso === "") {
    return UNKNOWN;
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone });
}

/** Names a download type the way people know the files. */
export function formatDownloadType(downloadType: DownloadType): string {
  return downloadType === "audio" ? "Audio (M4A)" : "Video (MP4)";
}

/**
 * Formats a span of seconds for notices: "42 s", "2 min", "2 min 30 s", "1 h 5 min". Hours
 * drop the seconds, because a wait that long needs no second-level detail.
 */
export function formatSpan(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return UNKNOWN;
  }

  const total = Math.round(seconds);
  if (total < 60) {
    return `${total} s`;
  }
  const minutes = Math.floor(total / 60);
  const rest = total % 60;
  if (minutes < 60) {
    return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
  }
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  return restMinutes === 0 ? `${hours} h` : `${hours} h ${restMinutes} min`;
}

const COUNT_FORMAT = new Intl.NumberFormat(undefined);

/** Formats a count with the locale's digit grouping, such as "10,000". */
export function formatCount(count: number): string {
  return COUNT_FORMAT.format(count);
}

/** Formats a count with a noun in singular or plural: "1 video", "2,500 videos". */
export function formatCountOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

/** Formats minutes with at most one decimal, such as "1,234.5 min"; unknown shows a dash. */
export function formatMinutes(minutes: number): string {
  if (!Number.isFinite(minutes) || minutes < 0) {
    return UNKNOWN;
  }
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(minutes)} min`;
}
