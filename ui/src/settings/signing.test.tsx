import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { FAKE_CREATED_KEY_ID, FakeBackend, type FakeOptions } from "../backend/fake";
import type { AppStatus } from "../backend/types";
import { createKeyText } from "../signing/describe";
import { SigningKeyForm } from "../signing/SigningKeyForm";
import { renderWith, SAMPLE_PEM, SAMPLE_PEM_BASE64 } from "../test/fixtures";
import { SettingsView } from "./SettingsView";
import { SigningSection } from "./SigningSection";

/** Holds the status the way App does, so the section shows what each action returned. */
function StatefulSection({ initial }: { initial: AppStatus }) {
  const [status, setStatus] = useState(initial);
  return <SigningSection status={status} onStatusChange={setStatus} />;
}

function renderSection(options: FakeOptions = {}) {
  const backend = new FakeBackend({
    ...options,
    status: { credentialSource: "keychain", accountId: "acc", ...options.status },
  });
  renderWith(backend, <StatefulSection initial={backend.status} />);
  return { backend, user: userEvent.setup() };
}

function modeText(): string {
  return screen.getByTestId("signing-mode").textContent ?? "";
}

async function pasteKey(user: ReturnType<typeof userEvent.setup>, keyId: string, material: string) {
  if (keyId !== "") {
    await user.type(screen.getByTestId("signing-key-id"), keyId);
  }
  await user.click(screen.getByTestId("signing-key-material"));
  await user.paste(material);
  await user.click(screen.getByTestId("save-signing-key"));
}

describe("SigningSection modes", () => {
  it("none says not set up", () => {
    renderSection();

    expect(modeText()).toContain("Not set up.");
  });

  it("keychain key names its id", () => {
    renderSection({ signing: { mode: "key", keyId: "k123", keySource: "keychain" } });

    expect(modeText()).toContain("with key k123 from the system keychain");
  });

  it("session key says this run", () => {
    renderSection({ signing: { mode: "key", keyId: "k123", keySource: "session" } });

    expect(modeText()).toContain("kept in memory for this run only");
  });

  it("token endpoint shows volume note", () => {
    renderSection({ signing: { mode: "tokenApi", tokenApiAllowed: true } });

    expect(modeText()).toContain("under about 1,000 tokens a day");
  });

  it("mode is exposed as attribute", () => {
    renderSection({ signing: { mode: "tokenApi", tokenApiAllowed: true } });

    expect(screen.getByTestId("signing-mode")).toHaveAttribute("data-mode", "tokenApi");
  });

  it("section hidden on first run", () => {
    const backend = new FakeBackend();
    renderWith(
      backend,
      <SettingsView status={backend.status} onStatusChange={() => {}} onSaved={() => {}} />,
    );

    expect(screen.queryByTestId("signing-mode")).not.toBeInTheDocument();
  });

  it("section shown with credentials", () => {
    const backend = new FakeBackend({ status: { credentialSource: "keychain", accountId: "a" } });
    renderWith(
      backend,
      <SettingsView status={backend.status} onStatusChange={() => {}} onSaved={() => {}} />,
    );

    expect(screen.getByRole("heading", { name: "Private videos" })).toBeInTheDocument();
  });
});

describe("SigningSection clock skew", () => {
  it.each<[number, string]>([
    [121, "2 min behind"],
    [-300, "5 min ahead of"],
  ])("warns at %s seconds", (clockSkewSeconds, expected) => {
    renderSection({ signing: { clockSkewSeconds } });

    expect(screen.getByTestId("clock-skew-warning")).toHaveTextContent(expected);
  });

  it.each<[number | null]>([[120], [-120], [null]])("no warning at %s", (clockSkewSeconds) => {
    renderSection({ signing: { clockSkewSeconds } });

    expect(screen.queryByTestId("clock-skew-warning")).not.toBeInTheDocument();
  });
});

