// Entry point: mounts the app with the Tauri backend, or explains why it cannot run when the page
// is opened in a plain browser, where no Tauri IPC exists.
import { isTauri } from "@tauri-apps/api/core";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { BackendProvider } from "./backend/context";
import { TauriBackend } from "./backend/tauri";
import "./styles.css";

const container = document.getElementById("root");
if (container === null) {
  throw new Error("index.html has no element with id 'root'.");
}

const root = createRoot(container);
if (isTauri()) {
  root.render(
    <StrictMode>
      <BackendProvider backend={new TauriBackend()}>
        <App />
      </BackendProvider>
    </StrictMode>,
  );
} else {
  root.render(
    <main className="view">
      <h1>Offstream</h1>
      <p>
        This page is the Offstream desktop app's window and needs the app around it. Start it with{" "}
        <code>npm run tauri dev</code>.
      </p>
    </main>,
  );
}
