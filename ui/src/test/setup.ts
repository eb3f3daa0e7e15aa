// Shared vitest setup: DOM matchers, a DOM reset after each test, and the Web Crypto API that
// @tauri-apps/api's mocks need (jsdom has no crypto.getRandomValues).
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { webcrypto } from "node:crypto";
import { afterEach } from "vitest";

if (globalThis.crypto?.getRandomValues === undefined) {
  Object.defineProperty(globalThis, "crypto", { value: webcrypto, configurable: true });
}

afterEach(() => {
  cleanup();
});
