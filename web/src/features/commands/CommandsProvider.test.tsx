import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Role, VMState } from '../../api/types';
import { allowedActions } from '../../resources/vm/model';
import { renderAs } from '../../test/render';
import { useCommandScope, useVMCommands } from './CommandsProvider';
import { POWER_COMMANDS } from './catalogue';
import type { VMTarget } from './registry';
import { ShortcutOverlay } from './ShortcutOverlay';

afterEach(cleanup);

const power = vi.fn();
const navigate = vi.fn();

/** A dashboard card: focusable, holding a text field and a terminal's textarea (as xterm.js renders it). */
function Card({ state = 'running' }: { state?: VMState }) {
  const target: VMTarget = {
    vm: { host: 'local', uuid: 'u1', name: 'web', state, actions: allowedActions(state) },
    where: 'card',
    busy: () => false,
    power,
    openConsole: vi.fn(),
    takeSnapshot: vi.fn(),
  };
  const offered = useVMCommands(target, [POWER_COMMANDS.start, POWER_COMMANDS.shutdown]);
  useCommandScope('app', { navigate });
  return (
    <article aria-label="web" data-vm-key="local/u1" tabIndex={0}>
      {offered.map((o) => (
        <button key={o.command.id} type="button" onClick={o.run} disabled={o.disabled}>
          {o.command.title}
        </button>
      ))}
      <input aria-label="Name" />
      <div aria-label="Serial console of web" role="region">
        <textarea aria-label="Terminal input" className="xterm-helper-textarea" />
      </div>
      <div contentEditable aria-label="Notes" />
    </article>
  );
}

function renderCard(role: Role = 'operator', state?: VMState) {
  power.mockClear();
  navigate.mockClear();
  return renderAs(
    role,
    <>
      <Card state={state} />
      <ShortcutOverlay />
    </>,
  );
}

const press = (el: Element | Window, key: string, shiftKey = false) => fireEvent.keyDown(el, { key, shiftKey, bubbles: true });

describe('CommandsProvider', () => {
  it('runs the focused card’s command for its key, the same one its button runs', () => {
    renderCard();
    const card = screen.getByRole('article', { name: 'web' });
    card.focus();
    press(card, 'S', true);
    expect(power).toHaveBeenCalledWith('shutdown');
    fireEvent.click(screen.getByRole('button', { name: 'Shut down' }));
    expect(power).toHaveBeenCalledTimes(2);
    // The state decides: no Start button for a running VM.
    expect(screen.queryByRole('button', { name: 'Start' })).toBeNull();
  });

  it('never fires while the user types in a field, an editable element or a terminal', () => {
    renderCard();
    for (const name of ['Name', 'Terminal input']) {
      const el = screen.getByLabelText(name);
      el.focus();
      press(el, 'S', true);
      press(el, 'g');
      press(el, 'd');
    }
    // jsdom has no isContentEditable: the check is by the property, so set it as a browser would.
    const notes = screen.getByLabelText('Notes');
    Object.defineProperty(notes, 'isContentEditable', { value: true });
    press(notes, 'S', true);
    expect(power).not.toHaveBeenCalled();
    expect(navigate).not.toHaveBeenCalled();
  });

  it('matches sequences such as g d', () => {
    renderCard();
    press(window, 'g');
    expect(navigate).not.toHaveBeenCalled();
    press(window, 'd');
    expect(navigate).toHaveBeenCalledWith('/');
  });

  it('binds nothing a role cannot use and shows no button for it', () => {
    renderCard('viewer');
    const card = screen.getByRole('article', { name: 'web' });
    card.focus();
    press(card, 'S', true);
    expect(power).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Shut down' })).toBeNull();
  });

  it('does nothing while a dialog is open', () => {
    renderCard();
    press(window, '?');
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeDefined();
    const card = screen.getByRole('article', { name: 'web', hidden: true });
    act(() => card.focus());
    press(card, 'S', true);
    expect(power).not.toHaveBeenCalled();
  });
});

describe('ShortcutOverlay', () => {
  it('lists only what the role may use', () => {
    renderCard('viewer');
    press(window, '?');
    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(dialog.textContent).toContain('Go to the dashboard');
    expect(dialog.textContent).not.toContain('Shut down');
    expect(dialog.textContent).not.toContain('Go to the audit log');
    expect(dialog.textContent).not.toContain('Serial console');
  });

  it('lists the VM commands for an admin, Pause and Resume on one line', () => {
    renderCard('admin');
    press(window, '?');
    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const text of ['Shut down', 'Go to the audit log', 'Delete (asks first)', 'Resume or Pause', 'Leave the terminal']) expect(dialog.textContent).toContain(text);
  });
});
