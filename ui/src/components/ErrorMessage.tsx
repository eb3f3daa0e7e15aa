// The one way the UI shows a failed operation: what was being done, the backend's message, and
// an optional Retry button. `data-testid="error"` is a stable selector for end-to-end tests.
import type { ErrorPayload } from "../backend/types";

type Props = {
  /** Summary of the failed operation, for example "Could not load the videos". */
  title: string;
  error: ErrorPayload;
  onRetry?: () => void;
};

export function ErrorMessage({ title, error, onRetry }: Props) {
  return (
    <div className="error-message" role="alert" data-testid="error" data-code={error.code}>
      <p>
        <strong>{title}.</strong> {error.message}
      </p>
      {onRetry !== undefined && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
