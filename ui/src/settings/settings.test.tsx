import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { FakeBackend } from "../backend/fake";
import type { AppStatus } from "../backend/types";
import { renderWith } from "../test/fixtures";
import { SettingsView } from "./SettingsView";
import { validateApiBase } from "./StorageSection";
import { parseTransfers } from "./TransfersSection";

function renderSettings(backend: FakeBackend) {
  const onStatusChange = vi.fn<(status: AppStatus) => void>();
  const onSaved = vi.fn();
  renderWith(
    backend,
    <SettingsView status={backend.status} onStatusChange={onStatusChange} onSaved={onSaved} />,
  );
  return { onStatusChange, onSaved };
}

async function enterCredentials() {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Account id"), "acc");
  await user.type(screen.getByLabelText("API token"), "tok");
  await user.click(screen.getByRole("button", { name: "Save credentials" }));
  return user;
}

describe("SettingsView", () => {
  it("token field is a password", () => {
    renderSettings(new FakeBackend());

    expect(screen.getByLabelText("API token")).toHaveAttribute("type", "password");
  });

  it("explains token permissions", () => {
    renderSettings(new FakeBackend());

    expect(screen.getByText(/to browse videos and/)).toHaveTextContent(
      "The token needs Stream Read to browse videos and Stream Write to enable downloads.",
    );
    expect(screen.getByText(/My Profile → API Tokens/)).toBeInTheDocument();
  });

  it("auth error shows message", async () => {
    const backend = new FakeBackend();
    backend.failNext("saveCredentials", {
      code: "auth",
      message: "Cloudflare rejected the API token: Authentication error (10000).",
    });
    const { onSaved } = renderSettings(backend);

    await enterCredentials();

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("Cloudflare rejected the API token");
    expect(error).toHaveAttribute("data-code", "auth");
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("auth error offers no session choice", async () => {
    const backend = new FakeBackend();
    backend.failNext("saveCredentials", { code: "auth", message: "bad token" });
    renderSettings(backend);

    await enterCredentials();

    await screen.findByTestId("error");
    expect(screen.queryByTestId("save-session-only")).not.toBeInTheDocument();
  });

  it("keychain unavailable offers session", async () => {
    const backend = new FakeBackend({ keychainAvailable: false });
    const { onSaved } = renderSettings(backend);

    const user = await enterCredentials();

    expect(await screen.findByTestId("error")).toHaveTextContent("No system keychain");
    expect(onSaved).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Keep for this run only" }));

    expect(backend.callsOf("saveCredentials")).toEqual([
      [{ accountId: "acc", apiToken: "tok", sessionOnly: false }],
      [{ accountId: "acc", apiToken: "tok", sessionOnly: true }],
    ]);
    expect(onSaved).toHaveBeenCalledTimes(1);
  });

  it("session choice can be declined", async () => {
    const backend = new FakeBackend({ keychainAvailable: false });
    renderSettings(backend);

    const user = await enterCredentials();
    await user.click(await screen.findByRole("button", { name: "Cancel" }));

    expect(screen.queryByTestId("save-session-only")).not.toBeInTheDocument();
    expect(backend.callsOf("saveCredentials")).toHaveLength(1);
  });

  it("empty fields are rejected", async () => {
    const backend = new FakeBackend();
    const user = userEvent.setup();
    renderSettings(backend);

    await user.click(screen.getByRole("button", { name: "Save credentials" }));

    expect(screen.getByTestId("error")).toHaveTextContent("Enter both the account id");
    expect(backend.callsOf("saveCredentials")).toHaveLength(0);
  });

  it("environment credentials are read-only", () => {
    const backend = new FakeBackend({
      status: { credentialSource: "environment", accountId: "env-account" },
    });
    renderSettings(backend);

    expect(screen.getByLabelText("Account id")).toHaveAttribute("readonly");
    expect(screen.getByLabelText("Account id")).toHaveValue("env-account");
    expect(screen.getByLabelText("API token")).toBeDisabled();
    expect(screen.getByRole("button", { name: "Save credentials" })).toBeDisabled();
    expect(screen.getByTestId("credential-source")).toHaveTextContent("override the keychain");
  });

  it("demo credentials are read-only", () => {
    const backend = new FakeBackend({
      status: { demo: true, credentialSource: "demo", accountId: "demo-account" },
    });
    renderSettings(backend);

    expect(screen.getByLabelText("Account id")).toHaveAttribute("readonly");
    expect(screen.getByRole("button", { name: "Save credentials" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Forget credentials" })).not.toBeInTheDocument();
  });

  it("forget clears credentials", async () => {
    const backend = new FakeBackend({ status: { credentialSource: "keychain", accountId: "a" } });
    const user = userEvent.setup();
    const { onStatusChange } = renderSettings(backend);

    await user.click(screen.getByRole("button", { name: "Forget credentials" }));

    expect(backend.callsOf("forgetCredentials")).toHaveLength(1);
    expect(onStatusChange).toHaveBeenCalledWith(
      expect.objectContaining({ credentialSource: "none" }),
    );
  });

  it("keychain error is shown", () => {
    const backend = new FakeBackend({
      status: { keychainError: { code: "keychain_locked", message: "The keychain is locked." } },
    });
    renderSettings(backend);

    expect(screen.getByText(/The keychain is locked\./)).toBeInTheDocument();
  });

  it("choose sets library folder", async () => {
    const backend = new FakeBackend({ chosenDirectory: "/media/archive" });
    const user = userEvent.setup();
    const { onStatusChange } = renderSettings(backend);

    await user.click(screen.getByRole("button", { name: "Choose…" }));

    expect(backend.callsOf("chooseDirectory")).toEqual([["/home/user/Videos/Offstream"]]);
    expect(backend.callsOf("setLibraryDir")).toEqual([["/media/archive"]]);
    expect(onStatusChange).toHaveBeenCalledWith(
      expect.objectContaining({ libraryDir: "/media/archive" }),
    );
  });

  it("cancelled picker changes nothing", async () => {
    const backend = new FakeBackend({ chosenDirectory: null });
    const user = userEvent.setup();
    renderSettings(backend);

    await user.click(screen.getByRole("button", { name: "Choose…" }));

    expect(backend.callsOf("setLibraryDir")).toHaveLength(0);
  });

  it("library folder fixed by env", () => {
    const backend = new FakeBackend({ status: { libraryDirFromEnv: true } });
    renderSettings(backend);

    expect(screen.getByRole("button", { name: "Choose…" })).toBeDisabled();
    expect(screen.getByText(/OFFSTREAM_LIBRARY_DIR/)).toBeInTheDocument();
  });

  it("api base fixed by env", () => {
    const backend = new FakeBackend({ status: { apiBaseFromEnv: true } });
    renderSettings(backend);

    expect(screen.getByLabelText("API base URL")).toHaveAttribute("readonly");
    expect(screen.queryByRole("button", { name: "Save URL" })).not.toBeInTheDocument();
  });

  it("api base saves trimmed url", async () => {
    const backend = new FakeBackend();
    const user = userEvent.setup();
    renderSettings(backend);

    await user.click(screen.getByText("Advanced: API base URL"));
    const input = screen.getByLabelText("API base URL");
    await user.clear(input);
    await user.type(input, " http://127.0.0.1:8787/client/v4 ");
    await user.click(screen.getByRole("button", { name: "Save URL" }));

    expect(backend.callsOf("setApiBase")).toEqual([["http://127.0.0.1:8787/client/v4"]]);
  });

  it("api base rejects bad url", async () => {
    const backend = new FakeBackend();
    const user = userEvent.setup();
    renderSettings(backend);

    await user.click(screen.getByText("Advanced: API base URL"));
    const input = screen.getByLabelText("API base URL");
    await user.clear(input);
    await user.type(input, "ftp://example");
    await user.click(screen.getByRole("button", { name: "Save URL" }));

    expect(screen.getByTestId("error")).toHaveTextContent("must start with https:// or http://");
    expect(backend.callsOf("setApiBase")).toHaveLength(0);
  });
});

describe("simultaneous transfers", () => {
  async function applyTransfers(text: string) {
    const user = userEvent.setup();
    const input = screen.getByLabelText("Simultaneous transfers");
    await user.clear(input);
    if (text !== "") {
      await user.type(input, text);
    }
    await user.click(screen.getByRole("button", { name: "Apply" }));
  }

  it("shows current value", () => {
    renderSettings(new FakeBackend({ status: { maxTransfers: 3 } }));

    expect(screen.getByLabelText("Simultaneous transfers")).toHaveValue(3);
  });

  it("apply sends count", async () => {
    const backend = new FakeBackend();
    const { onStatusChange } = renderSettings(backend);

    await applyTransfers("4");

    expect(backend.callsOf("setMaxTransfers")).toEqual([[4]]);
    expect(onStatusChange).toHaveBeenCalledWith(expect.objectContaining({ maxTransfers: 4 }));
  });

  it.each(["1", "8"])("accepts bound %s", async (text) => {
    const backend = new FakeBackend();
    renderSettings(backend);

    await applyTransfers(text);

    expect(backend.callsOf("setMaxTransfers")).toEqual([[Number(text)]]);
  });

  it.each(["0", "9", "2.5", ""])("rejects %j", async (text) => {
    const backend = new FakeBackend();
    renderSettings(backend);

    await applyTransfers(text);

    expect(screen.getByTestId("error")).toHaveTextContent("Enter a whole number from 1 to 8");
    expect(backend.callsOf("setMaxTransfers")).toHaveLength(0);
  });

  it("backend error is shown", async () => {
    const backend = new FakeBackend();
    backend.failNext("setMaxTransfers", { code: "config", message: "The queue is not running." });
    const { onStatusChange } = renderSettings(backend);

    await applyTransfers("3");

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("Could not change the number of transfers");
    expect(error).toHaveTextContent("The queue is not running.");
    expect(onStatusChange).not.toHaveBeenCalled();
  });
});

describe("parseTransfers", () => {
  it.each<[string, number | string]>([
    ["1", 1],
    [" 8 ", 8],
    ["0", "from 1 to 8"],
    ["abc", '"abc" is not a valid number'],
  ])("parses %j", (text, expected) => {
    const result = parseTransfers(text);
    if (typeof expected === "number") {
      expect(result).toBe(expected);
    } else {
      expect(result).toContain(expected);
    }
  });
});

describe("settings storage", () => {
  it("shows storage overview", async () => {
    renderSettings(new FakeBackend({ storage: { libraryBytes: 7_000_000_000, itemCount: 12 } }));

    const overview = await screen.findByTestId("storage-overview");

    expect(within(overview).getByRole("heading", { name: "Storage" })).toBeInTheDocument();
    expect(await within(overview).findByTestId("storage-library")).toHaveTextContent(
      "7.0 GB in 12 files",
    );
  });
});

describe("validateApiBase", () => {
  it.each([
    ["https://api.cloudflare.com/client/v4", null],
    ["http://127.0.0.1:8787", null],
    ["api.cloudflare.com", "is not a URL"],
    ["file:///etc/passwd", "must start with https:// or http://"],
  ])("checks %s", (value, expected) => {
    const result = validateApiBase(value);
    if (expected === null) {
      expect(result).toBeNull();
    } else {
      expect(result).toContain(expected);
    }
  });
});