describe("SigningSection paste", () => {
  it("stores pasted key", async () => {
    const { backend, user } = renderSection();

    await pasteKey(user, "k1", SAMPLE_PEM_BASE64);

    expect(backend.callsOf("addSigningKey")).toEqual([
      [{ keyId: "k1", materialLength: SAMPLE_PEM_BASE64.length, sessionOnly: false }],
    ]);
    await waitFor(() => {
      expect(modeText()).toContain("with key k1 from the system keychain");
    });
  });

  it("trims pasted material", async () => {
    const { backend, user } = renderSection();

    await pasteKey(user, " k1 ", `\n${SAMPLE_PEM}\n\n`);

    expect(backend.callsOf("addSigningKey")).toEqual([
      [{ keyId: "k1", materialLength: SAMPLE_PEM.length, sessionOnly: false }],
    ]);
  });

  it("stored key hides the form", async () => {
    const { user } = renderSection();

    await pasteKey(user, "k1", SAMPLE_PEM);

    await waitFor(() => {
      expect(screen.queryByTestId("signing-key-material")).not.toBeInTheDocument();
    });
  });

  it("pasted key never rendered back", async () => {
    const { user } = renderSection();

    await pasteKey(user, "k1", SAMPLE_PEM);

    await waitFor(() => {
      expect(modeText()).toContain("k1");
    });
    expect(document.body.innerHTML).not.toContain("PRIVATE KEY");
  });

  it("empty material shows invalid key", async () => {
    const { user } = renderSection();

    await user.type(screen.getByTestId("signing-key-id"), "k1");
    await user.click(screen.getByTestId("save-signing-key"));

    expect(await screen.findByTestId("error")).toHaveAttribute("data-code", "invalid_key");
    expect(modeText()).toContain("Not set up.");
  });

  it("invalid key error omits material", async () => {
    const { user } = renderSection();
    const material = "my-secret-but-not-a-key";

    await pasteKey(user, "k1", material);

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("neither a PEM private key nor a JWK");
    expect(error).not.toHaveTextContent(material);
  });

  it("keychain failure offers session", async () => {
    const { backend, user } = renderSection({ keychainAvailable: false });

    await pasteKey(user, "k1", SAMPLE_PEM);
    expect(await screen.findByTestId("error")).toHaveAttribute("data-code", "keychain_unavailable");
    await user.click(screen.getByTestId("save-signing-key-session"));

    expect(backend.callsOf("addSigningKey").map(([input]) => input)).toEqual([
      expect.objectContaining({ sessionOnly: false }),
      expect.objectContaining({ sessionOnly: true }),
    ]);
    await waitFor(() => {
      expect(modeText()).toContain("kept in memory for this run only");
    });
  });

  it("invalid key offers no session", async () => {
    const { user } = renderSection({ keychainAvailable: false });

    await pasteKey(user, "k1", "not a key");

    await screen.findByTestId("error");
    expect(screen.queryByTestId("save-signing-key-session")).not.toBeInTheDocument();
  });

  it("material field has no autocomplete", () => {
    renderSection();

    const field = screen.getByTestId("signing-key-material");
    expect(field).toHaveAttribute("autocomplete", "off");
    expect(field).toHaveAttribute("spellcheck", "false");
  });

  it("material field is labelled", () => {
    renderSection();

    expect(screen.getByLabelText("Private key (PEM or JWK)")).toBe(
      screen.getByTestId("signing-key-material"),
    );
  });
});

describe("SigningKeyForm", () => {
  it("clears material after success", async () => {
    const onSaved = vi.fn();
    const user = userEvent.setup();
    renderWith(new FakeBackend(), <SigningKeyForm submitLabel="Save key" onSaved={onSaved} />);

    await pasteKey(user, "k1", SAMPLE_PEM);

    await waitFor(() => {
      expect(onSaved).toHaveBeenCalledTimes(1);
    });
    expect(screen.getByTestId("signing-key-material")).toHaveValue("");
    expect(screen.getByTestId("signing-key-id")).toHaveValue("");
  });

  it("keeps material after failure", async () => {
    const user = userEvent.setup();
    renderWith(new FakeBackend(), <SigningKeyForm submitLabel="Save key" onSaved={() => {}} />);

    await pasteKey(user, "", SAMPLE_PEM);

    expect(await screen.findByTestId("error")).toHaveTextContent("key id is missing");
    expect(screen.getByTestId("signing-key-material")).toHaveValue(SAMPLE_PEM);
  });

  it("redacts material echoed by backend", async () => {
    const backend = new FakeBackend();
    backend.failNext("addSigningKey", {
      code: "invalid_key",
      message: `Could not parse ${SAMPLE_PEM}.`,
    });
    const user = userEvent.setup();
    renderWith(backend, <SigningKeyForm submitLabel="Save key" onSaved={() => {}} />);

    await pasteKey(user, "k1", SAMPLE_PEM);

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("Could not parse [signing key].");
    expect(error).not.toHaveTextContent("PRIVATE KEY");
  });
});

