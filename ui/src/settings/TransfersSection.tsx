// How many downloads transfer at the same time. The queue starts another transfer when one
// ends, so a lower number takes effect as running transfers finish.
import { useState, type FormEvent } from "react";

import { MAX_TRANSFERS, MIN_TRANSFERS, toErrorPayload } from "../backend/backend";
import { useBackend } from "../backend/context";
import type { AppStatus, ErrorPayload } from "../backend/types";
import { ErrorMessage } from "../components/ErrorMessage";

/** Returns the count in `value`, or an error text when it is not a whole number from 1 to 8. */
export function parseTransfers(value: string): number | string {
  const text = value.trim();
  const count = Number(text);
  if (text === "" || !Number.isInteger(count) || count < MIN_TRANSFERS || count > MAX_TRANSFERS) {
    return `"${text}" is not a valid number of transfers. Enter a whole number from ${MIN_TRANSFERS} to ${MAX_TRANSFERS}.`;
  }
  return count;
}

type Props = {
  status: AppStatus;
  onStatusChange: (status: AppStatus) => void;
};

export function TransfersSection({ status, onStatusChange }: Props) {
  const backend = useBackend();
  // NOTE: an app whose Rust side predates `maxTransfers` sends no value, so the field starts
  // empty instead of showing "undefined".
  const [value, setValue] = useState(
    Number.isInteger(status.maxTransfers) ? String(status.maxTransfers) : "",
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const count = parseTransfers(value);
    if (typeof count === "string") {
      setError({ code: "invalid_input", message: count });
      return;
    }

    setBusy(true);
    try {
      const next = await backend.setMaxTransfers(count);
      setValue(String(next.maxTransfers));
      onStatusChange(next);
    } catch (caught) {
      setError(toErrorPayload(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="transfers-heading">
      <h2 id="transfers-heading">Downloads</h2>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field inline">
          <label htmlFor="max-transfers">Simultaneous transfers</label>
          <input
            id="max-transfers"
            type="number"
            min={MIN_TRANSFERS}
            max={MAX_TRANSFERS}
            step={1}
            aria-describedby="max-transfers-help"
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
          <button type="submit" id="save-max-transfers" disabled={busy}>
            Apply
          </button>
        </div>
        <p id="max-transfers-help" className="help">
          How many files download at the same time, from {MIN_TRANSFERS} to {MAX_TRANSFERS}. Other
          downloads wait in the queue.
        </p>
      </form>
      {error !== null && (
        <ErrorMessage title="Could not change the number of transfers" error={error} />
      )}
    </section>
  );
}
