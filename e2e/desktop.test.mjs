// End-to-end tests of the desktop shell's manners in the real app window: one instance per
// profile, the remembered window size and position, the log file and its content, and closing
// while a download runs.
//
// Run them like the other end-to-end tests, after building both binaries:
//   npx tauri build --debug --no-bundle && cargo build -p stream-emulator
//   xvfb-run -a scripts/with-keyring.sh node --test e2e/
//
// Credentials come from CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN, or the app runs in demo
// mode, so these tests never touch the keychain. Xvfb runs without a window manager, so the
// position WebDriver sets is the position the app reads back: nothing moves or decorates the
// window.

import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { invoke, stopOnError, waitForVideoRows, withApp, withAppOnProfile } from "./app.mjs";
import {
  ManagedProcess,
  ROOT,
  TempProfile,
  debugBinary,
  listFiles,
  loadSamples,
  randomAccountId,
  randomApiToken,
  requireDisplay,
  saveLogs,
  sha256File,
  startEmulator,
} from "./harness.mjs";
import { WebDriverError, sleep, waitUntil } from "./webdriver.mjs";

/** Milliseconds one whole test may take, start-up and clean-up included. */
const TEST_TIMEOUT_MS = 180_000;

/** Milliseconds a second launch may take to hand over to the first and exit. */
const SECOND_LAUNCH_TIMEOUT_MS = 20_000;

/** Milliseconds to wait after moving the window: the app saves 500 ms after the last move. */
const PAST_SAVE_DELAY_MS = 1_500;

/** The line the running app logs when a second launch brings its window forward. */
const FOCUS_LINE = "a second launch focused the running window";

/** The sample downloaded by the close tests: about 497 kB, so 12 s at 40 kB/s. */
const SLOW_SAMPLE_FILE = "harbor-pattern.mp4";

/** Milliseconds the app waits idle in the background before it quits. */
const BACKGROUND_QUIT_MS = 3_500;

/** Bytes per second the emulator sends in the close tests. */
const SLOW_RATE = 40_000;

/** A signed token or any other JWT: three base64url parts, the first two JSON objects. */
const JWT_PATTERN = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/u;

/** Returns the log folder of a profile that OFFSTREAM_DATA_DIR isolates. */
function logDir(profile, { demo = false } = {}) {
  return demo ? join(profile.dataDir, "demo", "logs") : join(profile.dataDir, "logs");
}

/** Returns the text of the current log file. */
async function readLog(profile, options) {
  return readFile(join(logDir(profile, options), "offstream.log"), "utf8");
}

/** Returns the pid the last start-up line of the log names. */
async function appPid(profile, options) {
  const starts = [...(await readLog(profile, options)).matchAll(/Offstream started.* pid=(\d+)/gu)];
  assert.ok(starts.length > 0, "the log file contains a start-up line with the pid");
  return Number(starts.at(-1)[1]);
}

/**
 * Returns true while process `pid` runs. A zombie counts as ended: the app's parent
 * (WebKitWebDriver) may not reap it at once.
 */
async function processRunning(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The state follows the command name, which is in parentheses and may contain spaces.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z";
  } catch (error) {
    if (error.code === "ENOENT") {
      return false;
    }
    throw error;
  }
}

/** Returns the environment the driver gives the app, for launching the binary again. */
function appEnvironment(profile, extra = {}) {
  const env = { ...process.env, ...profile.env(), ...extra };
  for (const name of [
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN",
    "OFFSTREAM_DEMO",
    "OFFSTREAM_API_BASE",
  ]) {
    if (!(name in extra)) {
      delete env[name];
    }
  }
  return env;
}

/**
 * Launches the app binary again on `profile` with `args` and `extra` environment variables,
 * waits up to SECOND_LAUNCH_TIMEOUT_MS for it to exit, and returns its exit status (a signal
 * name when a signal ended it).
 *
 * @throws {Error} when it is still running after the wait; its output is saved first.
 */
async function launchAgain(name, profile, args, extra = {}) {
  const binary = debugBinary("offstream-desktop", "npx tauri build --debug --no-bundle");
  const second = new ManagedProcess(name, binary, args, appEnvironment(profile, extra));
  try {
    const ended = await Promise.race([
      second.closed.then(() => true),
      sleep(SECOND_LAUNCH_TIMEOUT_MS).then(() => false),
    ]);
    if (!ended || second.exitCode !== 0) {
      await saveLogs(name, [second]);
    }
    assert.ok(ended, `the second launch exits within ${SECOND_LAUNCH_TIMEOUT_MS} ms`);
    return second.exitCode;
  } finally {
    await second.stop();
  }
}

