// End-to-end tests of keyboard use and the colour scheme in the real app window, in demo mode.
//
// The keyboard test sends WebDriver key actions only, never an element click: Ctrl+F, typing,
// the arrow keys, Enter and Ctrl+2 take a demo video offline and open the library. WebDriver
// delivers these keys to the page, so they test the page's shortcuts, not the native menu's.
// The theme tests start the app with GTK_THEME=Adwaita:dark and with GTK_THEME=Adwaita, which
// WebKitGTK 2.50 on Debian 12 maps to prefers-color-scheme. In MiniBrowser of the same version,
// gtk-application-prefer-dark-theme=1 in a private gtk-3.0/settings.ini did not switch it.
//
// Run them like the other end-to-end tests, after `npx tauri build --debug --no-bundle`:
//   xvfb-run -a scripts/with-keyring.sh node --test e2e/keyboard.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import {
  KEYS,
  focusedElement,
  pressKeys,
  saveScreenshot,
  stopOnError,
  typeKeys,
  waitForVideoRows,
  withApp,
} from "./app.mjs";
import { ROOT, listFiles, loadSamples, requireDisplay, sha256File } from "./harness.mjs";
import { waitUntil } from "./webdriver.mjs";

/** Milliseconds one whole test may take, start-up and clean-up included. */
const TEST_TIMEOUT_MS = 180_000;

/** Milliseconds a download of a small sample may take, preparing included. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/** The sample the keyboard test takes offline, and a part of its title that no other has. */
const SAMPLE_FILE = "aurora-bars.mp4";
const TITLE_PART = "calibration";

/** The page background of each scheme: --bg in ui/src/styles.css. */
const BACKGROUNDS = { light: "rgb(246, 247, 249)", dark: "rgb(18, 22, 28)" };

/** Reads which colour scheme the page's media queries match, and the body's background. */
const READ_SCHEME = `
  return {
    dark: matchMedia("(prefers-color-scheme: dark)").matches,
    light: matchMedia("(prefers-color-scheme: light)").matches,
    background: getComputedStyle(document.body).backgroundColor,
  };
`;

/** Fails unless the focused element shows an outline. */
function assertOutline(focused, what) {
  assert.ok(focused !== null, `${what} has the focus`);
  assert.notEqual(
    focused.outlineStyle,
    "none",
    `${what} shows an outline: ${JSON.stringify(focused)}`,
  );
  assert.ok(
    Number.parseFloat(focused.outlineWidth) > 0,
    `${what} has an outline wider than 0: ${JSON.stringify(focused)}`,
  );
}

/** Waits until the focused element satisfies `predicate` and returns it. */
async function waitForFocus(session, what, predicate) {
  let last = null;
  return waitUntil(
    what,
    async () => {
      last = await focusedElement(session);
      return last !== null && predicate(last) ? last : undefined;
    },
    { timeoutMs: 10_000, describe: () => `focused: ${JSON.stringify(last)}` },
  );
}

