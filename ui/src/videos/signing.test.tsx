import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { FakeBackend, type FakeOptions } from "../backend/fake";
import type { AppStatus } from "../backend/types";
import { JobStore } from "../jobs/store";
import { createKeyText } from "../signing/describe";
import { makeJob, makeVideo, renderWith, SAMPLE_PEM } from "../test/fixtures";
import { VideosView } from "./VideosView";

const PUBLIC = makeVideo({ uid: "uid-public", name: "Launch keynote" });
const PRIVATE = makeVideo({ uid: "uid-private", name: "Board meeting", requireSignedUrls: true });
const PRIVATE_2 = makeVideo({ uid: "uid-private-2", name: "All hands", requireSignedUrls: true });

/** Holds the status the way App does, so a choice made in the dialog reaches the view. */
function StatefulVideos(props: {
  initial: AppStatus;
  store: JobStore;
  onOpenSettings: () => void;
}) {
  const [status, setStatus] = useState(props.initial);
  return (
    <VideosView
      status={status}
      jobs={props.store}
      onOpenSettings={props.onOpenSettings}
      onStatusChange={setStatus}
    />
  );
}

async function renderVideos(options: FakeOptions = {}) {
  const backend = new FakeBackend({
    videos: [PUBLIC, PRIVATE, PRIVATE_2],
    ...options,
    status: { credentialSource: "keychain", accountId: "acc", ...options.status },
  });
  const store = new JobStore();
  const onOpenSettings = vi.fn();
  renderWith(
    backend,
    <StatefulVideos initial={backend.status} store={store} onOpenSettings={onOpenSettings} />,
  );
  await screen.findByText("Board meeting");
  return { backend, store, onOpenSettings, user: userEvent.setup() };
}

function rowButton(uid: string, testId: string): HTMLElement {
  const row = document.querySelector<HTMLElement>(`[data-testid=video-row][data-uid="${uid}"]`);
  if (row === null) {
    throw new Error(`no video row for ${uid}`);
  }
  return within(row).getByTestId(testId);
}

function dialog(): HTMLElement {
  return screen.getByTestId("signing-dialog");
}

/** Watches jobs the way App does, so pushed snapshots reach the store. */
async function watch(backend: FakeBackend, store: JobStore) {
  store.seed(await backend.watchJobs((job) => store.apply(job)));
}

describe("signing dialog opening", () => {
  it("private download opens dialog", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));

    expect(screen.getByRole("dialog", { name: "This video is private" })).toBeInTheDocument();
    expect(backend.callsOf("startDownload")).toHaveLength(0);
  });

  it("dialog names the video", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));

    expect(dialog()).toHaveAccessibleDescription(expect.stringContaining("“Board meeting”"));
  });

  it("dialog is modal", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));

    expect(dialog()).toHaveAttribute("aria-modal", "true");
  });

  it("private audio opens dialog", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline-audio"));

    expect(dialog()).toBeInTheDocument();
    expect(backend.callsOf("startDownload")).toHaveLength(0);
  });

  it("public video skips dialog", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-public", "make-offline"));

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("startDownload")).toEqual([["uid-public", "default"]]);
  });

  it.each<[string, FakeOptions["signing"]]>([
    ["key", { mode: "key", keyId: "k1", keySource: "keychain" }],
    ["tokenApi", { mode: "tokenApi", tokenApiAllowed: true }],
  ])("mode %s skips dialog", async (_mode, signing) => {
    const { backend, user } = await renderVideos({ signing });

    await user.click(rowButton("uid-private", "make-offline"));

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("startDownload")).toEqual([["uid-private", "default"]]);
  });

  it("later private download skips dialog", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-token-api"));
    await waitFor(() => {
      expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    });
    await user.click(rowButton("uid-private-2", "make-offline"));

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("startDownload")).toEqual([
      ["uid-private", "default"],
      ["uid-private-2", "default"],
    ]);
  });
});

