import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Tooltip } from 'radix-ui';
import { useState, type ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Banner, Button, Dialog, DialogActions, DialogClose, DialogDescription, DialogHead, EmptyState, Field, IconButton, InfoTip, Menu, MenuItem } from '.';

afterEach(cleanup);

// jsdom has no ResizeObserver; Radix's popper measures its arrow with one.
const noop = () => undefined;
globalThis.ResizeObserver = class {
  observe = noop;
  unobserve = noop;
  disconnect = noop;
};

function withTips(ui: ReactNode) {
  return render(<Tooltip.Provider>{ui}</Tooltip.Provider>);
}

describe('Button', () => {
  it('is a plain button unless it submits, and styles a link with asChild', () => {
    render(
      <>
        <Button variant="primary">Save</Button>
        <Button asChild>
          <a href="/x">Download</a>
        </Button>
      </>,
    );
    const save = screen.getByRole('button', { name: 'Save' });
    expect(save.getAttribute('type')).toBe('button');
    expect(save.className).toBe('btn btn-primary');
    expect(screen.getByRole('link', { name: 'Download' }).className).toBe('btn');
  });
});

describe('IconButton', () => {
  it('is named by its label, also when the label is written beside the icon', () => {
    withTips(
      <>
        <IconButton label="Reload the list" onClick={() => undefined}>
          <svg aria-hidden />
        </IconButton>
        <IconButton label="Reload the snapshot list" text="Reload" showLabel="wide">
          <svg aria-hidden />
        </IconButton>
      </>,
    );
    expect(screen.getByRole('button', { name: 'Reload the list' })).toBeDefined();
    // The visible text is hidden from the accessible name (no "Reload Reload the…").
    const labelled = screen.getByRole('button', { name: 'Reload the snapshot list' });
    expect(labelled.textContent).toBe('Reload');
  });

  it('shows its tooltip on keyboard focus', async () => {
    withTips(
      <IconButton label="Expand all" tip="Expand all (*)">
        <svg aria-hidden />
      </IconButton>,
    );
    fireEvent.focus(screen.getByRole('button', { name: 'Expand all' }));
    expect((await screen.findByRole('tooltip')).textContent).toBe('Expand all (*)');
  });
});

function DialogHarness() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button onClick={() => setOpen(true)}>Open it</Button>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogHead>Rename the VM</DialogHead>
        <DialogDescription>The new name shows everywhere.</DialogDescription>
        <input aria-label="New name" />
        <DialogActions>
          <DialogClose>Cancel</DialogClose>
        </DialogActions>
      </Dialog>
    </>
  );
}

describe('Dialog', () => {
  it('is named by its title, keeps the focus inside, and returns it on close', async () => {
    render(<DialogHarness />);
    const opener = screen.getByRole('button', { name: 'Open it' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = await screen.findByRole('dialog', { name: 'Rename the VM' });
    expect(dialog.getAttribute('aria-describedby')).toBeTruthy();
    await waitFor(() => expect(dialog.contains(document.activeElement)).toBe(true));
    // The page behind is inert to assistive technology while it is open.
    expect(opener.closest('[aria-hidden="true"]')).not.toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(opener));
  });

  it('as an alert has role alertdialog and no close icon', async () => {
    render(
      <Dialog alert open onOpenChange={() => undefined}>
        <DialogHead>Delete it?</DialogHead>
        <DialogDescription>It cannot be undone.</DialogDescription>
        <DialogActions>
          <DialogClose>Cancel</DialogClose>
        </DialogActions>
      </Dialog>,
    );
    const dialog = await screen.findByRole('alertdialog', { name: 'Delete it?' });
    expect(dialog.querySelector('[aria-label="Close"]')).toBeNull();
  });
});

describe('Field', () => {
  it('labels the control and wires the error and hint to it', () => {
    const { rerender } = render(
      <Field label="Name" hint="Letters and digits">
        <input type="text" />
      </Field>,
    );
    const input = screen.getByRole('textbox', { name: 'Name' });
    expect(input.getAttribute('aria-invalid')).toBeNull();
    const hintId = input.getAttribute('aria-describedby');
    expect(hintId && document.getElementById(hintId)?.textContent).toBe('Letters and digits');

    rerender(
      <Field label="Name" hint="Letters and digits" error="The name contains a space.">
        <input type="text" />
      </Field>,
    );
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const described = (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described).toEqual(['The name contains a space.', 'Letters and digits']);
  });

  it('finds the control inside a wrapper by inputId', () => {
    render(
      <Field label="Password" inputId="pw" error="Enter your password.">
        <div className="input-with-icon">
          <input id="pw" type="password" />
        </div>
      </Field>,
    );
    const input = screen.getByLabelText('Password');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(input.getAttribute('aria-describedby') ?? '')?.textContent).toBe('Enter your password.');
  });
});

describe('InfoTip', () => {
  it('is a button named for its topic that opens the explanation', async () => {
    render(<InfoTip topic="own share">The space this snapshot alone takes.</InfoTip>);
    const button = screen.getByRole('button', { name: 'About own share' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(button);
    expect((await screen.findByRole('dialog', { name: 'About own share' })).textContent).toContain('The space this snapshot alone takes.');
    expect(button.getAttribute('aria-expanded')).toBe('true');
  });
});

describe('Menu', () => {
  it('opens from its trigger and runs an item', async () => {
    const onSelect = vi.fn();
    render(
      <Menu trigger={<Button>Actions</Button>}>
        <MenuItem onSelect={onSelect} shortcut="r">
          Revert
        </MenuItem>
      </Menu>,
    );
    const trigger = screen.getByRole('button', { name: 'Actions' });
    fireEvent.keyDown(trigger, { key: 'Enter' });
    const item = await screen.findByRole('menuitem', { name: /Revert/ });
    expect(item.getAttribute('aria-keyshortcuts')).toBe('r');
    fireEvent.click(item);
    expect(onSelect).toHaveBeenCalledOnce();
  });
});

describe('Banner and EmptyState', () => {
  it('say what they say, with a role where asked', () => {
    render(
      <>
        <Banner tone="bad" role="alert" title="Not saved">
          <p>Try again.</p>
        </Banner>
        <EmptyState title="No VMs" action={<Button>Add one</Button>} />
      </>,
    );
    expect(screen.getByRole('alert').textContent).toBe('Not savedTry again.');
    expect(screen.getByText('No VMs')).toBeDefined();
    expect(screen.getByRole('button', { name: 'Add one' })).toBeDefined();
  });
});
