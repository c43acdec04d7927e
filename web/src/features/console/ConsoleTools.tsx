// The console toolbar's buttons and menus. Their popups render inside the
// console element (PortalRoot), so that they show in full screen too, where
// only the full-screen element is drawn.

import type RFB from '@novnc/novnc';
import { ClipboardCopy, ClipboardPaste, Download, HardDriveDownload, Image, Keyboard, Maximize, Minimize, ScanSearch, Type } from 'lucide-react';
import { Popover } from 'radix-ui';
import { createContext, forwardRef, useContext, useEffect, useRef, useState } from 'react';
import { toast } from 'sonner';
import { api, vmPath } from '../../api/client';
import type { SavedScreenshot } from '../../api/types';
import { toastError } from '../../components/toastError';
import { SCALINGS, type Scaling } from './consoleSettings';
import { COMBO_GROUPS, comboEvents, type Combo } from './keys';
import { GUEST_LAYOUTS, loadLayoutTable, planFor, type LayoutTable } from './keymaps/layouts';
import { consoleSettingsStore, updateConsoleSettings } from './consoleSettings';
import { useStore } from '../../lib/store';
import { MAX_TYPE_CHARS, sendPaced } from './typing';
import { Button, Dialog, DialogActions, DialogClose, DialogDescription, DialogHead, IconButton, Menu, MenuGroup, MenuItem, MenuLabel, MenuRadioGroup, MenuRadioItem, MenuSeparator, Tip, type IconButtonProps } from '../../ui';

/** Where the console's popups render: the console element, which may be full screen. */
export const PortalRoot = createContext<HTMLElement | null>(null);

function usePortal(): HTMLElement | undefined {
  return useContext(PortalRoot) ?? undefined;
}

/** An icon button with a tooltip that shows in full screen too. */
export const ToolButton = forwardRef<HTMLButtonElement, Omit<IconButtonProps, 'container'>>(function ToolButton(props, ref) {
  const container = usePortal();
  return <IconButton ref={ref} container={container} {...props} />;
});

/** Sends a combination: every key down, then up in reverse. */
export function sendCombo(rfb: RFB, c: Combo): void {
  for (const e of comboEvents(c.keys)) rfb.sendKey(e.keysym, e.code, e.down);
}

export function SendKeysMenu({ rfb, disabled }: { rfb: RFB | null; disabled: boolean }) {
  const container = usePortal();
  return (
    <Menu
      container={container}
      className="vnc-keys-menu"
      trigger={
        <Tip text="Key combinations the browser or your system would keep for itself" container={container}>
          <Button size="sm" variant="ghost" className="vnc-menu-btn" disabled={disabled}>
            <Keyboard size={16} aria-hidden />
            Send keys
          </Button>
        </Tip>
      }
    >
      {COMBO_GROUPS.map((g, i) => (
        <MenuGroup key={g.title}>
          {i > 0 && <MenuSeparator />}
          <MenuLabel>{g.title}</MenuLabel>
          {g.combos.map((c) => (
            <MenuItem
              key={c.id}
              hint={c.hint}
              onSelect={() => {
                if (!rfb) return;
                sendCombo(rfb, c);
                // Back to the screen, so that typing goes on there.
                window.setTimeout(() => rfb.focus({ preventScroll: true }), 0);
              }}
            >
              {c.label}
            </MenuItem>
          ))}
        </MenuGroup>
      ))}
    </Menu>
  );
}

export function ScalingMenu({ value, onChange, disabled = false }: { value: Scaling; onChange: (s: Scaling) => void; disabled?: boolean }) {
  const container = usePortal();
  const current = SCALINGS.find((s) => s.value === value) ?? SCALINGS[0];
  return (
    <Menu
      container={container}
      align="end"
      trigger={
        <Tip text="Scaling" container={container}>
          <Button size="sm" variant="ghost" className="vnc-menu-btn" aria-label={`Scaling: ${current?.label ?? ''}`} disabled={disabled}>
            <ScanSearch size={16} aria-hidden />
            <span className="vnc-menu-value">{current?.label}</span>
          </Button>
        </Tip>
      }
    >
      <MenuLabel>Scaling</MenuLabel>
      <MenuRadioGroup value={value} onValueChange={(v) => onChange(v as Scaling)}>
        {SCALINGS.map((s) => (
          <MenuRadioItem key={s.value} value={s.value} hint={s.hint}>
            {s.label}
          </MenuRadioItem>
        ))}
      </MenuRadioGroup>
    </Menu>
  );
}

