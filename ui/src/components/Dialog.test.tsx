import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useRef, useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { ConfirmDialog } from "./ConfirmDialog";
import { Dialog } from "./Dialog";

/** A page with an opener button and a dialog holding a text field, a textarea and a checkbox. */
function Page({ onCancel = () => {} }: { onCancel?: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Open
      </button>
      {open && (
        <Dialog
          title="Form dialog"
          description={<p>Explains the form.</p>}
          onCancel={() => {
            onCancel();
            setOpen(false);
          }}
        >
          <input aria-label="Name" />
          <textarea aria-label="Notes" />
          <label>
            <input type="checkbox" /> Option
          </label>
          <button type="button">Done</button>
        </Dialog>
      )}
    </>
  );
}

async function openPage(onCancel?: () => void) {
  const user = userEvent.setup();
  render(<Page onCancel={onCancel} />);
  await user.click(screen.getByRole("button", { name: "Open" }));
  return user;
}

describe("Dialog", () => {
  it("is modal and labelled", async () => {
    await openPage();

    const dialog = screen.getByRole("dialog", { name: "Form dialog" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(dialog).toHaveAccessibleDescription("Explains the form.");
  });

  it("focuses first control", async () => {
    await openPage();

    expect(screen.getByLabelText("Name")).toHaveFocus();
  });

  it("focuses initial focus target", () => {
    function Targeted() {
      const target = useRef<HTMLButtonElement>(null);
      return (
        <Dialog title="Targeted" onCancel={() => {}} initialFocus={target}>
          <button type="button">First</button>
          <button ref={target} type="button">
            Second
          </button>
        </Dialog>
      );
    }
    render(<Targeted />);

    expect(screen.getByRole("button", { name: "Second" })).toHaveFocus();
  });

  it("escape cancels", async () => {
    const onCancel = vi.fn();
    const user = await openPage(onCancel);

    await user.keyboard("{Escape}");

    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("escape cancels after backdrop click", async () => {
    const onCancel = vi.fn();
    const user = await openPage(onCancel);

    await user.click(document.querySelector(".dialog-backdrop") as HTMLElement);
    await user.keyboard("{Escape}");

    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it("tab wraps to first control", async () => {
    const user = await openPage();

    screen.getByRole("button", { name: "Done" }).focus();
    await user.tab();

    expect(screen.getByLabelText("Name")).toHaveFocus();
  });

  it("shift tab wraps to last control", async () => {
    const user = await openPage();

    await user.tab({ shift: true });

    expect(screen.getByRole("button", { name: "Done" })).toHaveFocus();
  });

  it("closing returns focus", async () => {
    const user = await openPage();

    await user.keyboard("{Escape}");

    expect(screen.getByRole("button", { name: "Open" })).toHaveFocus();
  });
});

describe("ConfirmDialog", () => {
  it("focuses cancel first", () => {
    render(
      <ConfirmDialog title="Sure?" confirmLabel="Do it" onConfirm={() => {}} onCancel={() => {}}>
        <p>Body</p>
      </ConfirmDialog>,
    );

    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
  });

  it("checkbox is inside focus cycle", async () => {
    const user = userEvent.setup();
    render(
      <ConfirmDialog title="Sure?" confirmLabel="Do it" onConfirm={() => {}} onCancel={() => {}}>
        <label>
          <input type="checkbox" /> Also this
        </label>
      </ConfirmDialog>,
    );

    screen.getByRole("checkbox", { name: "Also this" }).focus();
    await user.tab({ shift: true });

    expect(screen.getByRole("button", { name: "Do it" })).toHaveFocus();
  });

  it("primary tone styles confirm", () => {
    render(
      <ConfirmDialog
        title="Sure?"
        confirmLabel="Create"
        tone="primary"
        onConfirm={() => {}}
        onCancel={() => {}}
      >
        <p>Body</p>
      </ConfirmDialog>,
    );

    expect(screen.getByRole("button", { name: "Create" })).toHaveClass("primary");
  });
});
