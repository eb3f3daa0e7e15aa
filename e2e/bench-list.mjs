// Measures the videos view of a large account in the real window: how long the app takes from
// launch to the first rows of a cached 10,000-video list, and how smoothly that list scrolls.
//
//   npx tauri build --debug --no-bundle
//   xvfb-run -a node e2e/bench-list.mjs [--videos 10000] [--runs 3] [--binary PATH]
//
// Steps: one launch in demo mode with OFFSTREAM_DEMO_VIDEOS fills the mirror through a sync,
// waits until the thumbnails are cached, and exits. Each measured run then launches the app
// again on the same profile, so the list comes from the catalog, and records:
// - launchToRowsMs: from the WebDriver request that starts the app to the first
//   [data-testid=video-row] seen by a poll every 5 ms (includes process start and page load);
// - navigationToRowsMs: from the page's navigation start (performance.timeOrigin) to that poll;
// - cachedVideosIpcMs: one more `cached_videos` call from the page, start to result;
// - the gaps between requestAnimationFrame callbacks (frames, mean, p95, max, and how many
//   exceed 50 ms) while the list of [data-testid=video-scroll] stays still (idleFrames), while
//   it scrolls about one row per frame (wheelScroll), and while it scrolls from top to bottom
//   in 600 equal steps (fullScroll), so every frame shows new rows.
// The result is printed as JSON. The binary is the debug build unless --binary names another.

import { parseArgs } from "node:util";

import { TempProfile, debugBinary, requireDisplay, startDriver } from "./harness.mjs";
import { Session, sleep, waitUntil } from "./webdriver.mjs";

/** Samples and the live recording that demo mode always contains. */
const DEMO_BASE_VIDEOS = 4;

/** A frame gap above this counts as a long frame (a visible stutter). */
const LONG_FRAME_MS = 50;

/** Frames the scroll from top to bottom takes (about 10 s at 60 frames per second). */
const SCROLL_FRAMES = 600;

/** Pixels per frame of the wheel-like scroll: about one row. */
const WHEEL_STEP_PX = 60;

/** Frames of the wheel-like scroll and of the idle measurement. */
const SHORT_FRAMES = 300;

const { values: options } = parseArgs({
  options: {
    videos: { type: "string", default: "10000" },
    runs: { type: "string", default: "3" },
    binary: { type: "string" },
  },
});
const totalVideos = Number(options.videos);
const runs = Number(options.runs);
if (!Number.isInteger(totalVideos) || totalVideos <= DEMO_BASE_VIDEOS) {
  throw new Error(
    `--videos must be a whole number above ${DEMO_BASE_VIDEOS}, not ${options.videos}`,
  );
}
if (!Number.isInteger(runs) || runs < 1) {
  throw new Error(`--runs must be a whole number of at least 1, not ${options.runs}`);
}

/**
 * Scrolls the list by `step` pixels per frame for `frames` frames and returns the gaps between
 * frames. A step of 0 leaves the list still. A negative step scrolls from top to bottom in
 * `frames` equal steps.
 */
const SCROLL_AND_MEASURE = `
  const [requestedStep, frames, done] = arguments;
  const scroller = document.querySelector("[data-testid=video-scroll]");
  if (scroller === null) { done({ error: "no [data-testid=video-scroll]" }); return; }
  scroller.scrollTop = 0;
  const step = requestedStep >= 0
    ? requestedStep
    : Math.max(1, Math.ceil((scroller.scrollHeight - scroller.clientHeight) / frames));
  const gaps = [];
  let last = null;
  const frame = (now) => {
    if (last !== null) gaps.push(now - last);
    last = now;
    if (gaps.length >= frames) {
      done({ gaps, step, scrollHeight: scroller.scrollHeight,
             rows: document.querySelectorAll("[data-testid=video-row]").length });
      return;
    }
    scroller.scrollTop += step;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
`;

/** Returns the time the page takes to receive the cached list again over IPC. */
const TIME_CACHED_VIDEOS = `
  const done = arguments[arguments.length - 1];
  const started = performance.now();
  window.__TAURI_INTERNALS__.invoke("cached_videos").then(
    (list) => done({ ms: performance.now() - started, videos: list.videos.length }),
    (error) => done({ error }),
  );
`;