/** A file name for a screenshot: the VM's name and the local time. */
export function screenshotFileName(vmName: string, d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const safe = vmName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '') || 'vm';
  return `${safe}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.png`;
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ScreenshotMenu({ rfb, host, uuid, vmName, running }: { rfb: RFB | null; host: string; uuid: string; vmName: string; running: boolean }) {
  const container = usePortal();
  const [saving, setSaving] = useState(false);
  const saveOnServer = async () => {
    setSaving(true);
    try {
      const saved = await api<SavedScreenshot>(`${vmPath(host, uuid)}/screenshot`, { method: 'POST' });
      toast.success('Screenshot saved on the server', { description: `Saved as ${saved.path} (${saved.width}×${saved.height})`, duration: 10_000 });
    } catch (err) {
      toastError(err, 'The screenshot was not saved');
    } finally {
      setSaving(false);
    }
  };
  const downloadView = () => {
    if (!rfb) return;
    rfb.toBlob((blob) => {
      if (blob) download(blob, screenshotFileName(vmName, new Date()));
      else toast.error('The console has no picture to save yet');
    }, 'image/png');
  };
  return (
    <Menu
      container={container}
      align="end"
      trigger={
        <IconButton label="Screenshot" container={container} disabled={!running && !rfb}>
          <Image size={16} aria-hidden />
        </IconButton>
      }
    >
      <MenuItem icon={<Download size={15} />} disabled={!rfb} onSelect={downloadView} hint="What the console shows, to this computer">
        Download PNG
      </MenuItem>
      <MenuItem
        icon={<HardDriveDownload size={15} />}
        disabled={!running || saving}
        onSelect={() => void saveOnServer()}
        hint="Captured by libvirt, saved in the server’s screenshots folder"
      >
        Save on the server
      </MenuItem>
    </Menu>
  );
}

/** "Type text": text typed into the guest as key presses, for the guest's keyboard layout. */
export function TypeTextDialog({ rfb, open, onOpenChange, initial = '' }: { rfb: RFB | null; open: boolean; onOpenChange: (o: boolean) => void; initial?: string }) {
  const container = usePortal();
  return (
    <Dialog open={open} onOpenChange={onOpenChange} container={container} wide>
      <TypeTextBody rfb={rfb} initial={initial} onDone={() => onOpenChange(false)} />
    </Dialog>
  );
}

/** The dialog's content: mounted when it opens, so that it starts from initial. */
function TypeTextBody({ rfb, initial, onDone }: { rfb: RFB | null; initial: string; onDone: () => void }) {
  const [text, setText] = useState(initial);
  const [progress, setProgress] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);
  // Closing the dialog (Stop, Esc) stops typing, never leaving a key down.
  useEffect(() => () => abort.current?.abort(), []);
  const layout = useStore(consoleSettingsStore).typeLayout;
  const [table, setTable] = useState<{ id: string; t: LayoutTable } | null>(null);
  const [tableError, setTableError] = useState<string | null>(null);
  useEffect(() => {
    if (layout === 'us' || table?.id === layout) return;
    let live = true;
    loadLayoutTable(layout).then(
      (t) => live && setTable({ id: layout, t }),
      (e: unknown) => live && setTableError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [layout, table?.id]);
  const plan = planFor(text, layout, table?.id === layout ? table.t : null) ?? { events: [], untypable: [], chars: Array.from(text).length };
  const ready = layout === 'us' || table?.id === layout;
  const layoutName = GUEST_LAYOUTS.find((l) => l.id === layout)?.name ?? layout;
  const tooLong = plan.chars > MAX_TYPE_CHARS;
  const type = async () => {
    if (!rfb || !text || tooLong || !ready) return;
    const ac = new AbortController();
    abort.current = ac;
    setProgress(0);
    const done = await sendPaced(rfb, plan.events, (d, total) => setProgress(d / total), ac.signal);
    abort.current = null;
    setProgress(null);
    if (done) {
      onDone();
      window.setTimeout(() => rfb.focus({ preventScroll: true }), 0);
    }
  };
  return (
    <>
          <DialogHead>Type text into the VM</DialogHead>
          <DialogDescription className="muted">
            The text is typed as key presses: it works where the clipboard does not (a login prompt, a BIOS, a text console). Choose the
            keyboard layout the guest uses, so that the right keys are pressed (AltGr and dead keys included).
          </DialogDescription>
          <label className="field-label" htmlFor="vnc-type-layout">
            Guest keyboard layout
          </label>
          <select id="vnc-type-layout" value={layout} onChange={(e) => updateConsoleSettings({ typeLayout: e.target.value })}>
            {GUEST_LAYOUTS.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name} ({l.id})
              </option>
            ))}
          </select>
          {tableError && <p className="error small">{tableError}</p>}
          <label className="field-label" htmlFor="vnc-type-text">
            Text to type
          </label>
          <textarea
            id="vnc-type-text"
            className="vnc-type-text"
            rows={5}
            value={text}
            autoFocus
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void type();
              }
            }}
          />
          <p className="muted small">
            {plan.chars.toLocaleString('en')} characters; line breaks press Enter. Ctrl+Enter types.
            {plan.untypable.length > 0 && (
              <>
                {' '}
                <strong>
                  Not on the {layoutName} layout: {plan.untypable.slice(0, 8).join(' ')}
                  {plan.untypable.length > 8 ? ' …' : ''}
                </strong>{' '}
                — sent as symbols, which the guest may not receive.
              </>
            )}
            {tooLong && <strong> At most {MAX_TYPE_CHARS.toLocaleString('en')} characters at once.</strong>}
          </p>
          {progress !== null && <progress className="vnc-type-progress" value={progress} max={1} aria-label="Typing" />}
          <DialogActions>
            <DialogClose>{progress !== null ? 'Stop' : 'Cancel'}</DialogClose>
            <Button variant="primary" disabled={!rfb || !text || tooLong || !ready || progress !== null} onClick={() => void type()}>
              <Type size={16} aria-hidden />
              Type it
            </Button>
          </DialogActions>
    </>
  );
}

