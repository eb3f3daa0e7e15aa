// The top bar: app name, demo badge, navigation and the account in use.
import type { AppStatus } from "../backend/types";

export type View = "videos" | "library" | "backups" | "settings";

const NAV: Array<{ view: View; label: string }> = [
  { view: "videos", label: "Videos" },
  { view: "library", label: "Library" },
  { view: "backups", label: "Backups" },
  { view: "settings", label: "Settings" },
];

type Props = {
  status: AppStatus;
  view: View;
  onNavigate: (view: View) => void;
};

export function Header({ status, view, onNavigate }: Props) {
  return (
    <header className="app-header">
      <div className="brand">
        <span className="app-name">Offstream</span>
        {status.demo && (
          <span
            className="badge badge-demo"
            data-testid="demo-badge"
            title="The app runs against the built-in demo account, not a Cloudflare account."
          >
            Demo account
          </span>
        )}
      </div>

      <nav aria-label="Main">
        <ul className="nav-list">
          {NAV.map((item) => (
            <li key={item.view}>
              <button
                type="button"
                id={`nav-${item.view}`}
                className="nav-button"
                aria-current={view === item.view ? "page" : undefined}
                onClick={() => onNavigate(item.view)}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>

      <div className="account" data-testid="account">
        {status.accountId !== null ? (
          <>
            <span className="account-label">Account</span>{" "}
            <code className="account-id">{status.accountId}</code>
          </>
        ) : (
          <span className="account-label">No account set</span>
        )}
      </div>
    </header>
  );
}
