// End-to-end tests of bulk backups and of file names from hostile titles, in the real window
// against the demo account. The demo's embedded emulator is grown through the environment
// (OFFSTREAM_DEMO_VIDEOS, OFFSTREAM_DEMO_HOSTILE_TITLES); it always contains a five-hour live
// recording, which no backup can download.
//
// Run them like the other end-to-end tests, after building both binaries:
//   npx tauri build --debug --no-bundle && cargo build -p stream-emulator
//   xvfb-run -a scripts/with-keyring.sh node --test e2e/
//
// Set-up steps and checks call the app's commands through the page's IPC bridge (`invoke`);
// the steps under test go through the UI. The save dialog of a manifest export cannot be
// driven through WebDriver, so the test calls `export_manifest` with the path the dialog would
// return.

import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { invoke, stopOnError, waitForSyncedList, withApp } from "./app.mjs";
import { ROOT, listFiles, loadSamples, requireDisplay, sha256File } from "./harness.mjs";
import { waitUntil } from "./webdriver.mjs";

/** Milliseconds one whole test may take, start-up and clean-up included. */
const TEST_TIMEOUT_MS = 420_000;

/** Milliseconds a backup of about fifty small videos may take (the demo prepares each for 4 s). */
const BACKUP_TIMEOUT_MS = 300_000;

/** The demo emulator's API token, the documented default of stream-emulator. */
const DEMO_API_TOKEN = "offstreamDemoApiToken0000000000000000000";

/** Videos in the backup test: the samples, the live recording and synthetic ones. */
const BACKUP_VIDEOS = 50;

/** Videos taken offline before the backup, which it must skip. */
const OFFLINE_BEFORE = 3;