describe("SigningSection create", () => {
  it("create asks first", async () => {
    const { backend, user } = renderSection();

    await user.click(screen.getByTestId("create-signing-key"));

    const dialog = screen.getByRole("dialog", { name: "Create a signing key?" });
    expect(dialog).toHaveTextContent(createKeyText(false));
    expect(backend.callsOf("createSigningKey")).toHaveLength(0);
  });

  it("confirm creates key", async () => {
    const { backend, user } = renderSection();

    await user.click(screen.getByTestId("create-signing-key"));
    await user.click(screen.getByTestId("confirm-create-key"));

    expect(backend.callsOf("createSigningKey")).toEqual([[false]]);
    await waitFor(() => {
      expect(modeText()).toContain(`with key ${FAKE_CREATED_KEY_ID}`);
    });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("cancel creates nothing", async () => {
    const { backend, user } = renderSection();

    await user.click(screen.getByTestId("create-signing-key"));
    await user.click(screen.getByRole("button", { name: "Cancel" }));

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("createSigningKey")).toHaveLength(0);
  });

  it("escape creates nothing", async () => {
    const { backend, user } = renderSection();

    await user.click(screen.getByTestId("create-signing-key"));
    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("createSigningKey")).toHaveLength(0);
  });

  it("create failure shows error", async () => {
    const { backend, user } = renderSection();
    backend.failNext("createSigningKey", {
      code: "permission",
      message: "The token lacks Stream Write, which creating a signing key needs.",
    });

    await user.click(screen.getByTestId("create-signing-key"));
    await user.click(screen.getByTestId("confirm-create-key"));

    const error = await screen.findByTestId("error");
    expect(error).toHaveTextContent("Could not create a signing key");
    expect(error).toHaveTextContent("lacks Stream Write");
  });

  it("keychain failure offers session create", async () => {
    const { backend, user } = renderSection({ keychainAvailable: false });

    await user.click(screen.getByTestId("create-signing-key"));
    await user.click(screen.getByTestId("confirm-create-key"));
    await user.click(await screen.findByTestId("create-signing-key-session"));

    expect(backend.callsOf("createSigningKey")).toEqual([[false], [true]]);
    await waitFor(() => {
      expect(modeText()).toContain("kept in memory for this run only");
    });
  });

  it("session create warns key stays valid", async () => {
    const { user } = renderSection({ keychainAvailable: false });

    await user.click(screen.getByTestId("create-signing-key"));
    await user.click(screen.getByTestId("confirm-create-key"));

    expect(
      await screen.findByRole("group", { name: "Create a key for this run only" }),
    ).toHaveTextContent("stays valid on the Cloudflare account after Offstream quits");
  });

  it("other create failure offers no session", async () => {
    const { backend, user } = renderSection();
    backend.failNext("createSigningKey", { code: "permission", message: "No Stream Write." });

    await user.click(screen.getByTestId("create-signing-key"));
    await user.click(screen.getByTestId("confirm-create-key"));

    await screen.findByTestId("error");
    expect(screen.queryByTestId("create-signing-key-session")).not.toBeInTheDocument();
  });

  it("create hidden while key stored", () => {
    renderSection({ signing: { mode: "key", keyId: "k1", keySource: "keychain" } });

    expect(screen.queryByTestId("create-signing-key")).not.toBeInTheDocument();
  });
});

