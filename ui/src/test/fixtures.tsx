// Builders for test data and a render helper that wires a FakeBackend into the app.
import { render } from "@testing-library/react";
import type { ReactElement } from "react";

import { BackendProvider } from "../backend/context";
import type { FakeBackend } from "../backend/fake";
import type {
  BackupItemStatus,
  BackupProgress,
  JobSnapshot,
  LibraryEntry,
  SyncSummary,
  VideoRow,
} from "../backend/types";

export function makeVideo(overrides: Partial<VideoRow> = {}): VideoRow {
  return {
    uid: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    name: "Launch keynote",
    creator: null,
    created: "2025-03-14T09:30:00Z",
    durationSeconds: 3725,
    sizeBytes: 40_000_000,
    state: "ready",
    readyToStream: true,
    requireSignedUrls: false,
    offline: [],
    change: null,
    previousName: null,
    removed: false,
    liveInput: false,
    thumbnailUrl: null,
    ...overrides,
  };
}

/**
 * Returns `count` distinct videos named "Video 00001" and so on, one per minute, newest first,
 * with durations and sizes that grow with the number.
 */
export function makeVideos(count: number): VideoRow[] {
  const newest = Date.parse("2025-06-01T00:00:00Z");
  return Array.from({ length: count }, (_, index) => {
    const number = String(index + 1).padStart(5, "0");
    return makeVideo({
      uid: `uid-${number}`,
      name: `Video ${number}`,
      created: new Date(newest - index * 60_000).toISOString(),
      durationSeconds: 60 + index,
      sizeBytes: 1_000_000 + index,
    });
  });
}

export function makeSummary(overrides: Partial<SyncSummary> = {}): SyncSummary {
  return {
    mode: "full",
    total: 3,
    added: 0,
    renamed: 0,
    changed: 0,
    removed: 0,
    apiCalls: 1,
    elapsedMs: 120,
    finishedAt: new Date().toISOString(),
    ...overrides,
  };
}

export function makeBackupItem(overrides: Partial<BackupItemStatus> = {}): BackupItemStatus {
  return {
    uid: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    title: "Launch keynote",
    outcome: "queued",
    jobId: null,
    reason: null,
    error: null,
    downloadDeleted: false,
    ...overrides,
  };
}

export function makeBackup(overrides: Partial<BackupProgress> = {}): BackupProgress {
  const items = overrides.items ?? [makeBackupItem()];
  const count = (outcome: BackupItemStatus["outcome"]) =>
    items.filter((item) => item.outcome === outcome).length;
  return {
    id: 1,
    state: "running",
    downloadType: "default",
    restoreAccount: false,
    total: items.length,
    done: count("done"),
    failed: count("failed"),
    skipped: count("skipped"),
    unavailable: count("unavailable"),
    active: count("queued") + count("running") + count("paused"),
    restored: items.filter((item) => item.downloadDeleted).length,
    ...overrides,
    items,
  };
}

export function makeEntry(overrides: Partial<LibraryEntry> = {}): LibraryEntry {
  return {
    id: 1,
    uid: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    downloadType: "default",
    title: "Launch keynote",
    fileName: "Launch keynote.mp4",
    path: "/home/user/Videos/Offstream/Launch keynote.mp4",
    bytes: 40_000_000,
    sha256: "0".repeat(64),
    videoCreated: "2025-03-14T09:30:00Z",
    duration: 3725,
    creator: null,
    addedAt: "2025-04-01T12:00:00Z",
    mediaUrl: "http://127.0.0.1:49152/secret/media/1",
    thumbnailUrl: null,
    captions: [],
    ...overrides,
  };
}

export function makeJob(overrides: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id: 1,
    uid: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    title: "Launch keynote",
    downloadType: "default",
    phase: "queued",
    preparePercent: null,
    bytesDone: 0,
    bytesTotal: null,
    error: null,
    itemId: null,
    notice: null,
    ...overrides,
  };
}

/** Renders `ui` inside a BackendProvider that supplies `backend`. */
export function renderWith(backend: FakeBackend, ui: ReactElement) {
  return render(<BackendProvider backend={backend}>{ui}</BackendProvider>);
}

/** A PEM private key as text. Only its shape is real, and the fake backend checks nothing more. */
export const SAMPLE_PEM =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsamplesamplesample\n-----END RSA PRIVATE KEY-----";

/** SAMPLE_PEM in the base64 form the keys API returns it in. */
export const SAMPLE_PEM_BASE64 = btoa(SAMPLE_PEM);

/** Returns a JWK private key as JSON text, with `kid` when one is given. */
export function sampleJwk(kid?: string): string {
  return JSON.stringify({
    use: "sig",
    kty: "RSA",
    kid,
    alg: "RS256",
    n: "AQAB",
    e: "AQAB",
    d: "c2Vj",
  });
}
