// Starts and stops what the end-to-end tests need: the Stream emulator, tauri-driver (which
// starts WebKitWebDriver and the app), temporary profile folders, and keychain checks.
//
// Each process runs in its own process group, so stopping it also stops what it started
// (WebKitWebDriver, the app and its web processes). Every start and stop has a time limit.
// Process output is kept in memory and written to e2e/artifacts/ when a test fails.

import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

import { sleep, waitUntil } from "./webdriver.mjs";

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, "..");

/** Where screenshots and logs of a run go (ignored by git). */
export const ARTIFACTS = join(ROOT, "e2e", "artifacts");

/** The keychain service name the app stores its credentials under. */
export const KEYCHAIN_SERVICE = "dev.offstream.app";

/** The keychain entries (the `username` attribute) the app writes. */
export const KEYCHAIN_ENTRIES = ["account-id", "api-token"];

/** Characters of each process's output kept for failure reports. */
const LOG_LIMIT = 200_000;

/** Returns the cargo target folder, honouring CARGO_TARGET_DIR like cargo does. */
function targetDir() {
  const configured = process.env.CARGO_TARGET_DIR;
  if (configured === undefined || configured === "") {
    return join(ROOT, "target");
  }
  return isAbsolute(configured) ? configured : join(ROOT, configured);
}

/**
 * Returns the absolute path of a binary in the debug target folder.
 *
 * @throws {Error} naming the build command when the binary does not exist.
 */