describe("SigningSection remove", () => {
  const stored: FakeOptions = { signing: { mode: "key", keyId: "k1", keySource: "keychain" } };

  it("remove hidden without key", () => {
    renderSection();

    expect(screen.queryByTestId("remove-signing-key")).not.toBeInTheDocument();
  });

  it("remove asks first", async () => {
    const { backend, user } = renderSection(stored);

    await user.click(screen.getByTestId("remove-signing-key"));

    expect(screen.getByRole("dialog", { name: "Remove the signing key?" })).toBeInTheDocument();
    expect(backend.callsOf("removeSigningKey")).toHaveLength(0);
  });

  it("revoke unchecked by default", async () => {
    const { user } = renderSection(stored);

    await user.click(screen.getByTestId("remove-signing-key"));

    expect(screen.getByTestId("revoke-signing-key")).not.toBeChecked();
  });

  it("remove keeps key on Cloudflare", async () => {
    const { backend, user } = renderSection(stored);

    await user.click(screen.getByTestId("remove-signing-key"));
    await user.click(screen.getByTestId("confirm-remove-key"));

    expect(backend.callsOf("removeSigningKey")).toEqual([[false]]);
    await waitFor(() => {
      expect(modeText()).toContain("Not set up.");
    });
  });

  it("remove with revoke", async () => {
    const { backend, user } = renderSection(stored);

    await user.click(screen.getByTestId("remove-signing-key"));
    await user.click(screen.getByTestId("revoke-signing-key"));
    await user.click(screen.getByTestId("confirm-remove-key"));

    expect(backend.callsOf("removeSigningKey")).toEqual([[true]]);
  });

  it("revoke explains lost tokens", async () => {
    const { user } = renderSection(stored);

    await user.click(screen.getByTestId("remove-signing-key"));
    await user.click(screen.getByTestId("revoke-signing-key"));

    const dialog = screen.getByRole("dialog");
    expect(dialog).toHaveTextContent("Every token signed with this key stops working");
    expect(within(dialog).getByTestId("confirm-remove-key")).toHaveTextContent("Remove and revoke");
  });

  it("remove cancel keeps key", async () => {
    const { backend, user } = renderSection(stored);

    await user.click(screen.getByTestId("remove-signing-key"));
    await user.keyboard("{Escape}");

    expect(backend.callsOf("removeSigningKey")).toHaveLength(0);
    expect(modeText()).toContain("with key k1");
  });

  it("remove failure shows error", async () => {
    const { backend, user } = renderSection(stored);
    backend.failNext("removeSigningKey", {
      code: "network",
      message: "Could not reach the Cloudflare API; the key was not revoked.",
    });

    await user.click(screen.getByTestId("remove-signing-key"));
    await user.click(screen.getByTestId("confirm-remove-key"));

    expect(await screen.findByTestId("error")).toHaveTextContent("the key was not revoked");
  });
});

describe("SigningSection token endpoint", () => {
  it("toggle allows endpoint", async () => {
    const { backend, user } = renderSection();

    await user.click(screen.getByTestId("token-api-fallback"));

    expect(backend.callsOf("setTokenApiFallback")).toEqual([[true]]);
    await waitFor(() => {
      expect(screen.getByTestId("token-api-fallback")).toBeChecked();
    });
    expect(modeText()).toContain("token endpoint");
  });

  it("toggle forbids endpoint", async () => {
    const { backend, user } = renderSection({
      signing: { mode: "tokenApi", tokenApiAllowed: true },
    });

    await user.click(screen.getByTestId("token-api-fallback"));

    expect(backend.callsOf("setTokenApiFallback")).toEqual([[false]]);
    await waitFor(() => {
      expect(modeText()).toContain("Not set up.");
    });
  });

  it("toggle shows volume note", () => {
    renderSection();

    expect(screen.getByTestId("token-api-fallback")).toHaveAccessibleDescription(
      expect.stringContaining("under about 1,000 tokens a day"),
    );
  });

  it("toggle failure shows error", async () => {
    const { backend, user } = renderSection();
    backend.failNext("setTokenApiFallback", { code: "io", message: "config.json is read-only" });

    await user.click(screen.getByTestId("token-api-fallback"));

    expect(await screen.findByTestId("error")).toHaveTextContent("config.json is read-only");
    expect(screen.getByTestId("token-api-fallback")).not.toBeChecked();
  });
});
