// The list of keyboard shortcuts, opened with "?" or F1 and from Settings.
import { useRef } from "react";

import { Dialog } from "../components/Dialog";
import { isMacPlatform, shortcutHelp } from "./shortcuts";

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const closeButton = useRef<HTMLButtonElement>(null);
  const shortcuts = shortcutHelp(isMacPlatform());

  return (
    <Dialog
      title="Keyboard shortcuts"
      testId="shortcuts-dialog"
      className="dialog-wide"
      initialFocus={closeButton}
      onCancel={onClose}
    >
      <table className="shortcut-table">
        <caption className="visually-hidden">Keys and what they do</caption>
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {shortcuts.map((shortcut) => (
            <tr key={shortcut.description}>
              <td>
                {shortcut.keys.map((key, index) => (
                  <span key={key}>
                    {index > 0 && " or "}
                    <kbd>{key}</kbd>
                  </span>
                ))}
              </td>
              <td>{shortcut.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button ref={closeButton} type="button" data-testid="shortcuts-close" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
