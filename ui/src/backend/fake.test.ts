import { describe, expect, it } from "vitest";

import { makeJob, SAMPLE_PEM, SAMPLE_PEM_BASE64, sampleJwk } from "../test/fixtures";
import { FAKE_CREATED_KEY_ID, FakeBackend, validateSigningKey } from "./fake";

describe("validateSigningKey", () => {
  it.each<[string, string, string]>([
    ["PEM text", "k1", SAMPLE_PEM],
    ["base64 PEM", "k1", SAMPLE_PEM_BASE64],
    ["base64 PEM with line breaks", "k1", SAMPLE_PEM_BASE64.replace(/(.{20})/g, "$1\n")],
    ["JWK naming its kid", "", sampleJwk("k1")],
    ["base64 JWK", "k1", btoa(sampleJwk("k1"))],
  ])("accepts %s", (_name, keyId, material) => {
    expect(validateSigningKey({ keyId, material, sessionOnly: false })).toBeNull();
  });

  it.each<[string, string, string, string]>([
    ["empty material", "k1", "  ", "is empty"],
    ["text that is no key", "k1", "hello world", "neither a PEM private key nor a JWK"],
    ["PEM without key id", "", SAMPLE_PEM, "key id is missing"],
    ["JWK without kid or key id", "", sampleJwk(), "key id is missing"],
    ["JWK with another kid", "k2", sampleJwk("k1"), "does not match"],
  ])("rejects %s", (_name, keyId, material, expected) => {
    const error = validateSigningKey({ keyId, material, sessionOnly: false });

    expect(error?.code).toBe("invalid_key");
    expect(error?.message).toContain(expected);
  });

  it("error never contains material", () => {
    const material = "secret-material-that-is-no-key";

    const error = validateSigningKey({ keyId: "k1", material, sessionOnly: false });

    expect(error?.message).not.toContain(material);
  });
});

