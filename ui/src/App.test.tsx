import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { App } from "./App";
import { FakeBackend } from "./backend/fake";
import { makeEntry, makeJob, makeVideo, makeVideos, renderWith } from "./test/fixtures";

describe("App", () => {
  it("first run shows settings", async () => {
    renderWith(new FakeBackend(), <App />);

    expect(
      await screen.findByRole("heading", { name: "Connect your Cloudflare account" }),
    ).toBeInTheDocument();
    expect(document.querySelector("#account-id")).toBeInTheDocument();
  });

  it("saving credentials moves to videos", async () => {
    const backend = new FakeBackend({ videos: [makeVideo()] });
    const user = userEvent.setup();
    renderWith(backend, <App />);

    await user.type(await screen.findByLabelText("Account id"), "0123456789abcdef0123456789abcdef");
    await user.type(screen.getByLabelText("API token"), "secret-token");
    await user.click(screen.getByRole("button", { name: "Save credentials" }));

    expect(await screen.findByRole("heading", { name: "Videos" })).toBeInTheDocument();
    expect(await screen.findByText("Launch keynote")).toBeInTheDocument();
    expect(backend.callsOf("saveCredentials")).toEqual([
      [
        {
          accountId: "0123456789abcdef0123456789abcdef",
          apiToken: "secret-token",
          sessionOnly: false,
        },
      ],
    ]);
    expect(screen.getByTestId("account")).toHaveTextContent("0123456789abcdef0123456789abcdef");
  });

  it("configured account opens videos", async () => {
    const backend = new FakeBackend({
      status: { credentialSource: "keychain", accountId: "acc" },
      videos: [makeVideo()],
    });
    renderWith(backend, <App />);

    expect(await screen.findByRole("heading", { name: "Videos" })).toBeInTheDocument();
  });

  it("demo badge shown for demo", async () => {
    const backend = new FakeBackend({
      status: { demo: true, credentialSource: "demo", accountId: "demo" },
    });
    renderWith(backend, <App />);

    expect(await screen.findByTestId("demo-badge")).toHaveTextContent("Demo account");
  });

  it("demo badge absent otherwise", async () => {
    const backend = new FakeBackend({ status: { credentialSource: "keychain", accountId: "a" } });
    renderWith(backend, <App />);

    await screen.findByRole("heading", { name: "Videos" });
    expect(screen.queryByTestId("demo-badge")).not.toBeInTheDocument();
  });

  it("navigation switches screens", async () => {
    const backend = new FakeBackend({ status: { credentialSource: "keychain", accountId: "a" } });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    await screen.findByRole("heading", { name: "Videos" });

    await user.click(screen.getByRole("button", { name: "Library" }));
    expect(await screen.findByRole("heading", { name: "Library" })).toHaveFocus();
    expect(document.querySelector("#nav-library")).toHaveAttribute("aria-current", "page");

    await user.click(screen.getByRole("button", { name: "Settings" }));
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeInTheDocument();
  });

  it("dialog choice reaches settings", async () => {
    const backend = new FakeBackend({
      status: { credentialSource: "keychain", accountId: "a" },
      videos: [makeVideo({ requireSignedUrls: true })],
    });
    const user = userEvent.setup();
    renderWith(backend, <App />);

    await user.click(await screen.findByTestId("make-offline"));
    await user.click(screen.getByTestId("signing-choice-token-api"));
    await waitFor(() => {
      expect(backend.callsOf("startDownload")).toHaveLength(1);
    });
    await user.click(screen.getByRole("button", { name: "Settings" }));

    expect(await screen.findByTestId("signing-mode")).toHaveAttribute("data-mode", "tokenApi");
  });

  it("status error offers retry", async () => {
    const backend = new FakeBackend({ status: { credentialSource: "keychain", accountId: "a" } });
    backend.failNext("appStatus", { code: "io", message: "config.json is not valid JSON" });
    const user = userEvent.setup();
    renderWith(backend, <App />);

    expect(await screen.findByTestId("error")).toHaveTextContent("config.json is not valid JSON");
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("heading", { name: "Videos" })).toBeInTheDocument();
  });

  it("seeds jobs from watch", async () => {
    const backend = new FakeBackend({
      status: { credentialSource: "keychain", accountId: "a" },
      jobs: [makeJob({ id: 5, phase: "verifying" })],
    });
    renderWith(backend, <App />);

    const job = await screen.findByTestId("job");
    expect(job).toHaveAttribute("data-phase", "verifying");
  });

  it("library delete relabels done job", async () => {
    const backend = new FakeBackend({
      status: { credentialSource: "keychain", accountId: "a" },
      jobs: [makeJob({ id: 5, phase: "done", itemId: 1 })],
      library: [makeEntry({ id: 1 })],
    });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    expect(await screen.findByTestId("job-status")).toHaveTextContent("Done: in the library");

    await user.click(screen.getByRole("button", { name: "Library" }));
    await user.click(await screen.findByTestId("delete"));
    await user.click(screen.getByTestId("confirm-delete"));
    await waitFor(() => {
      expect(screen.queryByTestId("library-row")).not.toBeInTheDocument();
    });
    await user.click(screen.getByRole("button", { name: "Videos" }));

    expect(await screen.findByTestId("job-status")).toHaveTextContent("Removed from library");
  });

  it("watch failure shows error", async () => {
    const backend = new FakeBackend({ status: { credentialSource: "keychain", accountId: "a" } });
    backend.failNext("watchJobs", { code: "internal", message: "job queue stopped" });
    renderWith(backend, <App />);

    await waitFor(() => {
      expect(screen.getByTestId("error")).toHaveTextContent("job queue stopped");
    });
  });

  it("started backup opens backups", async () => {
    const backend = new FakeBackend({
      status: { credentialSource: "keychain", accountId: "a" },
      videos: makeVideos(3),
    });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    await screen.findByText("Video 00001");

    await user.click(screen.getByTestId("back-up"));
    await user.click(await screen.findByTestId("start-backup"));

    expect(await screen.findByRole("heading", { name: "Backups" })).toHaveFocus();
    expect(await screen.findByTestId("backup-details")).toHaveAttribute("data-id", "1");
    expect(document.querySelector("#nav-backups")).toHaveAttribute("aria-current", "page");
  });

  it("sync memory outlives screen", async () => {
    const backend = new FakeBackend({
      status: { credentialSource: "keychain", accountId: "a" },
      videos: [makeVideo()],
    });
    const user = userEvent.setup();
    renderWith(backend, <App />);
    await waitFor(() => {
      expect(backend.callsOf("syncVideos")).toEqual([["full"]]);
    });
    await user.click(screen.getByRole("button", { name: "Library" }));

    await user.click(screen.getByRole("button", { name: "Videos" }));

    await waitFor(() => {
      expect(backend.callsOf("syncVideos")).toEqual([["full"], ["quick"]]);
    });
  });
});
