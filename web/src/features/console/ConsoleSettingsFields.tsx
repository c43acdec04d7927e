// The graphical console's settings on the Settings page (no noVNC here).

import { GUEST_LAYOUTS } from './keymaps/layouts';
import type { ReactNode } from 'react';
import { useStore } from '../../lib/store';
import { InfoTip } from '../../ui';
import { consoleSettingsStore, SCALINGS, updateConsoleSettings, type Scaling } from './consoleSettings';
import './settingsFields.css';

const LEVELS = Array.from({ length: 10 }, (_, i) => i);

/** A setting's check box: its hint in a few words, the explanation (if any) behind an info tip. */
function Check({ id, checked, onChange, label, hint, more }: { id: string; checked: boolean; onChange: (v: boolean) => void; label: string; hint: string; more?: ReactNode }) {
  return (
    <div className="console-check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-hint`} />
      <label htmlFor={id}>{label}</label>
      <p className="muted small">
        <span id={`${id}-hint`}>{hint}</span>
        {more && <InfoTip topic={label.toLowerCase()}>{more}</InfoTip>}
      </p>
    </div>
  );
}

export function ConsoleSettingsFields() {
  const s = useStore(consoleSettingsStore);
  return (
    <>
      <label className="field-label" htmlFor="console-scaling">
        Scaling when a console opens
      </label>
      <select id="console-scaling" value={s.scaling} onChange={(e) => updateConsoleSettings({ scaling: e.target.value as Scaling })}>
        {SCALINGS.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label} — {o.hint}
          </option>
        ))}
      </select>

      <label className="field-label" htmlFor="console-quality">
        Picture quality
      </label>
      <select id="console-quality" value={s.quality} onChange={(e) => updateConsoleSettings({ quality: Number(e.target.value) })}>
        {LEVELS.map((n) => (
          <option key={n} value={n}>
            {n}
            {n === 0 ? ' (lowest, least data)' : n === 9 ? ' (best)' : n === 6 ? ' (default)' : ''}
          </option>
        ))}
      </select>
      <label className="field-label" htmlFor="console-compression">
        Compression
      </label>
      <select id="console-compression" value={s.compression} onChange={(e) => updateConsoleSettings({ compression: Number(e.target.value) })}>
        {LEVELS.map((n) => (
          <option key={n} value={n}>
            {n}
            {n === 0 ? ' (none)' : n === 9 ? ' (most, slowest)' : n === 2 ? ' (default)' : ''}
          </option>
        ))}
      </select>
      <p className="muted small">
        Lower both over slow links; open consoles follow at once.
        <InfoTip topic="quality and compression">
          <p>Quality is the JPEG quality the VNC server uses for photo-like areas.</p>
          <p>Compression trades the server’s CPU for less data.</p>
        </InfoTip>
      </p>

      <h3 className="field-label">Keyboard and mouse</h3>
      <Check
        id="console-view-only"
        checked={s.viewOnly}
        onChange={(viewOnly) => updateConsoleSettings({ viewOnly })}
        label="Open consoles view-only"
        hint="Watch without sending keys or mouse; the toolbar’s eye button switches it per console."
      />
      <Check
        id="console-passthrough"
        checked={s.passthrough}
        onChange={(passthrough) => updateConsoleSettings({ passthrough })}
        label="In full screen, send browser shortcuts to the VM"
        hint="Chrome and Edge; hold Esc to leave full screen."
        more={
          <>
            <p>Locks the keyboard in full screen, so that Ctrl+W, Ctrl+T, Alt+Tab and a short Esc reach the VM. Hold Esc to leave full screen.</p>
            <p>Other browsers keep their shortcuts; use Send keys there.</p>
          </>
        }
      />
      <Check
        id="console-f11"
        checked={s.f11Fullscreen}
        onChange={(f11Fullscreen) => updateConsoleSettings({ f11Fullscreen })}
        label="F11 switches full screen"
        hint="Off: F11 goes to the VM."
        more={<p>Some firmware boot menus use F11. With this off, use the toolbar’s button for full screen.</p>}
      />
      <Check
        id="console-dot"
        checked={s.dotCursor}
        onChange={(dotCursor) => updateConsoleSettings({ dotCursor })}
        label="Show a dot where the pointer is when the VM hides its cursor"
        hint="For guests that hide their own cursor."
        more={
          <p>
            The mouse is not captured: the pointer moves freely in and out of the screen and its position is sent as is, which suits guests with a
            tablet or USB pointer (the default for new VMs).
          </p>
        }
      />

      <label className="field-label" htmlFor="console-layout">
        Guest keyboard layout for “Type text”
      </label>
      <select id="console-layout" value={s.typeLayout} onChange={(e) => updateConsoleSettings({ typeLayout: e.target.value })} aria-describedby="console-layout-hint">
        {GUEST_LAYOUTS.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name} ({l.id})
          </option>
        ))}
      </select>
      <p className="muted small">
        <span id="console-layout-hint">The layout set inside the VM; “Type text” presses the keys that layout needs. The dialog can change it too.</span>
        <InfoTip topic="the keyboard layout">
          <p>
            The console sends where a key is, not which character it makes (QEMU’s scancode key events): the VM’s own keyboard layout decides the
            characters. Typing on the console needs nothing here: set the guest’s layout to match your keyboard.
          </p>
          <p>
            “Type text” types characters, so it needs to know the guest’s layout: with German, “@” is AltGr+Q and “é” the dead acute key and then E.
          </p>
        </InfoTip>
      </p>
    </>
  );
}
