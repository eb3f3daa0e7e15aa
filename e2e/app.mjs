// Shared steps of the end-to-end tests: starting the app with its emulator, waiting for its
// screens, and calling its commands directly for set-up and checks.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import {
  ARTIFACTS,
  TempProfile,
  debugBinary,
  saveLogs,
  startDriver,
  startEmulator,
} from "./harness.mjs";
import { Session, StopWaiting, waitUntil } from "./webdriver.mjs";

/**
 * Starts the emulator and the driver, opens a session and runs `body` with them. `env` adds
 * variables to the app's environment. Afterwards, also when `body` fails, it stops every
 * process and removes the temporary folders.
 */
export async function withApp(name, { args = [], emulator: emulatorOptions, env = {} } = {}, body) {
  const profile = await TempProfile.create(name);
  const processes = [];
  let session;
  let failed = true;
  try {
    const appEnv = { ...profile.env(), ...env };
    let emulator;
    if (emulatorOptions !== undefined) {
      emulator = await startEmulator(emulatorOptions);
      processes.push(emulator.process);
      appEnv.OFFSTREAM_API_BASE = emulator.apiBase;
    }
    const driver = await startDriver(appEnv);
    processes.push(driver.process);

    const application = debugBinary("offstream-desktop", "npx tauri build --debug --no-bundle");
    session = await Session.create(driver.url, {
      alwaysMatch: { "tauri:options": { application, args } },
    });
    await body({ session, profile, emulator });
    failed = false;
  } finally {
    if (session !== undefined) {
      if (failed) {
        await saveScreenshot(session, `${name}-failure.png`).catch(() => {});
      }
      await session.delete().catch(() => {});
    }
    for (const managed of processes.reverse()) {
      await managed.stop();
    }
    if (failed) {
      await saveLogs(name, processes);
    }
    await profile.remove();
  }
}

/** Saves a screenshot of the window to e2e/artifacts/NAME and returns its path. */
export async function saveScreenshot(session, fileName) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, fileName);
  await writeFile(path, await session.screenshot());
  return path;
}

/** Types the credentials into the settings form and submits it. */
export async function submitCredentials(session, accountId, apiToken) {
  const accountField = await session.waitFor("#account-id");
  await accountField.clear();
  await accountField.sendKeys(accountId);
  const tokenField = await session.find("#api-token");
  await tokenField.clear();
  await tokenField.sendKeys(apiToken);
  await session.click("#save-credentials");
}

/** Throws {@link StopWaiting} with the text of the first `[data-testid=error]`, if one is shown. */
export async function stopOnError(session) {
  const [error] = await session.findAll("[data-testid=error]");
  if (error !== undefined) {
    throw new StopWaiting(`the app shows an error: ${JSON.stringify(await error.text())}`);
  }
}

/**
 * Waits for the video list and returns its rows as {uid, title}, in screen order, once each
 * row shows its title. Titles are read as the element's `innerText` (the rendered text):
 * WebKitWebDriver's Get Element Text returns an empty string for the rows of the virtualized
 * table. An error shown meanwhile ends the wait at once, unless `failOnError` is false.
 */
export async function waitForVideoRows(session, expectedCount, { failOnError = true } = {}) {
  const selector = "[data-testid=video-row][data-uid]";
  let last = [];
  return waitUntil(
    `${expectedCount} video rows with titles (${selector})`,
    async () => {
      if (failOnError) {
        await stopOnError(session);
      }
      const found = await session.findAll(selector);
      if (found.length !== expectedCount) {
        return undefined;
      }
      last = [];
      for (const row of found) {
        const uid = await row.attribute("data-uid");
        const title = await (await row.find(".video-name")).property("innerText");
        last.push({ uid, title });
      }
      return last.every((row) => row.title !== "") ? last : undefined;
    },
    { describe: async () => `${JSON.stringify(last)}; page: ${await session.describePage()}` },
  );
}

/**
 * Calls an app command through the page's IPC bridge, as the UI does, and returns its result.
 * Arguments use the camelCase names of the JS side.
 *
 * @throws {Error} with the command's `{code, message}` when it fails.
 */
