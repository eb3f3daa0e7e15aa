// A minimal W3C WebDriver client over fetch, enough to drive the app through tauri-driver.
//
// Every request has a timeout, and every wait helper fails with a message that names what it
// waited for and the last state it saw, so a failed end-to-end run shows where the app stopped.
// Elements are looked up again on each poll, because React replaces DOM nodes when it
// re-renders and an old element reference then fails as "stale element reference".

/** The key under which W3C WebDriver wraps an element reference. */
const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

/** Milliseconds one HTTP request to the driver may take before it is aborted. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Milliseconds a wait helper polls by default. */
export const DEFAULT_WAIT_MS = 20_000;

/** A failed WebDriver command: the HTTP status and the W3C error code and message. */
export class WebDriverError extends Error {
  constructor(command, status, code, message) {
    super(`${command} failed: ${code} (HTTP ${status}): ${message}`);
    this.name = "WebDriverError";
    this.command = command;
    this.status = status;
    this.code = code;
  }
}

/**
 * Sends one WebDriver command and returns its `value`.
 *
 * @throws {WebDriverError} when the driver returns an error or does not respond.
 */
async function send(baseUrl, method, path, body, timeoutMs = REQUEST_TIMEOUT_MS) {
  const command = `${method} ${path}`;
  let response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new WebDriverError(command, 0, "request failed", `${error.message} (${baseUrl})`);
  }

  const text = await response.text();
  let payload;
  try {
    payload = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new WebDriverError(command, response.status, "invalid response", text.slice(0, 500));
  }
  // W3C WebDriver sends every error with a 4xx or 5xx status. A 2xx value is a result, even
  // one with an "error" field, such as a script's return value.
  if (!response.ok) {
    const value = payload.value ?? {};
    throw new WebDriverError(
      command,
      response.status,
      value.error ?? "unknown error",
      value.message ?? text.slice(0, 500),
    );
  }
  return payload.value;
}

/** An error a wait probe throws to end the wait at once, for a state that cannot recover. */
export class StopWaiting extends Error {
  constructor(message) {
    super(message);
    this.name = "StopWaiting";
  }
}

/** Sleeps for `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns a value other than undefined, null or false, and returns it.
 *
 * `probe` may throw: the error counts as "not yet" and is reported if the wait times out,
 * except a {@link StopWaiting}, which ends the wait at once.
 * `describe` returns the state to show on timeout; without it the last probe result is shown.
 *
 * @throws {Error} naming `what` and the last state after `timeoutMs`.
 */