describe("keyboard and theme", { concurrency: 1, timeout: TEST_TIMEOUT_MS * 3 }, () => {
  let samples;

  before(async () => {
    requireDisplay();
    samples = await loadSamples();
  });

  test("keyboard path to an offline video", { timeout: TEST_TIMEOUT_MS }, async () => {
    const sample = samples.find((entry) => entry.file === SAMPLE_FILE);
    assert.ok(sample !== undefined, `samples.json lists ${SAMPLE_FILE}`);
    const others = samples.filter((entry) => entry !== sample);
    assert.ok(
      sample.title.toLowerCase().includes(TITLE_PART) &&
        others.every((entry) => !entry.title.toLowerCase().includes(TITLE_PART)),
      `only ${JSON.stringify(sample.title)} contains "${TITLE_PART}"`,
    );

    await withApp("keyboard", { args: ["--demo"] }, async ({ session, profile }) => {
      const rows = await waitForVideoRows(session, samples.length + 1);
      const target = rows.find((row) => row.title === sample.title);
      assert.ok(target !== undefined, `a row titled ${JSON.stringify(sample.title)} is listed`);

      // Ctrl+F moves the focus to the search field.
      await pressKeys(session, KEYS.control, "f");
      await waitForFocus(session, "the search field to have the focus", (focused) => {
        return focused.id === "video-search";
      });

      // Typing filters the list down to the one video.
      await typeKeys(session, TITLE_PART);
      const filtered = await waitForVideoRows(session, 1);
      assert.equal(filtered[0].uid, target.uid, "the search leaves the sample's row");

      // The down arrow moves from the search field to the row, which shows its focus ring.
      await pressKeys(session, KEYS.arrowDown);
      const row = await waitForFocus(session, "the video row to have the focus", (focused) => {
        return focused.uid === target.uid && focused.testId === "video-row";
      });
      assertOutline(row, "the focused video row");
      assert.equal(row.focusVisible, true, "the row matches :focus-visible");
      await saveScreenshot(session, "keyboard-row-focus.png");

      // Enter takes the video offline.
      await pressKeys(session, KEYS.enter);
      const jobSelector = `[data-testid=job][data-uid="${target.uid}"]`;
      const phase = await waitUntil(
        `the job of ${target.uid} to end (${jobSelector})`,
        async () => {
          await stopOnError(session);
          const [job] = await session.findAll(jobSelector);
          const current = job === undefined ? null : await job.attribute("data-phase");
          return ["done", "failed", "cancelled"].includes(current) ? current : undefined;
        },
        {
          timeoutMs: DOWNLOAD_TIMEOUT_MS,
          intervalMs: 200,
          describe: () => session.describePage(600),
        },
      );
      assert.equal(phase, "done", "the download started with Enter ends as done");

      // Ctrl+2 shows the library with the new file, and the focus lands on its heading.
      await pressKeys(session, KEYS.control, "2");
      const heading = await waitForFocus(
        session,
        "the library heading to have the focus",
        (focused) => {
          return focused.id === "view-heading" && focused.text === "Library";
        },
      );
      assert.equal(heading.tag, "h1", "the focus is on the screen's heading");
      const navLibrary = await session.find("#nav-library");
      assert.equal(await navLibrary.attribute("aria-current"), "page", "Library is current");
      await session.waitFor(`[data-testid=library-row][data-uid="${target.uid}"]`);

      const files = (await listFiles(profile.libraryDir)).filter((name) => name.endsWith(".mp4"));
      assert.equal(files.length, 1, `one MP4 in the library folder: ${JSON.stringify(files)}`);
      assert.equal(
        await sha256File(join(profile.libraryDir, files[0])),
        await sha256File(join(ROOT, "samples", sample.file)),
        `${files[0]} has the bytes of samples/${sample.file}`,
      );

      // Tab reaches the library's search field and the down arrow its row. Both show a ring.
      await pressKeys(session, KEYS.tab);
      const search = await waitForFocus(
        session,
        "the library search to have the focus",
        (focused) => {
          return focused.id === "library-search";
        },
      );
      assertOutline(search, "the focused library search field");
      await pressKeys(session, KEYS.arrowDown);
      const libraryRow = await waitForFocus(
        session,
        "the library row to have the focus",
        (focused) => {
          return focused.uid === target.uid && focused.testId === "library-row";
        },
      );
      assertOutline(libraryRow, "the focused library row");
    });
  });

  for (const [scheme, gtkTheme] of [
    ["dark", "Adwaita:dark"],
    ["light", "Adwaita"],
  ]) {
    test(`${scheme} GTK theme sets the scheme`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await withApp(
        `theme-${scheme}`,
        { args: ["--demo"], env: { GTK_THEME: gtkTheme } },
        async ({ session }) => {
          await session.waitFor("[data-testid=demo-badge]");
          const seen = await session.execute(READ_SCHEME);

          assert.equal(
            seen.dark,
            scheme === "dark",
            `prefers-color-scheme: dark: ${JSON.stringify(seen)}`,
          );
          assert.equal(
            seen.light,
            scheme === "light",
            `prefers-color-scheme: light: ${JSON.stringify(seen)}`,
          );
          assert.equal(
            seen.background,
            BACKGROUNDS[scheme],
            `the body background is the ${scheme} --bg`,
          );
          await saveScreenshot(session, `theme-${scheme}.png`);
        },
      );
    });
  }
});
