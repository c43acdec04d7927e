// A VM's SPICE console in the browser (spice-html5, loaded only when a SPICE
// console opens): a ticket from POST …/console/spice, then spice-html5 opens
// one WebSocket per SPICE channel with it. The toolbar has what applies to
// SPICE: send keys, screenshot, full screen, the .vv file for remote-viewer,
// reconnect, a window of its own; the status bar says where it stands.

import type { SpiceMainConn } from '@spice-project/spice-html5';
import { Download, ExternalLink, HardDriveDownload, Image, Keyboard, LoaderCircle, Maximize, Minimize, RefreshCw, Unplug } from 'lucide-react';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { toast } from 'sonner';
import { api, vmPath } from '../../../api/client';
import type { ConsoleTicket, SavedScreenshot, VM } from '../../../api/types';
import { toastError } from '../../../components/toastError';
import { useFillPage } from '../../../components/useFillPage';
import { sentence } from '../../../lib/format';
import { isActive } from '../../../resources/vm/model';
import { Button, Menu, MenuGroup, MenuItem, MenuLabel, MenuSeparator, Tip } from '../../../ui';
import type { ConsoleView } from '../connection';
import { ConsoleFix } from '../ConsoleFix';
import { DisplayMenu } from '../displays/DisplayMenu';
import { PortalRoot, ToolButton } from '../ConsoleTools';
import { COMBO_GROUPS } from '../keys';
import { openPopout } from '../VncConsole';
import { comboMessages } from './scancodes';
import '../console.css';
import './spice.css';

type Phase = 'connecting' | 'connected' | 'vm-stopped' | 'failed' | 'disconnected';

const LABEL: Record<Phase, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  'vm-stopped': 'VM not running',
  failed: 'Unavailable',
  disconnected: 'Disconnected',
};
const TONE: Record<Phase, string> = { connecting: 'busy', connected: 'ok', 'vm-stopped': 'off', failed: 'bad', disconnected: 'off' };