describe("signing dialog keyboard", () => {
  it("focus moves to first choice", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));

    expect(screen.getByTestId("signing-choice-create")).toHaveFocus();
  });

  it("escape cancels", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("startDownload")).toHaveLength(0);
  });

  it("escape in a later step cancels", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));
    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("createSigningKey")).toHaveLength(0);
  });

  it("cancel returns focus to row", async () => {
    const { user } = await renderVideos();
    const button = rowButton("uid-private", "make-offline");

    await user.click(button);
    await user.click(screen.getByTestId("signing-dialog-cancel"));

    expect(button).toHaveFocus();
  });

  it("shift tab wraps to cancel", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.tab({ shift: true });

    expect(screen.getByTestId("signing-dialog-cancel")).toHaveFocus();
  });

  it("cancel starts nothing", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-dialog-cancel"));

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.callsOf("startDownload")).toHaveLength(0);
    expect(backend.callsOf("setTokenApiFallback")).toHaveLength(0);
  });
});

describe("signing dialog create", () => {
  it("create asks to confirm", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));

    expect(screen.getByRole("dialog", { name: "Create a signing key?" })).toHaveTextContent(
      createKeyText(false),
    );
    expect(backend.callsOf("createSigningKey")).toHaveLength(0);
  });

  it("demo create names memory", async () => {
    const { user } = await renderVideos({
      status: { demo: true, credentialSource: "demo", accountId: "demo" },
    });

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));

    expect(dialog()).toHaveTextContent("keeps it in memory for this run");
  });

  it("confirm step focuses back", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));

    expect(within(dialog()).getByRole("button", { name: "Back" })).toHaveFocus();
  });

  it("back returns to choices", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));
    await user.click(within(dialog()).getByRole("button", { name: "Back" }));

    expect(screen.getByTestId("signing-choice-create")).toHaveFocus();
  });

  it("confirm creates key and downloads", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));
    await user.click(screen.getByTestId("confirm-create-key"));

    expect(backend.callsOf("createSigningKey")).toEqual([[false]]);
    await waitFor(() => {
      expect(backend.callsOf("startDownload")).toEqual([["uid-private", "default"]]);
    });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(await screen.findByTestId("job")).toHaveAttribute("data-uid", "uid-private");
  });

  it("create failure keeps dialog", async () => {
    const { backend, user } = await renderVideos({ keychainAvailable: false });

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));
    await user.click(screen.getByTestId("confirm-create-key"));

    expect(await within(dialog()).findByTestId("error")).toHaveAttribute(
      "data-code",
      "keychain_unavailable",
    );
    expect(backend.callsOf("startDownload")).toHaveLength(0);
  });

  it("keychain failure offers session create", async () => {
    const { backend, user } = await renderVideos({ keychainAvailable: false });

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));
    await user.click(screen.getByTestId("confirm-create-key"));
    await user.click(await screen.findByTestId("confirm-create-key-session"));

    expect(backend.callsOf("createSigningKey")).toEqual([[false], [true]]);
    await waitFor(() => {
      expect(backend.callsOf("startDownload")).toEqual([["uid-private", "default"]]);
    });
  });

  it("other create failure offers no session", async () => {
    const { backend, user } = await renderVideos();
    backend.failNext("createSigningKey", { code: "permission", message: "No Stream Write." });

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-create"));
    await user.click(screen.getByTestId("confirm-create-key"));

    await within(dialog()).findByTestId("error");
    expect(screen.queryByTestId("confirm-create-key-session")).not.toBeInTheDocument();
  });
});

describe("signing dialog paste", () => {
  it("paste shows form with focus", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-paste"));

    expect(screen.getByTestId("signing-key-id")).toHaveFocus();
  });

  it("paste stores key and downloads", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline-audio"));
    await user.click(screen.getByTestId("signing-choice-paste"));
    await user.type(screen.getByTestId("signing-key-id"), "k1");
    await user.click(screen.getByTestId("signing-key-material"));
    await user.paste(SAMPLE_PEM);
    await user.click(screen.getByTestId("save-signing-key"));

    expect(backend.callsOf("addSigningKey")).toHaveLength(1);
    await waitFor(() => {
      expect(backend.callsOf("startDownload")).toEqual([["uid-private", "audio"]]);
    });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("paste failure starts nothing", async () => {
    const { backend, user } = await renderVideos();
    const material = "secret-text-that-is-no-key";

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-paste"));
    await user.type(screen.getByTestId("signing-key-id"), "k1");
    await user.click(screen.getByTestId("signing-key-material"));
    await user.paste(material);
    await user.click(screen.getByTestId("save-signing-key"));

    const error = await within(dialog()).findByTestId("error");
    expect(error).toHaveAttribute("data-code", "invalid_key");
    expect(error).not.toHaveTextContent(material);
    expect(backend.callsOf("startDownload")).toHaveLength(0);
  });
});

