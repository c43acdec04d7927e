// Settings, stored per user in this browser.

import { RadioGroup } from 'radix-ui';
import { Laptop, Moon, Sun } from 'lucide-react';
import type { ReactNode } from 'react';
import { useTitle } from '../../components/useTitle';
import { useStore } from '../../lib/store';
import { GRAPH_WINDOWS, settingsStore, updateSettings, type Settings } from './settings';
import { SerialSettingsFields } from '../serial/SerialSettingsFields';
import { ConsoleSettingsFields } from '../console/ConsoleSettingsFields';
import './settings.css';

function Choice<T extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: { value: T; label: string; icon?: ReactNode; hint?: string }[];
  onChange: (v: T) => void;
}) {
  return (
    <RadioGroup.Root className="choices" value={value} onValueChange={(v) => onChange(v as T)} aria-label={label}>
      {options.map((o) => (
        <RadioGroup.Item key={o.value} value={o.value} className="choice">
          {o.icon}
          <span className="choice-text">
            <span>{o.label}</span>
            {o.hint && <span className="muted small">{o.hint}</span>}
          </span>
        </RadioGroup.Item>
      ))}
    </RadioGroup.Root>
  );
}

function Section({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  const id = `s-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="settings-section" aria-labelledby={id}>
      <div className="settings-intro">
        <h2 id={id}>{title}</h2>
        {description && <p className="muted">{description}</p>}
      </div>
      <div className="settings-body">{children}</div>
    </section>
  );
}

export default function SettingsPage() {
  const s = useStore(settingsStore);
  useTitle('Settings');
  const set = (patch: Partial<Settings>) => updateSettings(patch);
  return (
    <div className="page-scroll">
      <div className="page page-narrow">
        <h1>Settings</h1>
        <p className="muted">Saved in this browser for your user; they apply at once.</p>

        <Section title="Appearance">
          <h3 className="field-label">Theme</h3>
          <Choice
            label="Theme"
            value={s.theme}
            onChange={(theme) => set({ theme })}
            options={[
              { value: 'system', label: 'System', icon: <Laptop size={16} aria-hidden />, hint: 'Follow the operating system' },
              { value: 'light', label: 'Light', icon: <Sun size={16} aria-hidden /> },
              { value: 'dark', label: 'Dark', icon: <Moon size={16} aria-hidden /> },
            ]}
          />
        </Section>

        <Section title="Graphs" description="Sparklines on the dashboard and graphs on a VM's Overview tab. Samples keep arriving while graphs are held back.">
          <h3 className="field-label">Refresh</h3>
          <Choice
            label="Graph refresh"
            value={s.graphRefresh}
            onChange={(graphRefresh) => set({ graphRefresh })}
            options={[
              { value: 'live', label: 'Live', hint: 'Every sample (about every 2 s)' },
              { value: '10s', label: 'Every 10 seconds', hint: 'Calmer, and lighter on slow machines' },
              { value: 'paused', label: 'Paused', hint: 'Graphs stand still until you resume' },
            ]}
          />
          <label className="field-label" htmlFor="graph-window">
            History shown
          </label>
          <select id="graph-window" value={s.graphWindowMinutes} onChange={(e) => set({ graphWindowMinutes: Number(e.target.value) })}>
            {GRAPH_WINDOWS.map((m) => (
              <option key={m} value={m}>
                {m} minutes
              </option>
            ))}
          </select>
          <p className="muted small">The server keeps 5 minutes; longer history builds up while this page stays open.</p>
        </Section>

        <Section title="Dashboard">
          <h3 className="field-label">Default view</h3>
          <Choice
            label="Dashboard view"
            value={s.dashboardView}
            onChange={(dashboardView) => set({ dashboardView })}
            options={[
              { value: 'cards', label: 'Cards' },
              { value: 'table', label: 'Table', hint: 'Compact, for many VMs' },
            ]}
          />
        </Section>

        <Section title="Console" description="The graphical console on a VM's Console tab and in its own window. Saved in this browser.">
          <ConsoleSettingsFields />
        </Section>

        <Section title="Serial console" description="The text console on a VM's Serial tab and in its own window.">
          <SerialSettingsFields />
        </Section>
      </div>
    </div>
  );
}