/** Characters Windows, macOS or Linux reject in a file name. */
const FORBIDDEN_NAME_CHARS = /[<>:"/\\|?*\u0000-\u001f\u007f]/u;

/** Device names Windows reserves, with or without an extension. */
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/iu;

/** Direction and zero-width characters that make a name read differently from what it is. */
const INVISIBLE_CHARS = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Formats bytes like the UI's `formatBytes`: SI units with one decimal. */
function formatBytes(bytes) {
  if (bytes < 1000) {
    return `${Math.round(bytes)} B`;
  }
  const units = ["kB", "MB", "GB", "TB", "PB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Formats minutes like the UI's `formatMinutes`. */
function formatMinutes(minutes) {
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(minutes)} min`;
}

/** Returns the text of the element matching `selector`. */
async function textOf(session, selector) {
  return (await session.waitFor(selector)).text();
}

/** Returns Stream's downloads of a video from the demo emulator, as `{default?, audio?}`. */
async function emulatorDownloads(status, uid) {
  const url = `${status.apiBase}/accounts/${status.accountId}/stream/${uid}/downloads`;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${DEMO_API_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(response.status, 200, `GET downloads of ${uid} answers 200`);
  const body = await response.json();
  return body.result ?? {};
}

/** Waits until the library contains `count` items and returns them. */
async function waitForLibrary(session, count, what, timeoutMs) {
  let last = [];
  return waitUntil(
    `${count} library items (${what})`,
    async () => {
      await stopOnError(session);
      last = await invoke(session, "list_library");
      return last.length === count ? last : undefined;
    },
    { timeoutMs, intervalMs: 500, describe: () => `${last.length} items` },
  );
}

/** Waits until the newest backup has ended and returns its progress. */
async function waitForBackupEnd(session, timeoutMs) {
  let last;
  return waitUntil(
    "the backup to end",
    async () => {
      [last] = await invoke(session, "list_backups");
      return last !== undefined && ["done", "cancelled"].includes(last.state) ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: 1_000,
      describe: () =>
        JSON.stringify(
          last === undefined
            ? null
            : {
                state: last.state,
                done: last.done,
                failed: last.failed,
                active: last.active,
                errors: last.items.filter((item) => item.error !== null).slice(0, 3),
              },
        ),
    },
  );
}

/** Returns why `name` is not a portable file name, or null when it is one. */
function nameProblem(name) {
  if (FORBIDDEN_NAME_CHARS.test(name)) {
    return "has a forbidden character";
  }
  if (INVISIBLE_CHARS.test(name)) {
    return "has a direction or zero-width character";
  }
  if (RESERVED_NAMES.test(name)) {
    return "is a reserved device name";
  }
  if (/[. ]$/u.test(name) || /^[ ]/u.test(name)) {
    return "starts with a space or ends with a dot or space";
  }
  if (Buffer.byteLength(name, "utf8") > 255) {
    return "is longer than 255 bytes";
  }
  if (!name.endsWith(".mp4")) {
    return "does not end in .mp4";
  }
  return null;
}

/**
 * Scrolls the library table from top to bottom and returns the title shown in each row, by
 * uid. The table renders only the rows in view, so one pass collects them screen by screen.
 */
async function libraryTitles(session) {
  return session.executeAsync(
    `const done = arguments[arguments.length - 1];
     const scroller = document.querySelector("[data-testid=library-scroll]");
     const titles = {};
     const collect = () => {
       for (const row of document.querySelectorAll("[data-testid=library-row][data-uid]")) {
         const name = row.querySelector(".video-name");
         if (name !== null) titles[row.getAttribute("data-uid")] = name.textContent;
       }
     };
     const step = () => {
       collect();
       if (scroller === null || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight) {
         done(titles);
         return;
       }
       scroller.scrollTop += Math.max(1, scroller.clientHeight / 2);
       requestAnimationFrame(() => requestAnimationFrame(step));
     };
     step();`,
  );
}

describe("bulk backup and hostile titles", { concurrency: 1, timeout: TEST_TIMEOUT_MS * 2 }, () => {
  let samples;

  before(async () => {
    requireDisplay();
    samples = await loadSamples();
  });

  test("bulk backup of fifty videos", { timeout: TEST_TIMEOUT_MS }, async () => {
    const extra = BACKUP_VIDEOS - samples.length - 1;
    await withApp(
      "backup",
      { args: ["--demo"], env: { OFFSTREAM_DEMO_VIDEOS: String(extra) } },
      async ({ session, profile }) => {
        const status = await invoke(session, "app_status");
        const list = await waitForSyncedList(session, BACKUP_VIDEOS);
        const live = list.videos.filter((video) => video.liveInput);
        assert.equal(live.length, 1, "the demo holds one live recording");

        // The private sample needs a signing key; the demo keeps it for this run only.
        await invoke(session, "create_signing_key", { sessionOnly: true });
        await invoke(session, "set_max_transfers", { count: 4 });

        // A few videos are offline before the backup, which must skip them and keep their
        // downloads on Stream.
        const offlineFirst = list.videos
          .filter((video) => !video.liveInput && !video.requireSignedUrls)
          .slice(0, OFFLINE_BEFORE);
        for (const video of offlineFirst) {
          await invoke(session, "start_download", { uid: video.uid, downloadType: "default" });
        }
        await waitForLibrary(session, OFFLINE_BEFORE, "taken offline first", 120_000);

        // The estimate shows what the backup of the whole account downloads, skips and costs.
        const skippedUids = new Set(offlineFirst.map((video) => video.uid));
        const toDownload = list.videos.filter(
          (video) => !video.liveInput && !skippedUids.has(video.uid),
        );
        const expectedBytes = toDownload.reduce((sum, video) => sum + (video.sizeBytes ?? 0), 0);
        const expectedMinutes =
          toDownload.reduce((sum, video) => sum + (video.durationSeconds ?? 0), 0) / 60;

        await session.click("#nav-videos");
        await session.click("[data-testid=back-up]");
        await session.waitFor("[data-testid=estimate]");
        assert.equal(
          await textOf(session, "[data-testid=estimate-selected]"),
          String(BACKUP_VIDEOS),
          "the estimate counts every video",
        );
        assert.equal(
          await textOf(session, "[data-testid=estimate-download]"),
          String(toDownload.length),
          "the estimate downloads all but the offline and the live ones",
        );
        assert.equal(
          await textOf(session, "[data-testid=estimate-skipped]"),
          String(OFFLINE_BEFORE),
          "the estimate skips the videos already offline",
        );
        assert.equal(
          await textOf(session, "[data-testid=estimate-unavailable]"),
          "1",
          "the estimate lists one unavailable video",
        );
        assert.equal(
          await textOf(session, "[data-testid=estimate-size]"),
          formatBytes(expectedBytes),
          "the estimate's size is the sum of the originals to download",
        );
        assert.equal(
          await textOf(session, "[data-testid=estimate-minutes]"),
          formatMinutes(expectedMinutes),
          "the estimate's billed minutes are the sum of the durations to download",
        );
        const unavailable = await session.find("[data-testid=unavailable-item]");
        assert.equal(
          await unavailable.attribute("data-reason"),
          "liveRecordingTooLong",
          "the live recording is unavailable because it is too long",
        );

        // Start with restore-account and wait for the end.
        await session.click("[data-testid=backup-restore]");
        await session.click("[data-testid=start-backup]");
        await session.waitFor("[data-testid=backup-state]");
        const progress = await waitForBackupEnd(session, BACKUP_TIMEOUT_MS);
        assert.equal(progress.state, "done", "the backup ends as done");
        assert.equal(progress.total, BACKUP_VIDEOS, "the backup holds every video");
        assert.equal(progress.done, toDownload.length, "every video to download is done");
        assert.equal(progress.failed, 0, "no video failed");
        assert.equal(progress.skipped, OFFLINE_BEFORE, "the offline videos were skipped");
        assert.equal(progress.unavailable, 1, "the live recording was unavailable");
        assert.equal(progress.restored, toDownload.length, "every enabled download was deleted");
        await session.waitFor("[data-testid=backup-state][data-state=done]");

        // The library folder contains one verified MP4 per video, with the catalog's checksums.
        const library = await waitForLibrary(
          session,
          toDownload.length + OFFLINE_BEFORE,
          "after the backup",
          10_000,
        );
        const mp4s = (await listFiles(profile.libraryDir)).filter((name) => name.endsWith(".mp4"));
        assert.equal(mp4s.length, library.length, "one MP4 per library item");
        const parts = (await listFiles(profile.libraryDir)).filter((name) =>
          name.endsWith(".part"),
        );
        assert.deepEqual(parts, [], "no partial file is left");

        // The storage overview counts the library from the catalog.
        const storage = await invoke(session, "storage_overview");
        assert.equal(storage.itemCount, library.length, "the overview counts every item");
        assert.equal(
          storage.libraryBytes,
          library.reduce((sum, entry) => sum + entry.bytes, 0),
          "the overview sums the items' sizes",
        );
        assert.ok(storage.freeBytes > 0, "the overview reads the volume's free space");
        assert.ok(storage.volumeBytes >= storage.freeBytes, "the volume is at least as big");
        assert.ok(storage.thumbnailBytes > 0, "the overview counts the cached thumbnails");

        // The manifest lists every video of the backup that is in the library.
        const manifestPath = join(profile.root, "manifest.json");
        const rows = await invoke(session, "export_manifest", {
          id: progress.id,
          format: "json",
          path: manifestPath,
        });
        assert.equal(rows, library.length, "the manifest has a row per library video");
        const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
        const entries = manifest.videos;
        assert.ok(Array.isArray(entries), `the manifest lists videos: ${Object.keys(manifest)}`);
        assert.equal(entries.length, library.length, "the manifest file has every row");
        for (const entry of entries) {
          const info = await stat(entry.path);
          assert.equal(info.size, entry.bytes, `${entry.path} has the manifest's size`);
          assert.equal(
            await sha256File(entry.path),
            entry.sha256,
            `${entry.path} has the manifest's SHA-256`,
          );
        }
        const csvPath = join(profile.root, "manifest.csv");
        const csvRows = await invoke(session, "export_manifest", {
          id: progress.id,
          format: "csv",
          path: csvPath,
        });
        const csvLines = (await readFile(csvPath, "utf8")).trim().split(/\r?\n/u);
        assert.equal(csvRows, library.length, "the CSV export reports a row per video");
        assert.match(csvLines[0], /^uid,title,creator,created,duration,path,bytes,sha256/u);
        const relative = await invoke(session, "export_manifest", {
          id: progress.id,
          format: "csv",
          path: "manifest.csv",
        }).catch((error) => error);
        assert.match(String(relative), /invalid_input/u, "a relative manifest path is rejected");

        // A sample's captions came with it, and the player loads them as a track from the
        // media server (in CORS mode, which the video then uses too).
        const captioned = library.find((entry) => entry.captions.length > 0);
        assert.ok(captioned !== undefined, "a sample's captions are in the library");
        await session.click("#nav-library");
        await session.waitFor("[data-testid=library-row]");
        let thumbnails = [];
        await waitUntil(
          "the library's thumbnails to load",
          async () => {
            thumbnails = await session.execute(`
              // Thumbnails load lazily, so only those in the window count.
              return [...document.querySelectorAll("[data-testid=library-row] img.thumb")]
                .filter((image) => image.getBoundingClientRect().bottom < window.innerHeight)
                .map((image) => image.complete && image.naturalWidth > 0);
            `);
            return thumbnails.length > 0 && thumbnails.every(Boolean);
          },
          { timeoutMs: 10_000, describe: () => JSON.stringify(thumbnails) },
        );
        const search = await session.find("#library-search");
        await search.sendKeys(captioned.title);
        await session.click(
          `[data-testid=library-row][data-uid="${captioned.uid}"] [data-testid=play]`,
        );
        const track = await waitUntil(
          "the player to load the caption cues",
          () =>
            session.execute(`
              const video = document.querySelector("video#player");
              if (video === null || video.textTracks.length === 0) return null;
              const track = video.textTracks[0];
              if (track.mode === "disabled") track.mode = "hidden";
              const cues = track.cues === null ? 0 : track.cues.length;
              return cues > 0 ? { cues, readyState: video.readyState, error: video.error } : null;
            `),
          { timeoutMs: 20_000, intervalMs: 250 },
        );
        assert.equal(track.error, null, "the player reports no media error with captions");

        // Restore-account deleted the downloads the backup enabled and kept the earlier ones.
        for (const video of toDownload) {
          const downloads = await emulatorDownloads(status, video.uid);
          assert.equal(downloads.default, undefined, `${video.uid}'s download was deleted`);
        }
        for (const video of offlineFirst) {
          const downloads = await emulatorDownloads(status, video.uid);
          assert.ok(downloads.default !== undefined, `${video.uid}'s earlier download stays`);
        }
      },
    );
  });

  test("hostile titles become distinct files", { timeout: TEST_TIMEOUT_MS }, async () => {
    await withApp(
      "hostile",
      { args: ["--demo"], env: { OFFSTREAM_DEMO_HOSTILE_TITLES: "1" } },
      async ({ session, profile }) => {
        const sampleTitles = new Set(samples.map((sample) => sample.title));
        const list = await waitUntil(
          "the hostile videos in the synced list",
          async () => {
            const cached = await invoke(session, "cached_videos");
            return cached.lastSync !== null && cached.videos.length > samples.length + 1
              ? cached
              : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 250 },
        );
        const hostile = list.videos.filter(
          (video) => !video.liveInput && !sampleTitles.has(video.name),
        );
        assert.ok(hostile.length >= 30, `the demo lists the hostile titles (${hostile.length})`);

        await invoke(session, "set_max_transfers", { count: 4 });
        await invoke(session, "start_backup", {
          selection: {
            uids: hostile.map((video) => video.uid),
            search: null,
            since: null,
            until: null,
            creator: null,
          },
          downloadType: "default",
          options: { restoreAccount: false },
        });
        const progress = await waitForBackupEnd(session, BACKUP_TIMEOUT_MS);
        assert.equal(progress.done, hostile.length, "every hostile video was downloaded");

        // Every file has a distinct, portable name, also where case and Unicode
        // normalization are ignored, and the bytes of the sample it was made from.
        const files = (await listFiles(profile.libraryDir)).filter(
          (name) => !name.endsWith(".vtt"),
        );
        assert.equal(files.length, hostile.length, "one file per hostile video");
        for (const name of files) {
          assert.equal(nameProblem(name), null, `${JSON.stringify(name)} is a portable name`);
        }
        const folded = new Set(files.map((name) => name.normalize("NFC").toLowerCase()));
        assert.equal(folded.size, files.length, "names differ beyond case and normalization");
        const sampleSha = await sha256File(join(ROOT, "samples", samples[0].file));
        for (const name of files) {
          assert.equal(
            await sha256File(join(profile.libraryDir, name)),
            sampleSha,
            `${JSON.stringify(name)} holds the sample's bytes`,
          );
        }

        // The library view shows each video's original title, not its file name.
        await session.click("#nav-library");
        await session.waitFor("[data-testid=library-row]");
        const shown = await libraryTitles(session);
        for (const video of hostile) {
          assert.equal(
            shown[video.uid],
            video.name,
            `the library shows the original title of ${video.uid}`,
          );
        }
      },
    );
  });
});