describe("FakeBackend signing", () => {
  it("records no key material", async () => {
    const backend = new FakeBackend();

    await backend.addSigningKey({ keyId: "k1", material: SAMPLE_PEM, sessionOnly: false });

    expect(JSON.stringify(backend.calls)).not.toContain("PRIVATE KEY");
    expect(backend.callsOf("addSigningKey")).toEqual([
      [{ keyId: "k1", materialLength: SAMPLE_PEM.length, sessionOnly: false }],
    ]);
  });

  it("status holds no key material", async () => {
    const backend = new FakeBackend();

    const status = await backend.addSigningKey({
      keyId: "k1",
      material: SAMPLE_PEM,
      sessionOnly: false,
    });

    expect(JSON.stringify(status)).not.toContain("PRIVATE KEY");
    expect(JSON.stringify(backend)).not.toContain("PRIVATE KEY");
  });

  it("JWK key id comes from kid", async () => {
    const backend = new FakeBackend();

    const status = await backend.addSigningKey({
      keyId: "",
      material: sampleJwk("k9"),
      sessionOnly: false,
    });

    expect(status.signing.keyId).toBe("k9");
  });

  it("session key needs no keychain", async () => {
    const backend = new FakeBackend({ keychainAvailable: false });

    const status = await backend.addSigningKey({
      keyId: "k1",
      material: SAMPLE_PEM,
      sessionOnly: true,
    });

    expect(status.signing.keySource).toBe("session");
  });

  it("create stores key", async () => {
    const status = await new FakeBackend().createSigningKey(false);

    expect(status.signing).toMatchObject({ mode: "key", keyId: FAKE_CREATED_KEY_ID });
  });

  it("create without keychain fails", async () => {
    const backend = new FakeBackend({ keychainAvailable: false });

    await expect(backend.createSigningKey(false)).rejects.toMatchObject({
      code: "keychain_unavailable",
    });
  });

  it("create for session needs no keychain", async () => {
    const backend = new FakeBackend({ keychainAvailable: false });

    const status = await backend.createSigningKey(true);

    expect(status.signing.keySource).toBe("session");
  });

  it("remove falls back to token endpoint", async () => {
    const backend = new FakeBackend({
      signing: { mode: "key", keyId: "k1", keySource: "keychain", tokenApiAllowed: true },
    });

    const status = await backend.removeSigningKey(false);

    expect(status.signing.mode).toBe("tokenApi");
  });

  it("remove without key fails", async () => {
    await expect(new FakeBackend().removeSigningKey(true)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("key wins over token endpoint", async () => {
    const backend = new FakeBackend({ signing: { mode: "tokenApi", tokenApiAllowed: true } });

    const status = await backend.createSigningKey(false);

    expect(status.signing.mode).toBe("key");
  });
});

describe("FakeBackend queue", () => {
  it("pause changes phase", async () => {
    const backend = new FakeBackend({ jobs: [makeJob({ id: 2, phase: "transferring" })] });

    await backend.pauseDownload(2);

    expect(backend.jobs[0]?.phase).toBe("paused");
  });

  it("pause sends snapshot", async () => {
    const backend = new FakeBackend({ jobs: [makeJob({ id: 2, phase: "queued" })] });
    const received: string[] = [];
    await backend.watchJobs((job) => received.push(job.phase));

    await backend.pauseDownload(2);

    expect(received).toEqual(["paused"]);
  });

  it("pause leaves verifying job", async () => {
    const backend = new FakeBackend({ jobs: [makeJob({ id: 2, phase: "verifying" })] });

    await backend.pauseDownload(2);

    expect(backend.jobs[0]?.phase).toBe("verifying");
  });

  it("resume queues paused job", async () => {
    const backend = new FakeBackend({
      jobs: [makeJob({ id: 2, phase: "paused", notice: { kind: "diskFull", neededBytes: 1 } })],
    });

    await backend.resumeDownload(2);

    expect(backend.jobs[0]).toMatchObject({ phase: "queued", notice: null });
  });

  it("unknown job rejects", async () => {
    await expect(new FakeBackend().pauseDownload(9)).rejects.toMatchObject({
      code: "unknown_job",
    });
  });

  it("cancel records partial choice", async () => {
    const backend = new FakeBackend({ jobs: [makeJob({ id: 2, phase: "paused" })] });

    await backend.cancelDownload(2, true);

    expect(backend.callsOf("cancelDownload")).toEqual([[2, true]]);
    expect(backend.jobs[0]?.phase).toBe("cancelled");
  });

  it("pause all skips finished jobs", async () => {
    const backend = new FakeBackend({
      jobs: [makeJob({ id: 1, phase: "done" }), makeJob({ id: 2, phase: "preparing" })],
    });

    await backend.pauseAllDownloads();

    expect(backend.jobs.map((job) => job.phase)).toEqual(["done", "paused"]);
  });

  it("resume all queues paused jobs", async () => {
    const backend = new FakeBackend({
      jobs: [makeJob({ id: 1, phase: "paused" }), makeJob({ id: 2, phase: "failed" })],
    });

    await backend.resumeAllDownloads();

    expect(backend.jobs.map((job) => job.phase)).toEqual(["queued", "failed"]);
  });

  it("start adds queued job", async () => {
    const backend = new FakeBackend({ jobs: [makeJob({ id: 4 })] });

    const id = await backend.startDownload("uid-new", "audio");

    expect(id).toBe(5);
    expect(backend.jobs[1]).toMatchObject({ id: 5, uid: "uid-new", phase: "queued" });
  });

  it.each([1, 8])("max transfers accepts %s", async (count) => {
    const status = await new FakeBackend().setMaxTransfers(count);

    expect(status.maxTransfers).toBe(count);
  });

  it.each([0, 9, 2.5])("max transfers rejects %s", async (count) => {
    await expect(new FakeBackend().setMaxTransfers(count)).rejects.toMatchObject({
      code: "invalid_input",
    });
  });
});
