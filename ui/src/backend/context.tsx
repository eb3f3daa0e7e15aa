// Hands the Backend to components, so tests can render any screen with a FakeBackend.
import { createContext, useContext, type ReactNode } from "react";

import type { Backend } from "./backend";

const BackendContext = createContext<Backend | null>(null);

export function BackendProvider({ backend, children }: { backend: Backend; children: ReactNode }) {
  return <BackendContext.Provider value={backend}>{children}</BackendContext.Provider>;
}

/** Returns the Backend of the nearest BackendProvider. */
export function useBackend(): Backend {
  const backend = useContext(BackendContext);
  if (backend === null) {
    throw new Error("useBackend needs a BackendProvider above the component.");
  }
  return backend;
}