/** The WebSocket URL for a ticket's path and query on this server. */
export function spiceSocketURL(path: string, loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${path}`;
}

/** Whether the VM's graphics are SPICE only (the SPICE console is its browser console). */
export function spiceOnly(vm: Pick<VM, 'graphics'>): boolean {
  const g = vm.graphics ?? [];
  return g.some((x) => x.type === 'spice') && !g.some((x) => x.type === 'vnc');
}

function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  window.setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export function SpiceConsole({ vm, fill }: { vm: VM; fill: 'page' | 'parent' }) {
  const running = isActive(vm.state);
  const box = useRef<HTMLDivElement>(null);
  const [rootEl, setRootEl] = useState<HTMLDivElement | null>(null);
  const screenId = `spice-screen-${useId().replace(/[^A-Za-z0-9_-]/g, '')}`;
  const height = useFillPage(box, fill === 'page', 360);
  const [attempt, setAttempt] = useState(0);
  // What the current attempt (key) reached; another key is still connecting.
  const key = `${running ? 'on' : 'off'}:${attempt}`;
  const [status, setStatus] = useState<{ key: string; phase: Phase; message?: string; hint?: string }>({ key: '', phase: 'connecting' });
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const [fullscreen, setFullscreen] = useState(false);
  const sc = useRef<SpiceMainConn | null>(null);
  const phase: Phase = !running ? 'vm-stopped' : attempt < 0 ? 'disconnected' : status.key === key ? status.phase : 'connecting';
  const message = status.key === key ? status.message : undefined;
  const hint = status.key === key ? status.hint : undefined;

  const setRoot = useCallback((el: HTMLDivElement | null) => {
    box.current = el;
    setRootEl(el);
  }, []);

  // One connection per attempt while the VM runs; stopped on unmount.
  useEffect(() => {
    if (!running || attempt < 0) return; // stopped, or disconnected by the user
    const life = { gone: false };
    const set = (p: Phase, msg?: string, h?: string) => {
      if (!life.gone) setStatus({ key, phase: p, message: msg, hint: h });
    };
    const fail = (p: Phase, msg: string, h?: string) => {
      set(p, msg, h);
      sc.current?.stop();
      sc.current = null;
    };
    void (async () => {
      try {
        const [tk, lib] = await Promise.all([
          api<ConsoleTicket>(`${vmPath(vm.host, vm.uuid)}/console/spice`, { method: 'POST' }),
          import('@spice-project/spice-html5'),
        ]);
        if (life.gone) return;
        sc.current = new lib.SpiceMainConn({
          uri: spiceSocketURL(tk.url),
          // The server puts the VM's SPICE password in; the browser never has it.
          password: '',
          screen_id: screenId,
          onsuccess: () => set('connected'),
          onerror: (e) => fail('disconnected', e instanceof Error ? e.message : 'the SPICE connection closed', 'reconnect to open it again'),
        });
      } catch (err) {
        const e = err as { message?: string; hint?: string; code?: string };
        if (e.code === 'vm_not_running') fail('vm-stopped', e.message ?? '');
        else fail('failed', e.message ?? 'the SPICE console could not be opened', e.hint);
      }
    })();
    return () => {
      life.gone = true;
      sc.current?.stop();
      sc.current = null;
    };
  }, [vm.host, vm.uuid, running, attempt, key, screenId]);

  // The screen's size, from spice-html5's canvas, for the status bar.
  useEffect(() => {
    const el = document.getElementById(screenId);
    if (!el || phase !== 'connected') return;
    const read = () => {
      const c = el.querySelector('canvas');
      setSize(c ? { w: c.width, h: c.height } : null);
    };
    read();
    const mo = new MutationObserver(read);
    mo.observe(el, { subtree: true, childList: true, attributes: true, attributeFilter: ['width', 'height'] });
    return () => mo.disconnect();
  }, [phase, screenId]);

  useEffect(() => {
    const change = () => setFullscreen(rootEl !== null && document.fullscreenElement === rootEl);
    document.addEventListener('fullscreenchange', change);
    return () => document.removeEventListener('fullscreenchange', change);
  }, [rootEl]);
  const toggleFullscreen = () => {
    if (!rootEl) return;
    if (document.fullscreenElement === rootEl) void document.exitFullscreen().catch(() => undefined);
    else void rootEl.requestFullscreen({ navigationUI: 'hide' }).then(() => canvas()?.focus({ preventScroll: true }), () => undefined);
  };

  const canvas = () => document.getElementById(screenId)?.querySelector('canvas') ?? null;
  const live = phase === 'connected';
  const view: ConsoleView = { phase: phase === 'connecting' ? 'connecting' : phase, message, hint, everConnected: false };

  const sendCombo = (keys: (typeof COMBO_GROUPS)[number]['combos'][number]['keys']) => {
    const inputs = sc.current?.inputs;
    const msgs = comboMessages(keys);
    if (inputs?.state !== 'ready' || !msgs) return;
    for (const m of msgs) inputs.send_msg(m);
    window.setTimeout(() => canvas()?.focus({ preventScroll: true }), 0);
  };
  const downloadView = () => {
    const c = canvas();
    if (!c) return;
    c.toBlob((blob) => {
      if (blob) download(blob, `${vm.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
    }, 'image/png');
  };
  const saveOnServer = async () => {
    try {
      const saved = await api<SavedScreenshot>(`${vmPath(vm.host, vm.uuid)}/screenshot`, { method: 'POST' });
      toast.success('Screenshot saved on the server', { description: `Saved as ${saved.path} (${saved.width}×${saved.height})`, duration: 10_000 });
    } catch (err) {
      toastError(err, 'The screenshot was not saved');
    }
  };

  return (
    <PortalRoot.Provider value={rootEl}>
      <div
        ref={setRoot}
        role="group"
        aria-label={`SPICE console of ${vm.name}`}
        className={`vnc spice vnc-fill-${fill}${fullscreen ? ' is-fullscreen chrome-shown' : ''}`}
        style={height && !fullscreen ? { height } : undefined}
        data-phase={phase}
        data-live={live || undefined}
        data-protocol="spice"
      >
        <div className="vnc-chrome">
          <div className="vnc-toolbar toolbar-labels toolbar-labels-roomy" role="toolbar" aria-label="Console tools">
            <Menu
              container={rootEl ?? undefined}
              className="vnc-keys-menu"
              trigger={
                <Tip text="Key combinations the browser or your system would keep for itself" container={rootEl ?? undefined}>
                  <Button size="sm" variant="ghost" className="vnc-menu-btn" disabled={!live}>
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
                    <MenuItem key={c.id} hint={c.hint} onSelect={() => sendCombo(c.keys)}>
                      {c.label}
                    </MenuItem>
                  ))}
                </MenuGroup>
              ))}
            </Menu>
            <Menu
              container={rootEl ?? undefined}
              align="end"
              trigger={
                <Button size="sm" variant="ghost" className="vnc-menu-btn" aria-label="Screenshot" disabled={!running}>
                  <Image size={16} aria-hidden />
                </Button>
              }
            >
              <MenuItem icon={<Download size={15} />} disabled={!live} onSelect={downloadView} hint="What the console shows, to this computer">
                Download PNG
              </MenuItem>
              <MenuItem icon={<HardDriveDownload size={15} />} disabled={!running} onSelect={() => void saveOnServer()} hint="Captured by libvirt, saved in the server’s screenshots folder">
                Save on the server
              </MenuItem>
            </Menu>
            <span className="vnc-sep" aria-hidden />
            <ToolButton label={fullscreen ? 'Exit full screen' : 'Full screen'} onClick={toggleFullscreen} aria-pressed={fullscreen} disabled={!live && !fullscreen}>
              {fullscreen ? <Minimize size={16} aria-hidden /> : <Maximize size={16} aria-hidden />}
            </ToolButton>
            {running && (
              <Tip text="A connection file for remote-viewer (virt-viewer): all displays, audio, USB redirection" container={rootEl ?? undefined}>
                <Button size="sm" variant="ghost" asChild>
                  <a href={`${vmPath(vm.host, vm.uuid)}/console.vv`} download>
                    <Download size={16} aria-hidden /> .vv file
                  </a>
                </Button>
              </Tip>
            )}
            <span className="vnc-spacer" />
            <DisplayMenu vm={vm} current={0} container={rootEl ?? undefined} />
            {(phase === 'connected' || phase === 'connecting') && (
              <ToolButton showLabel="wide" label="Disconnect" tip="Close this console (the VM keeps running)" onClick={() => setAttempt(-1)}>
                <Unplug size={16} aria-hidden />
              </ToolButton>
            )}
            <ToolButton showLabel="wide" label="Reconnect" tip="Reconnect now" onClick={() => setAttempt((a) => Math.max(a, 0) + 1)} disabled={!running}>
              <RefreshCw size={16} aria-hidden />
            </ToolButton>
            {fill === 'page' && (
              <ToolButton showLabel="wide" text="New window" label="Open in a new window" onClick={() => openPopout(vm.host, vm.uuid)}>
                <ExternalLink size={16} aria-hidden />
              </ToolButton>
            )}
          </div>
        </div>
        <div className="vnc-stage">
          <div className="vnc-screen spice-screen" id={screenId} role="application" aria-label={`Screen of ${vm.name}`} />
          {phase === 'connecting' && (
            <div className="vnc-waiting muted" role="status">
              <LoaderCircle size={18} className="spin" aria-hidden /> Connecting to the SPICE console of {vm.name}…
            </div>
          )}
          {phase === 'disconnected' && (
            <div className="vnc-fix" role="alert">
              <h2>The SPICE console closed</h2>
              <p>{sentence(message ?? 'Disconnected.')}</p>
              <div className="vnc-fix-actions">
                <Button onClick={() => setAttempt((a) => Math.max(a, 0) + 1)} disabled={!running}>
                  <RefreshCw size={16} aria-hidden /> Reconnect
                </Button>
              </div>
              <p className="muted small">A SPICE display has one viewer at a time: opening it elsewhere (another tab, remote-viewer) closes this one.</p>
            </div>
          )}
          {(phase === 'vm-stopped' || phase === 'failed') && <ConsoleFix vm={vm} view={view} onReconnect={() => setAttempt((a) => Math.max(a, 0) + 1)} />}
        </div>
        <div className="vnc-statusbar" role="status" aria-label="Console status" data-testid="console-status">
          <span className={`state state-${TONE[phase]}`} data-testid="console-state" data-phase={phase}>
            {phase === 'connecting' ? <LoaderCircle size={12} className="spin" aria-hidden /> : <span className="state-dot" aria-hidden="true" />}
            {LABEL[phase]}
          </span>
          <span className="vnc-stat">SPICE</span>
          {live && (
            <span className="vnc-stat" data-testid="console-resolution">
              {size ? `${size.w}×${size.h}` : '—'}
            </span>
          )}
        </div>
      </div>
    </PortalRoot.Provider>
  );
}