/** The clipboard both ways (where the guest supports it), and a way to type instead. */
export function ClipboardPopover({
  rfb,
  guest,
  onType,
}: {
  rfb: RFB | null;
  guest: { text: string; at: number } | null;
  onType: (text: string) => void;
}) {
  const container = usePortal();
  const [text, setText] = useState('');
  const [seen, setSeen] = useState(0);
  const fresh = guest !== null && guest.at > seen;
  return (
    <Popover.Root
      onOpenChange={(o) => {
        if (o && guest) setSeen(guest.at);
      }}
    >
      <Popover.Trigger asChild>
        <IconButton label={fresh ? 'Clipboard (new text from the VM)' : 'Clipboard'} tip="Clipboard" className={fresh ? 'vnc-has-news' : undefined} container={container} disabled={!rfb}>
          <ClipboardPaste size={16} aria-hidden />
        </IconButton>
      </Popover.Trigger>
      <Popover.Portal container={container}>
        <Popover.Content className="popover vnc-clip" side="bottom" align="end" sideOffset={6} collisionPadding={8}>
          <h3 className="popover-title">Clipboard</h3>
          <label className="field-label" htmlFor="vnc-clip-out">
            Text for the VM
          </label>
          <textarea id="vnc-clip-out" rows={3} value={text} onChange={(e) => setText(e.target.value)} placeholder="Paste here (Ctrl+V)" />
          <div className="vnc-clip-actions">
            <Popover.Close asChild>
              <Button size="sm" variant="primary" disabled={!text || !rfb} onClick={() => onType(text)}>
                <Type size={14} aria-hidden /> Type it
              </Button>
            </Popover.Close>
            <Button
              size="sm"
              disabled={!text || !rfb}
              onClick={() => {
                rfb?.clipboardPasteFrom(text);
                toast.success('Sent to the VM’s clipboard', { description: 'Paste it in the guest. This needs clipboard support in the VM (an agent).' });
              }}
            >
              <ClipboardPaste size={14} aria-hidden /> Send to clipboard
            </Button>
          </div>
          <h4 className="field-label">From the VM</h4>
          {guest ? (
            <>
              <pre className="vnc-clip-in">{guest.text}</pre>
              <Button
                size="sm"
                onClick={() =>
                  void navigator.clipboard.writeText(guest.text).then(
                    () => toast.success('Copied'),
                    () => toast.error('The browser did not allow copying', { description: 'Select the text above and press Ctrl+C.' }),
                  )
                }
              >
                <ClipboardCopy size={14} aria-hidden /> Copy to this computer
              </Button>
            </>
          ) : (
            <p className="muted small">Nothing yet. Text the VM copies shows here, where the guest shares its clipboard (QEMU’s vdagent and an agent in the guest).</p>
          )}
          <Popover.Arrow className="popover-arrow" />
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

export function FullscreenButton({ on, onToggle, disabled = false }: { on: boolean; onToggle: () => void; disabled?: boolean }) {
  return (
    <ToolButton label={on ? 'Exit full screen' : 'Full screen'} tip={on ? 'Exit full screen (F11)' : 'Full screen (F11)'} onClick={onToggle} aria-pressed={on} disabled={disabled}>
      {on ? <Minimize size={16} aria-hidden /> : <Maximize size={16} aria-hidden />}
    </ToolButton>
  );
}
