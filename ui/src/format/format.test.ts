import { describe, expect, it } from "vitest";

import {
  formatBytes,
  formatCount,
  formatCountOf,
  formatMinutes,
  formatDate,
  formatDateTime,
  formatDownloadType,
  formatDuration,
  formatSpan,
  UNKNOWN,
} from "./format";

describe("formatDuration", () => {
  it.each([
    [null, UNKNOWN],
    [-1, UNKNOWN],
    [Number.NaN, UNKNOWN],
    [0, "0:00:00"],
    [59.4, "0:00:59"],
    [59.6, "0:01:00"],
    [75, "0:01:15"],
    [3600, "1:00:00"],
    [3725, "1:02:05"],
    [90061, "25:01:01"],
  ])("formats %s seconds as %s", (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe("formatBytes", () => {
  it.each([
    [null, UNKNOWN],
    [-5, UNKNOWN],
    [Number.POSITIVE_INFINITY, UNKNOWN],
    [0, "0 B"],
    [999, "999 B"],
    [1000, "1.0 KB"],
    [1500, "1.5 KB"],
    [999_949, "999.9 KB"],
    [999_950, "1.0 MB"],
    [12_345_678, "12.3 MB"],
    [40_000_000, "40.0 MB"],
    [1_500_000_000, "1.5 GB"],
    [2_000_000_000_000, "2.0 TB"],
    [5_000_000_000_000_000, "5000.0 TB"],
  ])("formats %s bytes as %s", (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});

describe("formatDate", () => {
  it.each([
    ["2025-03-14T09:30:00Z", "en-US", "Mar 14, 2025"],
    ["2025-03-14T09:30:00Z", "en-GB", "14 Mar 2025"],
    ["2025-03-14T23:30:00-05:00", "en-US", "Mar 15, 2025"],
    ["not a date", "en-US", "not a date"],
    ["", "en-US", UNKNOWN],
    [null, "en-US", UNKNOWN],
  ])("formats %s in %s as %s", (iso, locale, expected) => {
    expect(formatDate(iso, locale, "UTC")).toBe(expected);
  });
});

describe("formatDateTime", () => {
  it("formats date and time", () => {
    expect(formatDateTime("2025-04-01T12:00:00Z", "en-US", "UTC")).toMatch(
      /^Apr 1, 2025, 12:00\sPM$/,
    );
  });

  it("keeps unparsable value", () => {
    expect(formatDateTime("yesterday", "en-US", "UTC")).toBe("yesterday");
  });
});

describe("formatDownloadType", () => {
  it.each([
    ["default", "Video (MP4)"],
    ["audio", "Audio (M4A)"],
  ] as const)("names %s as %s", (downloadType, expected) => {
    expect(formatDownloadType(downloadType)).toBe(expected);
  });
});

describe("formatSpan", () => {
  it.each([
    [-1, UNKNOWN],
    [Number.NaN, UNKNOWN],
    [0, "0 s"],
    [42, "42 s"],
    [59.6, "1 min"],
    [120, "2 min"],
    [150, "2 min 30 s"],
    [3600, "1 h"],
    [3900, "1 h 5 min"],
  ])("formats %s seconds as %s", (seconds, expected) => {
    expect(formatSpan(seconds)).toBe(expected);
  });
});

describe("formatCount", () => {
  it("groups digits", () => {
    expect(formatCount(10_000)).toBe("10,000");
  });
});

describe("formatCountOf", () => {
  it.each<[number, string]>([
    [0, "0 videos"],
    [1, "1 video"],
    [2_500, "2,500 videos"],
  ])("counts %i", (count, expected) => {
    expect(formatCountOf(count, "video")).toBe(expected);
  });
});

describe("formatMinutes", () => {
  it.each<[number, string]>([
    [0, "0 min"],
    [1.25, "1.3 min"],
    [1234.5, "1,234.5 min"],
    [-1, "—"],
    [Number.NaN, "—"],
  ])("formats %s", (minutes, expected) => {
    expect(formatMinutes(minutes)).toBe(expected);
  });
});
