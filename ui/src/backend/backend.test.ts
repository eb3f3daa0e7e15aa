import { describe, expect, it } from "vitest";

import { isErrorPayload, toErrorPayload } from "./backend";

describe("toErrorPayload", () => {
  it.each<[string, unknown, { code: string; message: string }]>([
    ["payload", { code: "auth", message: "bad token" }, { code: "auth", message: "bad token" }],
    [
      "payload with extras",
      { code: "network", message: "timed out", detail: 1 },
      { code: "network", message: "timed out" },
    ],
    ["Error", new TypeError("x is undefined"), { code: "unexpected", message: "x is undefined" }],
    ["string", "forbidden path", { code: "unexpected", message: "forbidden path" }],
    [
      "empty string",
      "",
      { code: "unexpected", message: "The operation failed without an error message." },
    ],
    [
      "null",
      null,
      { code: "unexpected", message: "The operation failed without an error message." },
    ],
  ])("converts %s", (_name, input, expected) => {
    expect(toErrorPayload(input)).toEqual(expected);
  });
});

describe("isErrorPayload", () => {
  it.each<[unknown, boolean]>([
    [{ code: "a", message: "b" }, true],
    [{ code: "a" }, false],
    [{ code: 1, message: "b" }, false],
    ["text", false],
    [null, false],
  ])("checks %j", (value, expected) => {
    expect(isErrorPayload(value)).toBe(expected);
  });
});
