// End-to-end tests of the real app window: the debug binary with its bundled UI, driven through
// tauri-driver and WebKitWebDriver, against a `stream-emulator` process on 127.0.0.1.
//
// Run them with a display and a private keyring, after building both binaries:
//   npx tauri build --debug --no-bundle && cargo build -p stream-emulator
//   xvfb-run -a scripts/with-keyring.sh node --test e2e/
//
// A passing run saves e2e/artifacts/library-playing.png; with OFFSTREAM_E2E_UPDATE_DOCS=1 it
// also copies it to docs/screenshot.png, the README's picture.
//
// The tests run one after another (tauri-driver takes one session at a time). Each gets its own
// temporary data and library folders, and the keychain tests clear the app's keychain entries
// before they start.

import assert from "node:assert/strict";
import { copyFile, mkdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import {
  saveScreenshot,
  stopOnError,
  submitCredentials,
  waitForVideoRows,
  withApp,
} from "./app.mjs";
import {
  ROOT,
  keychainClear,
  keychainLookup,
  listFiles,
  loadSamples,
  randomAccountId,
  randomApiToken,
  requireDisplay,
  requirePrivateKeyring,
  sha256File,
} from "./harness.mjs";
import { sleep, waitUntil } from "./webdriver.mjs";

/** Milliseconds one whole test may take, start-up and clean-up included. */
const TEST_TIMEOUT_MS = 180_000;

/** Milliseconds a download of a small sample may take, preparing included. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/** The title of the demo account's live recording, which is too long for an MP4. */
const DEMO_LIVE_RECORDING = "Annual meeting (live recording)";

/** Seconds the playhead must advance while the test waits 1.5 s. */
const MIN_PLAYED_SECONDS = 0.5;

/** Records every `data-phase` a job element shows, in order, in `window.__e2ePhases`. */
const RECORD_PHASES = `
  window.__e2ePhases = [];
  const record = (element) => {
    const uid = element.getAttribute("data-uid");
    const phase = element.getAttribute("data-phase");
    const seen = window.__e2ePhases.filter((entry) => entry.uid === uid);
    if (seen.length === 0 || seen[seen.length - 1].phase !== phase) {
      window.__e2ePhases.push({ uid, phase });
    }
  };
  document.querySelectorAll("[data-testid=job]").forEach(record);
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === "attributes") {
        record(mutation.target);
        continue;
      }
      for (const node of mutation.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        if (node.matches("[data-testid=job]")) record(node);
        node.querySelectorAll("[data-testid=job]").forEach(record);
      }
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-phase"],
  });
`;

/** Returns the player's state, or null when there is no player. */
const PLAYER_STATE = `
  const video = document.querySelector("video#player");
  if (video === null) return null;
  return {
    paused: video.paused,
    readyState: video.readyState,
    currentTime: video.currentTime,
    mediaError: video.error === null ? null : video.error.code,
    src: video.currentSrc,
  };
`;

describe("offstream desktop app", { concurrency: 1, timeout: TEST_TIMEOUT_MS * 3 }, () => {
  let samples;

  before(async () => {
    requireDisplay();
    samples = await loadSamples();
  });

  after(() => {
    if (process.env.OFFSTREAM_KEYCHAIN_TESTS === "1") {
      keychainClear();
    }
  });

  test("download play delete", { timeout: TEST_TIMEOUT_MS }, async () => {
    requirePrivateKeyring();
    keychainClear();
    const accountId = randomAccountId();
    const apiToken = randomApiToken();
    const sample = samples[0];

    await withApp(
      "main",
      { emulator: { accountId, apiToken, prepareSeconds: 2 } },
      async ({ session, profile }) => {
        // A new profile with an empty keychain opens on the settings screen.
        await session.waitFor("#account-id");
        const navSettings = await session.find("#nav-settings");
        assert.equal(
          await navSettings.attribute("aria-current"),
          "page",
          "settings is the current screen",
        );
        await session.waitForText("[data-testid=credential-source]", "None yet");

        await submitCredentials(session, accountId, apiToken);

        // Saving moves to the videos screen, which lists the emulator's samples.
        const rows = await waitForVideoRows(session, samples.length);
        assert.deepEqual(
          rows.map((row) => row.title).sort(),
          samples.map((entry) => entry.title).sort(),
          "the video list shows the sample titles",
        );

        // The keychain contains exactly what was typed. The values are compared, never printed.
        assert.ok(
          keychainLookup("api-token") === apiToken,
          "the keychain holds the API token that was typed",
        );
        assert.ok(
          keychainLookup("account-id") === accountId,
          "the keychain holds the account id that was typed",
        );

        const target = rows.find((row) => row.title === sample.title);
        assert.ok(target !== undefined, `a row titled ${JSON.stringify(sample.title)} is listed`);
        const rowSelector = `[data-testid=video-row][data-uid="${target.uid}"]`;
        const jobSelector = `[data-testid=job][data-uid="${target.uid}"]`;

        await session.execute(RECORD_PHASES);
        await session.click(`${rowSelector} [data-testid=make-offline]`);

        const finalPhase = await waitUntil(
          `the job of ${target.uid} to end (${jobSelector})`,
          async () => {
            await stopOnError(session);
            const [job] = await session.findAll(jobSelector);
            const phase = job === undefined ? null : await job.attribute("data-phase");
            return ["done", "failed", "cancelled"].includes(phase) ? phase : undefined;
          },
          {
            timeoutMs: DOWNLOAD_TIMEOUT_MS,
            intervalMs: 200,
            describe: async () =>
              JSON.stringify(await session.execute("return window.__e2ePhases;")),
          },
        );
        const seen = (await session.execute("return window.__e2ePhases;"))
          .filter((entry) => entry.uid === target.uid)
          .map((entry) => entry.phase);
        const jobText = await (await session.find(jobSelector)).text();
        assert.equal(
          finalPhase,
          "done",
          `the job ended as done; phases ${seen.join(" → ")}; text ${JSON.stringify(jobText)}`,
        );
        assert.ok(
          seen.includes("preparing"),
          `the job showed preparing; phases ${seen.join(" → ")}`,
        );
        assert.ok(
          seen.includes("transferring"),
          `the job showed transferring; phases ${seen.join(" → ")}`,
        );
        assert.ok(
          seen.indexOf("preparing") < seen.indexOf("transferring"),
          `preparing came before transferring; phases ${seen.join(" → ")}`,
        );
        assert.equal(seen.at(-1), "done", `done was the last phase; phases ${seen.join(" → ")}`);

        // The library folder contains one MP4 with the source bytes, its caption files next to
        // it, and no partial file.
        const files = await listFiles(profile.libraryDir);
        const mp4s = files.filter((name) => name.endsWith(".mp4"));
        assert.equal(mp4s.length, 1, `one MP4 in the library folder: ${JSON.stringify(files)}`);
        const libraryFile = join(profile.libraryDir, mp4s[0]);
        assert.equal(
          await sha256File(libraryFile),
          await sha256File(join(ROOT, "samples", sample.file)),
          `${mp4s[0]} has the bytes of samples/${sample.file}`,
        );
        const stem = mp4s[0].slice(0, -".mp4".length);
        const sampleStem = sample.file.slice(0, -".mp4".length);
        const captionFiles = files.filter((name) => name !== mp4s[0]);
        assert.deepEqual(
          captionFiles,
          [`${stem}.en.vtt`, `${stem}.ja.vtt`],
          "the sample's two caption tracks are stored next to the MP4",
        );
        for (const language of ["en", "ja"]) {
          assert.equal(
            await sha256File(join(profile.libraryDir, `${stem}.${language}.vtt`)),
            await sha256File(join(ROOT, "samples", `${sampleStem}.${language}.vtt`)),
            `the ${language} captions have the bytes Stream sent`,
          );
        }

        // The library lists it, and Play streams it into the player.
        await session.click("#nav-library");
        const libraryRow = `[data-testid=library-row][data-uid="${target.uid}"]`;
        await session.waitFor(libraryRow);
        await session.click(`${libraryRow} [data-testid=play]`);

        await waitUntil(
          "video#player to play (!paused && readyState >= 2)",
          async () => {
            await stopOnError(session);
            const state = await session.execute(PLAYER_STATE);
            return state !== null && !state.paused && state.readyState >= 2 ? state : undefined;
          },
          {
            timeoutMs: 20_000,
            describe: async () =>
              `${JSON.stringify(await session.execute(PLAYER_STATE))}; page: ${await session.describePage(600)}`,
          },
        );
        const start = await session.execute(PLAYER_STATE);
        await sleep(1_500);
        const later = await session.execute(PLAYER_STATE);
        assert.ok(
          later.currentTime - start.currentTime >= MIN_PLAYED_SECONDS,
          `the playhead advanced from ${start.currentTime} s to ${later.currentTime} s in 1.5 s`,
        );
        assert.equal(later.mediaError, null, "the player reports no media error");

        const screenshot = await saveScreenshot(session, "library-playing.png");
        if (process.env.OFFSTREAM_E2E_UPDATE_DOCS === "1") {
          await mkdir(join(ROOT, "docs"), { recursive: true });
          await copyFile(screenshot, join(ROOT, "docs", "screenshot.png"));
        }

        // A file removed outside the app shows as missing when the library opens again. This
        // also proves the UI may stat files in the library folder through the fs plugin scope.
        const movedAway = `${libraryFile}.moved`;
        await rename(libraryFile, movedAway);
        await session.click("#nav-videos");
        await session.click("#nav-library");
        await session.waitFor(`${libraryRow} [data-testid=missing]`);
        await rename(movedAway, libraryFile);
        await session.click("#nav-videos");
        await session.click("#nav-library");
        await session.waitFor(`${libraryRow} [data-testid=play]`);
        await sleep(500);
        assert.equal(
          (await session.findAll(`${libraryRow} [data-testid=missing]`)).length,
          0,
          "the row is no longer flagged once the file is back",
        );

        // Delete opens a confirmation first, then removes the row and the file.
        await session.click(`${libraryRow} [data-testid=delete]`);
        await session.click("[data-testid=confirm-delete]");
        await session.waitForGone(libraryRow);
        await waitUntil(`${libraryFile} to be deleted`, async () => {
          try {
            await stat(libraryFile);
            return false;
          } catch (error) {
            return error.code === "ENOENT";
          }
        });
        assert.deepEqual(
          await listFiles(profile.libraryDir),
          [],
          "the library folder is empty after Delete",
        );
      },
    );
  });

  test("wrong token rejected", { timeout: TEST_TIMEOUT_MS }, async () => {
    requirePrivateKeyring();
    keychainClear();
    const accountId = randomAccountId();
    const apiToken = randomApiToken();

    await withApp("wrong-token", { emulator: { accountId, apiToken } }, async ({ session }) => {
      await submitCredentials(session, accountId, randomApiToken());

      const message = await session.waitForText("[data-testid=error]", "authentication failed");
      const error = await session.find("[data-testid=error]");
      assert.equal(await error.attribute("data-code"), "auth", "the error has the auth code");
      assert.match(message, /Stream Read/, "the error names the Stream Read permission");
      assert.match(message, /account id/, "the error asks to check the account id");
      assert.equal(keychainLookup("api-token"), null, "the rejected token is not in the keychain");

      // The form stays usable: the right token is accepted and the videos load.
      const save = await session.find("#save-credentials");
      assert.equal(await save.isEnabled(), true, "Save is enabled again after the error");
      await submitCredentials(session, accountId, apiToken);
      const rows = await waitForVideoRows(session, samples.length, { failOnError: false });
      assert.equal(rows.length, samples.length, "the videos load with the right token");
    });
  });

  test("pause and resume a download", { timeout: TEST_TIMEOUT_MS }, async () => {
    requirePrivateKeyring();
    keychainClear();
    const accountId = randomAccountId();
    const apiToken = randomApiToken();
    // The largest public sample at 40 kB/s takes about 12 s, time enough to pause it.
    const sample = samples.find(
      (entry) => entry.file === "harbor-pattern.mp4" && entry.requireSignedURLs !== true,
    );
    assert.ok(sample !== undefined, "samples.json lists harbor-pattern.mp4 as public");

    await withApp(
      "pause",
      { emulator: { accountId, apiToken, prepareSeconds: 1, deliveryRate: 40_000 } },
      async ({ session, profile }) => {
        await submitCredentials(session, accountId, apiToken);
        const rows = await waitForVideoRows(session, samples.length);
        const target = rows.find((row) => row.title === sample.title);
        assert.ok(target !== undefined, `a row titled ${JSON.stringify(sample.title)} is listed`);
        const jobSelector = `[data-testid=job][data-uid="${target.uid}"]`;

        await session.click(
          `[data-testid=video-row][data-uid="${target.uid}"] [data-testid=make-offline]`,
        );
        await session.waitFor(`${jobSelector}[data-phase=transferring]`, { timeoutMs: 30_000 });
        await sleep(1_500);
        await session.click(`${jobSelector} [data-testid=pause-job]`);
        await session.waitFor(`${jobSelector}[data-phase=paused]`, { timeoutMs: 15_000 });

        // Paused means no bytes move and the partial file stays.
        const parts = (await listFiles(profile.libraryDir)).filter((name) =>
          name.endsWith(".part"),
        );
        assert.equal(parts.length, 1, `one partial file while paused: ${JSON.stringify(parts)}`);
        const partPath = join(profile.libraryDir, parts[0]);
        const pausedSize = (await stat(partPath)).size;
        assert.ok(pausedSize > 0, "the partial file holds the bytes received before the pause");
        await sleep(1_500);
        assert.equal((await stat(partPath)).size, pausedSize, "no bytes arrive while paused");

        await session.click(`${jobSelector} [data-testid=resume-job]`);
        await session.waitFor(`${jobSelector}[data-phase=done]`, { timeoutMs: 60_000 });
        const files = await listFiles(profile.libraryDir);
        assert.equal(files.length, 1, `one file after the resume: ${JSON.stringify(files)}`);
        assert.equal(
          await sha256File(join(profile.libraryDir, files[0])),
          await sha256File(join(ROOT, "samples", sample.file)),
          `${files[0]} has the bytes of samples/${sample.file}`,
        );
      },
    );
  });

  test("private video through signing dialog", { timeout: TEST_TIMEOUT_MS }, async () => {
    const sample = samples.find((entry) => entry.requireSignedURLs === true);
    assert.ok(sample !== undefined, "samples.json marks one sample as private");

    await withApp("private", { args: ["--demo"] }, async ({ session, profile }) => {
      const rows = await waitForVideoRows(session, samples.length + 1);
      const target = rows.find((row) => row.title === sample.title);
      assert.ok(target !== undefined, `a row titled ${JSON.stringify(sample.title)} is listed`);
      const rowSelector = `[data-testid=video-row][data-uid="${target.uid}"]`;
      const jobSelector = `[data-testid=job][data-uid="${target.uid}"]`;
      await session.waitFor(`${rowSelector} [data-testid=private-badge]`);

      // No key yet: taking the video offline asks how to sign its token.
      await session.click(`${rowSelector} [data-testid=make-offline]`);
      await session.waitFor("[data-testid=signing-dialog]");
      await session.click("[data-testid=signing-choice-create]");
      await session.click("[data-testid=confirm-create-key]");

      const finalPhase = await waitUntil(
        `the job of ${target.uid} to end (${jobSelector})`,
        async () => {
          await stopOnError(session);
          const [job] = await session.findAll(jobSelector);
          const phase = job === undefined ? null : await job.attribute("data-phase");
          return ["done", "failed", "cancelled"].includes(phase) ? phase : undefined;
        },
        {
          timeoutMs: DOWNLOAD_TIMEOUT_MS,
          intervalMs: 200,
          describe: () => session.describePage(600),
        },
      );
      const jobText = await (await session.find(jobSelector)).text();
      assert.equal(finalPhase, "done", `the job ended as done; text ${JSON.stringify(jobText)}`);

      // Demo mode keeps its library under its own data folder unless the environment sets one.
      const files = (await listFiles(profile.libraryDir)).filter((name) => name.endsWith(".mp4"));
      assert.equal(files.length, 1, `one MP4 in the library folder: ${JSON.stringify(files)}`);
      assert.equal(
        await sha256File(join(profile.libraryDir, files[0])),
        await sha256File(join(ROOT, "samples", sample.file)),
        `${files[0]} has the bytes of samples/${sample.file}`,
      );

      // Settings now report local signing with a key kept for this run only.
      await session.click("#nav-settings");
      const mode = await session.waitFor("[data-testid=signing-mode]");
      assert.equal(await mode.attribute("data-mode"), "key", "tokens are signed with a key");
    });
  });

  test("demo mode lists samples", { timeout: TEST_TIMEOUT_MS }, async () => {
    await withApp("demo", { args: ["--demo"] }, async ({ session }) => {
      const badge = await session.waitFor("[data-testid=demo-badge]");
      assert.match(await badge.text(), /Demo/, "the demo badge is shown");

      const rows = await waitForVideoRows(session, samples.length + 1);
      assert.deepEqual(
        rows.map((row) => row.title).sort(),
        [...samples.map((entry) => entry.title), DEMO_LIVE_RECORDING].sort(),
        "demo mode lists the sample titles and the live recording",
      );
    });
  });
});