export function debugBinary(name, buildCommand) {
  const path = join(targetDir(), "debug", name);
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist. Build it first with: ${buildCommand}`);
  }
  return path;
}

/**
 * Returns the path of an executable found on PATH or in ~/.cargo/bin.
 *
 * @throws {Error} naming the install command when it is found nowhere.
 */
export function findTool(name, installHint) {
  const home = process.env.HOME ?? "";
  const dirs = [...(process.env.PATH ?? "").split(":"), join(home, ".cargo", "bin")];
  for (const dir of dirs) {
    if (dir !== "" && existsSync(join(dir, name))) {
      return join(dir, name);
    }
  }
  throw new Error(
    `${name} was not found on PATH or in ~/.cargo/bin. Install it with: ${installHint}`,
  );
}

/**
 * Checks what every test needs from the machine: a display for the window.
 *
 * @throws {Error} explaining how to run the tests when something is missing.
 */
export function requireDisplay() {
  if ((process.env.DISPLAY ?? "") === "" && (process.env.WAYLAND_DISPLAY ?? "") === "") {
    throw new Error(
      "No display: DISPLAY is not set. Run the tests under Xvfb: " +
        "xvfb-run -a scripts/with-keyring.sh node --test e2e/",
    );
  }
}

/**
 * Checks that this run has a private keyring, because the tests write to and clear the
 * keychain entries of the app's own service name.
 *
 * @throws {Error} explaining how to run the tests when it is not private.
 */
export function requirePrivateKeyring() {
  if (process.env.OFFSTREAM_KEYCHAIN_TESTS !== "1") {
    throw new Error(
      "These tests store credentials under the keychain service " +
        `${KEYCHAIN_SERVICE} and delete them again, so they run only in the private keyring ` +
        "that scripts/with-keyring.sh sets up (it exports OFFSTREAM_KEYCHAIN_TESTS=1). Run: " +
        "xvfb-run -a scripts/with-keyring.sh node --test e2e/",
    );
  }
}

/** Returns a free TCP port on 127.0.0.1. Another process could take it before it is used. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Returns a random account id (32 lower-case hex digits, like Cloudflare's). */
export function randomAccountId() {
  return randomBytes(16).toString("hex");
}

/** Returns a random API token in the shape of a Cloudflare API token. */
export function randomApiToken() {
  return `e2e-${randomBytes(27).toString("base64url")}`;
}

/** Returns the hex SHA-256 of a file. */
export async function sha256File(path) {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Lists every file below `dir`, as paths relative to it. */
export async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(dir.length + 1))
    .sort();
}

/** Returns the samples the emulator serves by default, from samples/samples.json. */
export async function loadSamples() {
  return JSON.parse(await readFile(join(ROOT, "samples", "samples.json"), "utf8"));
}

/** A temporary folder tree for one app run: data, library and the webview's own folders. */
export class TempProfile {
  static async create(label) {
    const root = await mkdtemp(join(tmpdir(), `offstream-e2e-${label}-`));
    const profile = new TempProfile(root);
    for (const dir of [
      profile.dataDir,
      profile.libraryDir,
      profile.configHome,
      profile.cacheHome,
    ]) {
      await mkdir(dir, { recursive: true });
    }
    return profile;
  }

  constructor(root) {
    this.root = root;
    this.dataDir = join(root, "data");
    this.libraryDir = join(root, "library");
    this.configHome = join(root, "config");
    this.cacheHome = join(root, "cache");
  }

  /** Returns the environment variables that point the app at these folders. */
  env() {
    return {
      OFFSTREAM_DATA_DIR: this.dataDir,
      OFFSTREAM_LIBRARY_DIR: this.libraryDir,
      XDG_CONFIG_HOME: this.configHome,
      XDG_CACHE_HOME: this.cacheHome,
    };
  }

  async remove() {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A child process in its own process group, with its output kept for failure reports. */
export class ManagedProcess {
  constructor(name, command, args, env) {
    this.name = name;
    this.output = "";
    this.exited = false;
    this.exitCode = null;
    this.child = spawn(command, args, {
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.closed = new Promise((resolveClosed) => {
      this.child.once("close", (code, signal) => {
        this.exited = true;
        this.exitCode = code ?? signal;
        resolveClosed();
      });
    });
    this.child.once("error", (error) => {
      this.#append(`[${name}] failed to start: ${error.message}\n`);
    });
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stdout.on("data", (chunk) => this.#append(chunk));
    this.child.stderr.on("data", (chunk) => this.#append(chunk));
  }

  #append(chunk) {
    this.output += chunk;
    if (this.output.length > LOG_LIMIT) {
      this.output = this.output.slice(-LOG_LIMIT);
    }
  }

  /** Sends `signal` to the whole process group; a group that is gone already is fine. */
  #signal(signal) {
    try {
      process.kill(-this.child.pid, signal);
    } catch (error) {
      if (error.code !== "ESRCH") {
        throw error;
      }
    }
  }

  /** Stops the process group: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000) {
    if (this.child.pid === undefined) {
      return;
    }
    this.#signal("SIGTERM");
    const stopped = await Promise.race([
      this.closed.then(() => true),
      sleep(graceMs).then(() => false),
    ]);
    // The group leader may be gone while children it started still run, so the group always
    // gets a SIGKILL; it has no members left when everything stopped cleanly.
    this.#signal("SIGKILL");
    if (!stopped) {
      await Promise.race([this.closed, sleep(graceMs)]);
    }
  }
}

/**
 * Starts `stream-emulator` on a free port with the given account and token, and returns the
 * process and the API base URL it printed. `deliveryRate` throttles download bodies to that
 * many bytes per second, so a test can act while a transfer runs.
 *
 * @throws {Error} with the emulator's output when it does not print its URL in time.
 */
export async function startEmulator({
  accountId,
  apiToken,
  prepareSeconds = 2,
  deliveryRate = undefined,
}) {
  const binary = debugBinary("stream-emulator", "cargo build -p stream-emulator");
  const env = { ...process.env, STREAM_EMULATOR_API_TOKEN: apiToken, RUST_LOG: "info" };
  const args = [
    "--port",
    "0",
    "--account-id",
    accountId,
    "--prepare-seconds",
    String(prepareSeconds),
  ];
  if (deliveryRate !== undefined) {
    args.push("--delivery-rate", String(deliveryRate));
  }
  const emulator = new ManagedProcess("stream-emulator", binary, args, env);

  try {
    const apiBase = await waitUntil(
      "the emulator to print its API base URL",
      () => {
        if (emulator.exited) {
          throw new Error(`the emulator exited with ${emulator.exitCode}`);
        }
        const firstLine = emulator.output.split("\n").find((line) => line.startsWith("http://"));
        return firstLine?.trim();
      },
      { timeoutMs: 15_000, describe: () => JSON.stringify(emulator.output) },
    );
    return { process: emulator, apiBase };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

/**
 * Starts tauri-driver on free ports with `appEnv` added to its environment (the app inherits
 * it), and waits until it accepts requests. CLOUDFLARE_* and OFFSTREAM_DEMO are removed, so
 * the app reads credentials only from the keychain and starts in demo mode only when asked.
 *
 * @throws {Error} with the driver's output when it does not respond in time.
 */
export async function startDriver(appEnv) {
  const binary = findTool("tauri-driver", "cargo install tauri-driver --locked");
  findTool("WebKitWebDriver", "apt-get install webkit2gtk-driver");
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) {
    nativePort = await freePort();
  }

  const env = { ...process.env, ...appEnv };
  for (const name of [
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN",
    "OFFSTREAM_DEMO",
    "OFFSTREAM_API_BASE",
  ]) {
    if (!(name in appEnv)) {
      delete env[name];
    }
  }
  const driver = new ManagedProcess(
    "tauri-driver",
    binary,
    ["--port", String(port), "--native-port", String(nativePort)],
    env,
  );
  const url = `http://127.0.0.1:${port}`;

  try {
    await waitUntil(
      `tauri-driver to answer on ${url}`,
      async () => {
        if (driver.exited) {
          throw new Error(`tauri-driver exited with ${driver.exitCode}`);
        }
        // Any HTTP response means it listens, whatever the status: tauri-driver forwards /status.
        const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2_000) });
        return response.status > 0;
      },
      { timeoutMs: 15_000, describe: () => JSON.stringify(driver.output) },
    );
    return { process: driver, url };
  } catch (error) {
    await driver.stop();
    throw error;
  }
}

/** Writes the output of the given processes to e2e/artifacts/NAME-PROCESS.log. */
export async function saveLogs(name, processes) {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const managed of processes) {
    if (managed !== undefined) {
      await writeFile(join(ARTIFACTS, `${name}-${managed.name}.log`), managed.output);
    }
  }
}

/**
 * Runs secret-tool with `args` and returns its exit status and stdout, which may contain a
 * secret: callers compare it and never print it.
 */
function secretTool(args) {
  findTool("secret-tool", "apt-get install libsecret-tools");
  const result = spawnSync("secret-tool", args, { encoding: "utf8", timeout: 15_000 });
  if (result.error !== undefined) {
    throw new Error(`secret-tool ${args[0]} failed to run: ${result.error.message}`);
  }
  return { status: result.status, stdout: result.stdout };
}

/** Returns the stored value of one of the app's keychain entries, or null when it is absent. */
export function keychainLookup(entry) {
  const { status, stdout } = secretTool(["lookup", "service", KEYCHAIN_SERVICE, "username", entry]);
  return status === 0 ? stdout.replace(/\n$/, "") : null;
}

/** Deletes the app's keychain entries, so each test starts with an empty keychain. */
export function keychainClear() {
  for (const entry of KEYCHAIN_ENTRIES) {
    secretTool(["clear", "service", KEYCHAIN_SERVICE, "username", entry]);
  }
}