/** Returns the window's outer rectangle as WebDriver reports it. */
function windowRect(session) {
  return session.command("GET", "/window/rect");
}

/** Waits for the job of `uid` to show `phase` in the jobs panel. */
function waitForJobPhase(session, uid, phase, timeoutMs = 30_000) {
  return session.waitFor(`[data-testid=job][data-uid="${uid}"][data-phase=${phase}]`, {
    timeoutMs,
  });
}

/**
 * Clicks a button whose action hides the window or ends the app, through the page's own
 * `click()`, so the button's handler runs as for a user's click. A WebDriver click waits for
 * the window to settle afterwards, and WebKitWebDriver then returns an error and sometimes
 * exits. Even the script can lose its response when the app exits at once, so a WebDriver
 * error is ignored here. The session is not used afterwards: the caller checks the log, the
 * files and the process.
 */
async function clickAndLoseWindow(session, selector) {
  await session.waitFor(selector);
  try {
    await session.execute("document.querySelector(arguments[0]).click();", [selector]);
  } catch (error) {
    if (!(error instanceof WebDriverError)) {
      throw error;
    }
  }
}

/** Returns the environment that gives the app an account on `emulator`. */
function accountEnv(emulator, accountId, apiToken) {
  return {
    OFFSTREAM_API_BASE: emulator.apiBase,
    CLOUDFLARE_ACCOUNT_ID: accountId,
    CLOUDFLARE_API_TOKEN: apiToken,
  };
}

/** Creates a signing key on the emulator's account and returns `{id, pem, jwk}` (base64). */
async function createSigningKey(apiBase, accountId, apiToken) {
  const response = await fetch(`${apiBase}/accounts/${accountId}/stream/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiToken}` },
    signal: AbortSignal.timeout(20_000),
  });
  assert.equal(response.status, 200, "the emulator creates a signing key");
  return (await response.json()).result;
}

/**
 * Returns every secret string of a signing key: the base64 `pem` and `jwk` as the API returns
 * them, each line of the decoded PEM body, and the private members of the decoded JWK.
 */
function keySecrets(key) {
  const pemText = Buffer.from(key.pem, "base64").toString("utf8");
  const pemLines = pemText
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length >= 32 && !line.startsWith("-----"));
  const jwk = JSON.parse(Buffer.from(key.jwk, "base64").toString("utf8"));
  const jwkParts = ["d", "p", "q", "dp", "dq", "qi"].map((name) => jwk[name]);
  return [key.pem, key.jwk, ...pemLines, ...jwkParts].filter(
    (value) => typeof value === "string" && value !== "",
  );
}