export async function invoke(session, command, args = {}, { timeoutMs = 60_000 } = {}) {
  const outcome = await session.executeAsync(
    `const [command, args, done] = arguments;
     window.__TAURI_INTERNALS__.invoke(command, args).then(
       (value) => done({ ok: true, value }),
       (error) => done({ ok: false, error }),
     );`,
    [command, args],
    { timeoutMs },
  );
  if (!outcome.ok) {
    throw new Error(`${command} failed: ${JSON.stringify(outcome.error)}`);
  }
  return outcome.value;
}

/**
 * Waits until the cached list contains `expectedCount` videos and a sync has finished, and
 * returns the list. The videos view starts a sync when it opens.
 */
export async function waitForSyncedList(session, expectedCount, { timeoutMs = 60_000 } = {}) {
  let last;
  return waitUntil(
    `a synced list of ${expectedCount} videos`,
    async () => {
      await stopOnError(session);
      last = await invoke(session, "cached_videos");
      const synced = last.lastSync !== null && !last.syncing;
      return synced && last.videos.length === expectedCount ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: 250,
      describe: () =>
        JSON.stringify({
          videos: last?.videos.length,
          lastSync: last?.lastSync,
          syncing: last?.syncing,
        }),
    },
  );
}

/** WebDriver's code points for the special keys that the keyboard tests press. */
export const KEYS = {
  control: "\uE009",
  shift: "\uE008",
  enter: "\uE007",
  tab: "\uE004",
  escape: "\uE00C",
  home: "\uE011",
  end: "\uE010",
  arrowDown: "\uE015",
  arrowUp: "\uE013",
};

/** Sends one sequence of key actions and releases every key afterwards. */
async function performKeyActions(session, actions) {
  await session.command("POST", "/actions", {
    actions: [{ type: "key", id: "keyboard", actions }],
  });
  await session.command("DELETE", "/actions");
}

/**
 * Presses `keys` together, such as KEYS.control and "f" for Ctrl+F, through WebDriver key
 * actions (no element is clicked), then releases them in reverse order.
 */
export async function pressKeys(session, ...keys) {
  const down = keys.map((value) => ({ type: "keyDown", value }));
  const up = [...keys].reverse().map((value) => ({ type: "keyUp", value }));
  await performKeyActions(session, [...down, ...up]);
}

/** Types `text` into the focused element, one key press per character. */
export async function typeKeys(session, text) {
  const actions = [...text].flatMap((value) => [
    { type: "keyDown", value },
    { type: "keyUp", value },
  ]);
  await performKeyActions(session, actions);
}

/**
 * Returns the focused element as {tag, id, testId, uid, rowIndex, text, outlineStyle,
 * outlineWidth, focusVisible}, read in the page.
 */
export async function focusedElement(session) {
  return session.execute(`
    const element = document.activeElement;
    if (element === null || element === document.body) return null;
    const style = getComputedStyle(element);
    return {
      tag: element.tagName.toLowerCase(),
      id: element.id,
      testId: element.getAttribute("data-testid"),
      uid: element.getAttribute("data-uid"),
      rowIndex: element.getAttribute("data-row-index"),
      text: element.innerText.slice(0, 80),
      outlineStyle: style.outlineStyle,
      outlineWidth: style.outlineWidth,
      focusVisible: element.matches(":focus-visible"),
    };
  `);
}

/**
 * Runs `body` with a session of the app on an existing profile, like {@link withApp}, and leaves
 * the profile in place, so a test can start the app again on the same data folder. `env` adds
 * variables to the app's environment.
 */
export async function withAppOnProfile(name, profile, { args = [], env = {} } = {}, body) {
  const processes = [];
  let session;
  let failed = true;
  try {
    const driver = await startDriver({ ...profile.env(), ...env });
    processes.push(driver.process);

    const application = debugBinary("offstream-desktop", "npx tauri build --debug --no-bundle");
    session = await Session.create(driver.url, {
      alwaysMatch: { "tauri:options": { application, args } },
    });
    await body({ session, profile });
    failed = false;
  } finally {
    if (session !== undefined) {
      if (failed) {
        await saveScreenshot(session, `${name}-failure.png`).catch(() => {});
      }
      await session.delete().catch(() => {});
    }
    for (const managed of processes.reverse()) {
      await managed.stop();
    }
    if (failed) {
      await saveLogs(name, processes);
    }
  }
}