export async function waitUntil(
  what,
  probe,
  { timeoutMs = DEFAULT_WAIT_MS, intervalMs = 100, describe } = {},
) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last !== undefined && last !== null && last !== false) {
        return last;
      }
    } catch (error) {
      if (error instanceof StopWaiting) {
        throw new Error(`Stopped waiting for ${what}: ${error.message}`);
      }
      lastError = error;
    }
    if (Date.now() >= deadline) {
      break;
    }
    await sleep(intervalMs);
  }

  let state;
  try {
    state = describe === undefined ? JSON.stringify(last) : await describe();
  } catch (error) {
    state = `(could not read the state: ${error.message})`;
  }
  const cause = lastError === undefined ? "" : `; last error: ${lastError.message}`;
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}. Last state: ${state}${cause}`,
  );
}

/** One element of the page, as a WebDriver reference. */
export class Element {
  constructor(session, id, selector) {
    this.session = session;
    this.id = id;
    this.selector = selector;
  }

  /** Returns the reference to pass as a script argument. */
  toJSON() {
    return { [ELEMENT_KEY]: this.id };
  }

  #path(suffix) {
    return `/element/${this.id}${suffix}`;
  }

  /** Clicks the element. */
  async click() {
    await this.session.command("POST", this.#path("/click"), {});
  }

  /** Types `text` into the element. */
  async sendKeys(text) {
    await this.session.command("POST", this.#path("/value"), { text });
  }

  /** Empties an input. */
  async clear() {
    await this.session.command("POST", this.#path("/clear"), {});
  }

  /** Returns the rendered text. */
  async text() {
    return this.session.command("GET", this.#path("/text"));
  }

  /** Returns an attribute's value, or null when it is absent. */
  async attribute(name) {
    return this.session.command("GET", this.#path(`/attribute/${encodeURIComponent(name)}`));
  }

  /** Returns a DOM property's value. */
  async property(name) {
    return this.session.command("GET", this.#path(`/property/${encodeURIComponent(name)}`));
  }

  /** Returns whether the element is enabled. */
  async isEnabled() {
    return this.session.command("GET", this.#path("/enabled"));
  }

  /** Finds the first descendant matching a CSS selector. */
  async find(selector) {
    const value = await this.session.command("POST", this.#path("/element"), {
      using: "css selector",
      value: selector,
    });
    return new Element(this.session, value[ELEMENT_KEY], `${this.selector} ${selector}`);
  }

  /** Finds every descendant matching a CSS selector. */
  async findAll(selector) {
    const values = await this.session.command("POST", this.#path("/elements"), {
      using: "css selector",
      value: selector,
    });
    return values.map(
      (value) => new Element(this.session, value[ELEMENT_KEY], `${this.selector} ${selector}`),
    );
  }
}

/** A WebDriver session with the app. */
export class Session {
  constructor(baseUrl, id) {
    this.baseUrl = baseUrl;
    this.id = id;
  }

  /**
   * Opens a session on the driver at `baseUrl` (for example http://127.0.0.1:4444).
   *
   * @throws {WebDriverError} when the driver cannot start the app.
   */
  static async create(baseUrl, capabilities, { timeoutMs = 120_000 } = {}) {
    const value = await send(baseUrl, "POST", "/session", { capabilities }, timeoutMs);
    return new Session(baseUrl, value.sessionId);
  }

  /** Sends a command scoped to this session and returns its value. */
  command(method, path, body, timeoutMs = REQUEST_TIMEOUT_MS) {
    return send(this.baseUrl, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  /** Closes the session, which also closes the app. */
  async delete() {
    await send(this.baseUrl, "DELETE", `/session/${this.id}`, undefined, 30_000);
  }

  /** Finds the first element matching a CSS selector. */
  async find(selector) {
    const value = await this.command("POST", "/element", {
      using: "css selector",
      value: selector,
    });
    return new Element(this, value[ELEMENT_KEY], selector);
  }

  /** Finds every element matching a CSS selector (possibly none). */
  async findAll(selector) {
    const values = await this.command("POST", "/elements", {
      using: "css selector",
      value: selector,
    });
    return values.map((value) => new Element(this, value[ELEMENT_KEY], selector));
  }

  /** Runs `script` (a function body) in the page and returns its result. */
  execute(script, args = []) {
    return this.command("POST", "/execute/sync", { script, args });
  }

  /** Runs `script` in the page; it ends by calling `arguments[arguments.length - 1](result)`. */
  async executeAsync(script, args = [], { timeoutMs = 30_000 } = {}) {
    await this.command("POST", "/timeouts", { script: timeoutMs });
    return this.command("POST", "/execute/async", { script, args });
  }

  /** Returns a PNG screenshot of the window. */
  async screenshot() {
    const base64 = await this.command("GET", "/screenshot");
    return Buffer.from(base64, "base64");
  }

  /** Returns the page's visible text, shortened, for failure messages. */
  async describePage(limit = 1500) {
    const text = await this.execute("return document.body ? document.body.innerText : '';");
    const flat = String(text).replace(/\s+/g, " ").trim();
    return JSON.stringify(flat.length > limit ? `${flat.slice(0, limit)}…` : flat);
  }

  /** Waits until an element matching `selector` exists and returns it. */
  async waitFor(selector, { timeoutMs } = {}) {
    return waitUntil(
      `an element matching ${selector}`,
      async () => (await this.findAll(selector))[0],
      { timeoutMs, describe: () => this.describePage() },
    );
  }

  /**
   * Waits until an element matching `selector` exists and is enabled, scrolls it to the middle
   * of its scroll containers, and clicks it. WebKitWebDriver's own scrolling leaves an element
   * that a horizontally scrolled container cuts off "not interactable", so the page scrolls
   * first, as a user would.
   */
  async click(selector, { timeoutMs } = {}) {
    const element = await waitUntil(
      `an enabled element matching ${selector}`,
      async () => {
        const [found] = await this.findAll(selector);
        return found !== undefined && (await found.isEnabled()) ? found : undefined;
      },
      { timeoutMs, describe: () => this.describePage() },
    );
    await this.execute('arguments[0].scrollIntoView({ block: "center", inline: "center" });', [
      element,
    ]);
    await element.click();
  }

  /** Waits until the number of elements matching `selector` satisfies `predicate`. */
  async waitForCount(selector, predicate, what, { timeoutMs } = {}) {
    return waitUntil(
      `${what} (${selector})`,
      async () => {
        const found = await this.findAll(selector);
        return predicate(found.length) ? found : undefined;
      },
      {
        timeoutMs,
        describe: async () =>
          `${(await this.findAll(selector)).length} matching; page: ${await this.describePage()}`,
      },
    );
  }

  /** Waits until no element matches `selector`. */
  async waitForGone(selector, { timeoutMs } = {}) {
    await this.waitForCount(selector, (count) => count === 0, "no element left", { timeoutMs });
  }

  /** Waits until the text of the element matching `selector` contains `expected`; returns the text. */
  async waitForText(selector, expected, { timeoutMs } = {}) {
    let lastText = null;
    return waitUntil(
      `${selector} to contain ${JSON.stringify(expected)}`,
      async () => {
        const [found] = await this.findAll(selector);
        lastText = found === undefined ? null : await found.text();
        return lastText !== null && lastText.includes(expected) ? lastText : undefined;
      },
      {
        timeoutMs,
        describe: async () =>
          lastText === null
            ? `no such element; page: ${await this.describePage()}`
            : `text ${JSON.stringify(lastText)}`,
      },
    );
  }
}