describe("desktop shell", { concurrency: 1, timeout: TEST_TIMEOUT_MS * 5 }, () => {
  let samples;
  let slowSample;

  before(async () => {
    requireDisplay();
    samples = await loadSamples();
    slowSample = samples.find((entry) => entry.file === SLOW_SAMPLE_FILE);
    assert.ok(slowSample !== undefined, `samples.json lists ${SLOW_SAMPLE_FILE}`);
  });

  test("second launch focuses first", { timeout: TEST_TIMEOUT_MS }, async () => {
    await withApp("single-instance", { args: ["--demo"] }, async ({ session, profile }) => {
      await waitForVideoRows(session, samples.length + 1);

      const status = await launchAgain("second-launch", profile, ["--demo"]);
      assert.equal(status, 0, "the second launch exits with status 0");

      // The first instance still responds, through the page and through a command.
      const appStatus = await invoke(session, "app_status");
      assert.equal(appStatus.demo, true, "the first instance's app_status returns");
      await session.waitFor("[data-testid=demo-badge]");

      const log = await waitUntil(
        "the focus line in the first instance's log",
        async () => {
          const text = await readLog(profile, { demo: true });
          return text.includes(FOCUS_LINE) ? text : undefined;
        },
        { timeoutMs: 5_000 },
      );
      const starts = log.match(/Offstream started/gu) ?? [];
      assert.equal(starts.length, 1, "only the first instance started; the second handed over");
    });
  });

  test("window size and position remembered", { timeout: TEST_TIMEOUT_MS }, async () => {
    const profile = await TempProfile.create("window-state");
    const statePath = join(profile.dataDir, "demo", "window-state.json");
    const expected = { x: 40, y: 30, width: 900, height: 600 };
    try {
      await withAppOnProfile(
        "window-state-first",
        profile,
        { args: ["--demo"] },
        async ({ session }) => {
          await session.waitFor("[data-testid=demo-badge]");
          const set = await session.command("POST", "/window/rect", expected);
          assert.deepEqual(set, expected, "the window takes the rectangle WebDriver sets");

          // The state is on disk before the session ends, so a killed app remembers it too.
          await sleep(PAST_SAVE_DELAY_MS);
          const saved = JSON.parse(await readFile(statePath, "utf8"));
          assert.deepEqual(
            saved,
            { ...expected, maximized: false },
            "window-state.json holds the new rectangle",
          );
        },
      );

      await withAppOnProfile(
        "window-state-second",
        profile,
        { args: ["--demo"] },
        async ({ session }) => {
          await session.waitFor("[data-testid=demo-badge]");
          assert.deepEqual(await windowRect(session), expected, "the window opens where it was");
        },
      );

      // A position on a monitor that is gone (the screen is smaller than this) comes back on
      // screen, centred on the primary monitor.
      await writeFile(
        statePath,
        JSON.stringify({ x: 9000, y: 7000, width: 800, height: 500, maximized: false }),
      );
      await withAppOnProfile(
        "window-state-off-screen",
        profile,
        { args: ["--demo"] },
        async ({ session }) => {
          await session.waitFor("[data-testid=demo-badge]");
          const screen = await session.execute(
            "return { width: window.screen.width, height: window.screen.height };",
          );
          const rect = await windowRect(session);
          assert.equal(rect.width, 800, "the width is kept");
          assert.equal(rect.height, 500, "the height is kept");
          assert.ok(
            rect.x >= 0 && rect.x + rect.width <= screen.width,
            `the window is on the ${screen.width} px wide screen: ${JSON.stringify(rect)}`,
          );
          assert.ok(
            rect.y >= 0 && rect.y + rect.height <= screen.height,
            `the window is on the ${screen.height} px high screen: ${JSON.stringify(rect)}`,
          );
        },
      );
    } finally {
      await profile.remove();
    }
  });

  test("log file holds no secret", { timeout: TEST_TIMEOUT_MS }, async () => {
    const accountId = randomAccountId();
    const apiToken = randomApiToken();
    const publicSample = samples.find((entry) => entry.requireSignedURLs !== true);
    const privateSample = samples.find((entry) => entry.requireSignedURLs === true);
    assert.ok(privateSample !== undefined, "samples.json marks one sample as private");

    const emulatorOptions = { accountId, apiToken, prepareSeconds: 1 };
    const emulator = await startEmulator(emulatorOptions);
    try {
      const key = await createSigningKey(emulator.apiBase, accountId, apiToken);
      const secrets = [apiToken, ...keySecrets(key)];
      const profile = await TempProfile.create("log-secrets");
      try {
        // --verbose logs at debug level, where a leak would most likely show.
        const options = { args: ["--verbose"], env: accountEnv(emulator, accountId, apiToken) };
        await withAppOnProfile("log-secrets", profile, options, async ({ session }) => {
          const rows = await waitForVideoRows(session, samples.length);
          await invoke(session, "add_signing_key", {
            input: { keyId: key.id, material: key.pem, sessionOnly: true },
          });

          for (const sample of [publicSample, privateSample]) {
            const row = rows.find((entry) => entry.title === sample.title);
            assert.ok(row !== undefined, `a row titled ${JSON.stringify(sample.title)} is listed`);
            await invoke(session, "start_download", { uid: row.uid, downloadType: "default" });
          }
          let items = [];
          await waitUntil(
            "both downloads in the library",
            async () => {
              await stopOnError(session);
              items = await invoke(session, "list_library");
              return items.length === 2;
            },
            { timeoutMs: 60_000, intervalMs: 500, describe: () => JSON.stringify(items) },
          );
        });

        const dir = logDir(profile);
        const names = await readdir(dir);
        assert.ok(names.includes("offstream.log"), `the log folder holds offstream.log: ${names}`);
        const log = await readLog(profile);
        assert.match(log, /Offstream started/u, "the log has the start-up line");
        assert.match(log, /DEBUG/u, "the log has debug lines, as --verbose asks");
        for (const name of names) {
          const text = await readFile(join(dir, name), "utf8");
          // Index only, so a failure never prints a secret.
          const leaked = secrets.findIndex((secret) => text.includes(secret));
          assert.equal(leaked, -1, `${name} contains secret number ${leaked}`);
          assert.doesNotMatch(text, JWT_PATTERN, `${name} contains a signed token`);
        }
      } finally {
        await profile.remove();
      }
    } catch (error) {
      await saveLogs("log-secrets", [emulator.process]);
      throw error;
    } finally {
      await emulator.process.stop();
    }
  });

  test("keep downloading after close", { timeout: TEST_TIMEOUT_MS }, async () => {
    const accountId = randomAccountId();
    const apiToken = randomApiToken();
    const emulatorOptions = { accountId, apiToken, prepareSeconds: 1, deliveryRate: SLOW_RATE };
    const emulator = await startEmulator(emulatorOptions);
    try {
      const profile = await TempProfile.create("close-keep");
      try {
        const options = { env: accountEnv(emulator, accountId, apiToken) };
        await withAppOnProfile("close-keep", profile, options, async ({ session }) => {
          const rows = await waitForVideoRows(session, samples.length);
          const target = rows.find((row) => row.title === slowSample.title);
          await session.click(
            `[data-testid=video-row][data-uid="${target.uid}"] [data-testid=make-offline]`,
          );
          await waitForJobPhase(session, target.uid, "transferring");
          const pid = await appPid(profile);

          // Cancel keeps the window and the download.
          await invoke(session, "request_quit");
          await session.waitForText("[data-testid=close-running]", "1 download is running");
          await session.click("[data-testid=close-cancel]");
          await session.waitForGone("[data-testid=close-dialog]");
          await waitForJobPhase(session, target.uid, "transferring");

          // Keep hides the window; the app runs on until the download is done, then quits.
          await invoke(session, "request_quit");
          await session.waitFor("[data-testid=close-dialog]");
          await clickAndLoseWindow(session, "[data-testid=close-keep]");
          await waitUntil(
            "the log line of the hidden window",
            async () => /the window is hidden; quitting/u.test(await readLog(profile)),
            { timeoutMs: 10_000 },
          );
          assert.match(
            await readLog(profile),
            /window_visible=Some\(false\)/u,
            "GTK reports the window as hidden",
          );
          const mp4s = (await listFiles(profile.libraryDir)).filter((name) =>
            name.endsWith(".mp4"),
          );
          assert.deepEqual(mp4s, [], "the download is still running when the window hides");
          assert.ok(await processRunning(pid), "the app runs on with its window hidden");

          const files = await waitUntil(
            "the file to arrive in the library",
            async () => {
              const names = await listFiles(profile.libraryDir);
              return names.some((name) => name.endsWith(".mp4")) ? names : undefined;
            },
            { timeoutMs: 60_000, intervalMs: 500 },
          );
          await waitUntil(
            "the app to quit after the download",
            async () => !(await processRunning(pid)),
            {
              timeoutMs: 30_000,
              intervalMs: 250,
            },
          );

          const mp4 = files.find((name) => name.endsWith(".mp4"));
          assert.equal(
            await sha256File(join(profile.libraryDir, mp4)),
            await sha256File(join(ROOT, "samples", SLOW_SAMPLE_FILE)),
            `${mp4} has the bytes of samples/${SLOW_SAMPLE_FILE}`,
          );
          const log = await readLog(profile);
          assert.match(log, /the window is hidden; quitting once the downloads are done/u);
          assert.match(log, /the background downloads are done; quitting/u);
        });
      } finally {
        await profile.remove();
      }
    } catch (error) {
      await saveLogs("close-keep", [emulator.process]);
      throw error;
    } finally {
      await emulator.process.stop();
    }
  });

  test("second launch cancels background quit", { timeout: TEST_TIMEOUT_MS }, async () => {
    const accountId = randomAccountId();
    const apiToken = randomApiToken();
    const emulatorOptions = { accountId, apiToken, prepareSeconds: 1, deliveryRate: SLOW_RATE };
    const emulator = await startEmulator(emulatorOptions);
    try {
      const profile = await TempProfile.create("close-relaunch");
      try {
        const env = accountEnv(emulator, accountId, apiToken);
        await withAppOnProfile("close-relaunch", profile, { env }, async ({ session }) => {
          const rows = await waitForVideoRows(session, samples.length);
          const target = rows.find((row) => row.title === slowSample.title);
          await session.click(
            `[data-testid=video-row][data-uid="${target.uid}"] [data-testid=make-offline]`,
          );
          await waitForJobPhase(session, target.uid, "transferring");
          const pid = await appPid(profile);

          await invoke(session, "request_quit");
          await clickAndLoseWindow(session, "[data-testid=close-keep]");
          await waitUntil(
            "the log line of the hidden window",
            async () => /the window is hidden; quitting/u.test(await readLog(profile)),
            { timeoutMs: 10_000 },
          );

          // Launching again shows the window, and the app stays once the download is done.
          assert.equal(await launchAgain("close-relaunch-second", profile, [], env), 0);
          const log = await readLog(profile);
          assert.match(log, new RegExp(FOCUS_LINE, "u"), "the running app shows its window");
          assert.match(log, /the app keeps running after the downloads/u);

          await waitUntil(
            "the file to arrive in the library",
            async () => (await listFiles(profile.libraryDir)).some((name) => name.endsWith(".mp4")),
            { timeoutMs: 60_000, intervalMs: 500 },
          );
          await sleep(BACKGROUND_QUIT_MS + 2_000);
          assert.ok(await processRunning(pid), "the app still runs after the download");
          assert.doesNotMatch(await readLog(profile), /the background downloads are done/u);
        });
      } finally {
        await profile.remove();
      }
    } catch (error) {
      await saveLogs("close-relaunch", [emulator.process]);
      throw error;
    } finally {
      await emulator.process.stop();
    }
  });

  test("stop and quit resumes next start", { timeout: TEST_TIMEOUT_MS }, async () => {
    const accountId = randomAccountId();
    const apiToken = randomApiToken();
    const emulatorOptions = { accountId, apiToken, prepareSeconds: 1, deliveryRate: SLOW_RATE };
    const emulator = await startEmulator(emulatorOptions);
    try {
      const profile = await TempProfile.create("close-stop");
      const options = { env: accountEnv(emulator, accountId, apiToken) };
      try {
        let uid;
        await withAppOnProfile("close-stop-first", profile, options, async ({ session }) => {
          const rows = await waitForVideoRows(session, samples.length);
          uid = rows.find((row) => row.title === slowSample.title).uid;
          await session.click(
            `[data-testid=video-row][data-uid="${uid}"] [data-testid=make-offline]`,
          );
          await waitForJobPhase(session, uid, "transferring");
          const pid = await appPid(profile);

          await invoke(session, "request_quit");
          await clickAndLoseWindow(session, "[data-testid=close-stop]");
          await waitUntil("the app to quit", async () => !(await processRunning(pid)), {
            timeoutMs: 20_000,
            intervalMs: 250,
          });
          const names = await listFiles(profile.libraryDir);
          assert.ok(
            names.some((name) => name.endsWith(".part")),
            `a partial file is kept: ${JSON.stringify(names)}`,
          );
          assert.ok(!names.some((name) => name.endsWith(".mp4")), "the download had not finished");
        });

        // The next start takes the download up again by itself, without a click on Resume.
        await withAppOnProfile("close-stop-second", profile, options, async ({ session }) => {
          await waitForJobPhase(session, uid, "done", 60_000);
        });
        const files = (await listFiles(profile.libraryDir)).filter(
          (name) => !name.endsWith(".vtt"),
        );
        assert.equal(files.length, 1, `one file and no partial: ${JSON.stringify(files)}`);
        assert.equal(
          await sha256File(join(profile.libraryDir, files[0])),
          await sha256File(join(ROOT, "samples", SLOW_SAMPLE_FILE)),
          `${files[0]} has the bytes of samples/${SLOW_SAMPLE_FILE}`,
        );
        assert.match(await readLog(profile), /resumed the previous run's downloads/u);
      } finally {
        await profile.remove();
      }
    } catch (error) {
      await saveLogs("close-stop", [emulator.process]);
      throw error;
    } finally {
      await emulator.process.stop();
    }
  });
});