describe("signing dialog token endpoint", () => {
  it("token choice shows volume note", async () => {
    const { user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));

    expect(screen.getByTestId("signing-choice-token-api")).toHaveAccessibleDescription(
      expect.stringContaining("under about 1,000 tokens a day"),
    );
  });

  it("token choice allows and downloads", async () => {
    const { backend, user } = await renderVideos();

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-token-api"));

    expect(backend.callsOf("setTokenApiFallback")).toEqual([[true]]);
    await waitFor(() => {
      expect(backend.callsOf("startDownload")).toEqual([["uid-private", "default"]]);
    });
  });

  it("token failure keeps dialog", async () => {
    const { backend, user } = await renderVideos();
    backend.failNext("setTokenApiFallback", { code: "io", message: "config.json is read-only" });

    await user.click(rowButton("uid-private", "make-offline"));
    await user.click(screen.getByTestId("signing-choice-token-api"));

    expect(await within(dialog()).findByTestId("error")).toHaveTextContent(
      "config.json is read-only",
    );
    expect(backend.callsOf("startDownload")).toHaveLength(0);
  });
});

describe("signing job errors", () => {
  it("key needed job opens dialog", async () => {
    const { backend, store, user } = await renderVideos();
    await watch(backend, store);

    act(() =>
      backend.pushJob(
        makeJob({
          id: 7,
          uid: "uid-private",
          downloadType: "audio",
          phase: "failed",
          error: { code: "signing_key_needed", message: "This video requires a signed token." },
        }),
      ),
    );
    await user.click(await screen.findByTestId("set-up-signing"));
    await user.click(screen.getByTestId("signing-choice-token-api"));

    await waitFor(() => {
      expect(backend.callsOf("startDownload")).toEqual([["uid-private", "audio"]]);
    });
  });

  it("key needed button gone once set up", async () => {
    const { backend, store } = await renderVideos({
      signing: { mode: "key", keyId: "k1", keySource: "keychain" },
    });
    await watch(backend, store);

    act(() =>
      backend.pushJob(
        makeJob({
          phase: "failed",
          error: { code: "signing_key_needed", message: "This video requires a signed token." },
        }),
      ),
    );

    await screen.findByTestId("job");
    expect(screen.queryByTestId("set-up-signing")).not.toBeInTheDocument();
  });

  it.each([
    ["signing_key_invalid", "The stored signing key is not a valid RSA key."],
    ["signing_key_revoked", "Cloudflare rejected the token: the signing key was revoked."],
    ["token_rejected", "Cloudflare rejected the signed token (403)."],
    ["clock_skew", "This computer's clock is 2 hours ahead; the token was not yet valid."],
  ])("%s shows message and settings link", async (code, message) => {
    const { backend, store, onOpenSettings, user } = await renderVideos();
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ phase: "failed", error: { code, message } })));
    const job = await screen.findByTestId("job");
    await user.click(within(job).getByTestId("open-signing-settings"));

    expect(within(job).getByTestId("error")).toHaveTextContent(message);
    expect(onOpenSettings).toHaveBeenCalledTimes(1);
  });

  it("other failure has no signing link", async () => {
    const { backend, store } = await renderVideos();
    await watch(backend, store);

    act(() =>
      backend.pushJob(
        makeJob({ phase: "failed", error: { code: "network", message: "Connection reset." } }),
      ),
    );

    const job = await screen.findByTestId("job");
    expect(within(job).queryByTestId("open-signing-settings")).not.toBeInTheDocument();
    expect(within(job).queryByTestId("set-up-signing")).not.toBeInTheDocument();
  });

  it("jobs show no token note", async () => {
    const { backend, store } = await renderVideos({
      signing: { mode: "tokenApi", tokenApiAllowed: true },
    });
    await watch(backend, store);

    act(() => backend.pushJob(makeJob({ uid: "uid-private", phase: "transferring" })));

    expect(await screen.findByTestId("job")).not.toHaveTextContent("1,000 tokens");
  });
});
