import { describe, expect, it } from "vitest";

import { FAKE_SIGNING } from "../backend/fake";
import type { ErrorPayload, SigningStatus } from "../backend/types";
import { createKeyText, describeClockSkew, describeSigning } from "./describe";
import { redactMaterial } from "./SigningKeyForm";

function signing(overrides: Partial<SigningStatus>): SigningStatus {
  return { ...FAKE_SIGNING, ...overrides };
}

describe("describeSigning", () => {
  it.each<[string, Partial<SigningStatus>, string]>([
    ["none", {}, "Not set up."],
    [
      "keychain key",
      { mode: "key", keyId: "k1", keySource: "keychain" },
      "with key k1 from the system keychain",
    ],
    [
      "session key",
      { mode: "key", keyId: "k1", keySource: "session" },
      "with key k1, kept in memory for this run only",
    ],
    ["token endpoint", { mode: "tokenApi" }, "under about 1,000 tokens a day"],
  ])("describes %s", (_name, overrides, expected) => {
    expect(describeSigning(signing(overrides))).toContain(expected);
  });
});

describe("describeClockSkew", () => {
  it.each<[number | null]>([[null], [0], [120], [-120]])("no warning for %s", (seconds) => {
    expect(describeClockSkew(seconds)).toBeNull();
  });

  it.each<[number, string]>([
    [121, "2 min behind Cloudflare's"],
    [-121, "2 min ahead of Cloudflare's"],
    [300, "5 min behind Cloudflare's"],
    [-3600, "60 min ahead of Cloudflare's"],
  ])("warns for %s seconds", (seconds, expected) => {
    expect(describeClockSkew(seconds)).toContain(expected);
  });

  it("asks to fix the clock", () => {
    expect(describeClockSkew(600)).toContain("fix the clock");
  });
});

describe("createKeyText", () => {
  it("names keychain for accounts", () => {
    expect(createKeyText(false)).toContain("keeps it in the system keychain");
  });

  it("names memory for demo", () => {
    expect(createKeyText(true)).toContain("keeps it in memory for this run");
  });
});

describe("redactMaterial", () => {
  const error: ErrorPayload = { code: "invalid_key", message: "Bad key abc123 in abc123." };

  it("replaces every occurrence", () => {
    expect(redactMaterial(error, "abc123").message).toBe("Bad key [signing key] in [signing key].");
  });

  it("keeps message without material", () => {
    expect(redactMaterial(error, "zzz")).toBe(error);
  });

  it("keeps message for empty material", () => {
    expect(redactMaterial(error, "")).toBe(error);
  });
});