function summarize(gaps) {
  const sorted = [...gaps].sort((a, b) => a - b);
  const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
  return {
    frames: gaps.length,
    meanMs: round(mean),
    p95Ms: round(sorted[Math.floor(sorted.length * 0.95)]),
    maxMs: round(sorted[sorted.length - 1]),
    longFrames: gaps.filter((gap) => gap > LONG_FRAME_MS).length,
  };
}

function round(value) {
  return Math.round(value * 10) / 10;
}

/** Starts the driver and the app on `profile` and returns both and the launch time. */
async function launch(profile, application) {
  const driver = await startDriver({
    ...profile.env(),
    OFFSTREAM_DEMO_VIDEOS: String(totalVideos - DEMO_BASE_VIDEOS),
  });
  const started = performance.now();
  const session = await Session.create(driver.url, {
    alwaysMatch: { "tauri:options": { application, args: ["--demo"] } },
  });
  return { driver, session, started };
}

/** Runs an async page script and returns its result, or throws the error it reports. */
async function run(session, script, args) {
  const result = await session.command("POST", "/execute/async", { script, args }, 150_000);
  if (result.error !== undefined) {
    throw new Error(JSON.stringify(result.error));
  }
  return result;
}

async function close({ driver, session }) {
  await session.delete().catch(() => {});
  await driver.process.stop();
}

async function fillMirror(profile, application) {
  const app = await launch(profile, application);
  try {
    await waitUntil(
      `a synced mirror of ${totalVideos} videos`,
      async () => {
        const outcome = await app.session.executeAsync(
          `const done = arguments[arguments.length - 1];
           window.__TAURI_INTERNALS__.invoke("cached_videos").then(
             (list) => done({
               count: list.videos.length,
               synced: list.lastSync !== null && !list.syncing,
               thumbnails: list.videos.filter((video) => video.thumbnailUrl !== null).length,
             }),
             (error) => done({ error }));`,
        );
        // The private sample gets no thumbnail: the demo has no signing key yet.
        const cached = outcome.thumbnails >= totalVideos - 1;
        return outcome.synced && outcome.count === totalVideos && cached;
      },
      { timeoutMs: 300_000, intervalMs: 1_000 },
    );
  } finally {
    await close(app);
  }
}

async function measure(profile, application) {
  const app = await launch(profile, application);
  try {
    const seenAt = await waitUntil(
      "the first video row",
      async () => {
        const found = await app.session.findAll("[data-testid=video-row]");
        return found.length > 0 ? performance.now() : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 5 },
    );
    const navigationToRowsMs = await app.session.execute("return performance.now();");
    // Let the background quick sync settle before the other measurements.
    await sleep(2_000);
    await app.session.command("POST", "/timeouts", { script: 140_000 });
    const ipc = await run(app.session, TIME_CACHED_VIDEOS, []);
    const idle = await run(app.session, SCROLL_AND_MEASURE, [0, SHORT_FRAMES]);
    const wheel = await run(app.session, SCROLL_AND_MEASURE, [WHEEL_STEP_PX, SHORT_FRAMES]);
    const fling = await run(app.session, SCROLL_AND_MEASURE, [-1, SCROLL_FRAMES]);
    return {
      launchToRowsMs: round(seenAt - app.started),
      navigationToRowsMs: round(navigationToRowsMs),
      cachedVideosIpcMs: round(ipc.ms),
      idleFrames: summarize(idle.gaps),
      wheelScroll: { ...summarize(wheel.gaps), stepPx: wheel.step },
      fullScroll: {
        ...summarize(fling.gaps),
        stepPx: fling.step,
        scrollHeightPx: fling.scrollHeight,
        rowsInPage: fling.rows,
      },
    };
  } finally {
    await close(app);
  }
}

requireDisplay();
const application =
  options.binary ?? debugBinary("offstream-desktop", "npx tauri build --debug --no-bundle");
const profile = await TempProfile.create("bench-list");
try {
  await fillMirror(profile, application);
  const results = [];
  for (let run = 0; run < runs; run += 1) {
    results.push(await measure(profile, application));
  }
  console.log(JSON.stringify({ videos: totalVideos, binary: application, results }, null, 2));
} finally {
  await profile.remove();
}
