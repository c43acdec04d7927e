// The serial console's settings on the Settings page (no xterm.js here).

import { useStore } from '../../lib/store';
import { FONT_SIZES, SCROLLBACK_LINES, serialSettingsStore, updateSerialSettings } from './serialSettings';

export function SerialSettingsFields() {
  const s = useStore(serialSettingsStore);
  return (
    <>
      <label className="field-label" htmlFor="serial-font-size">
        Text size
      </label>
      <select id="serial-font-size" value={s.fontSize} onChange={(e) => updateSerialSettings({ fontSize: Number(e.target.value) })}>
        {FONT_SIZES.map((f) => (
          <option key={f} value={f}>
            {f} px
          </option>
        ))}
      </select>
      <label className="field-label" htmlFor="serial-scrollback">
        Lines kept for scrolling back and searching
      </label>
      <select id="serial-scrollback" value={s.scrollback} onChange={(e) => updateSerialSettings({ scrollback: Number(e.target.value) })}>
        {SCROLLBACK_LINES.map((n) => (
          <option key={n} value={n}>
            {n.toLocaleString('en')} lines
          </option>
        ))}
      </select>
      <p className="muted small">
        Saved in this browser. The server keeps each console’s recent output (256 KiB by default), which a new window or a reload shows first.
      </p>
    </>
  );
}
