// A VM's graphical console: toolbar, the noVNC screen, the fixes for what
// keeps it from connecting, and the status bar. Shared by the Console tab
// (fill: "page", the rest of the window below it) and the pop-out window
// (fill: "parent").

import { CircleHelp, ExternalLink, Eye, EyeOff, LoaderCircle, RefreshCw, Signal, SignalHigh, SignalLow, SignalMedium, Type, Unplug } from 'lucide-react';
import { Popover, Tooltip } from 'radix-ui';
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { VM } from '../../api/types';
import { useFillPage } from '../../components/useFillPage';
import { useNow } from '../../components/useNow';
import { sentence } from '../../lib/format';
import { openPopout as openWindow } from '../../lib/popout';
import { useStore } from '../../lib/store';
import { isActive } from '../../resources/vm/model';
import { helpStore, useCommandScope } from '../commands/CommandsProvider';
import type { ConsoleView } from './connection';
import { ConsoleFix } from './ConsoleFix';
import { DisplayMenu } from './displays/DisplayMenu';
import { consoleSettingsStore, type Scaling } from './consoleSettings';
import { InputPopover } from './InputPopover';
import { usePointerLock } from './pointerLock';
import { RecordingControl } from '../recordings/RecordingControl';
import { ClipboardPopover, FullscreenButton, PortalRoot, ScalingMenu, ScreenshotMenu, SendKeysMenu, ToolButton, TypeTextDialog } from './ConsoleTools';
import { formatMs, formatRate, qualityOf, secondsUntil, type Quality } from './metrics';
import { useVncConsole, type ConsoleStats } from './useVncConsole';
import { Button, IconButton } from '../../ui';
import './console.css';

/** Opens (or brings forward) the VM's console window. */
export function openPopout(host: string, uuid: string): void {
  openWindow('console', host, uuid);
}

/** The short label of the console's phase. */
export function phaseLabel(v: ConsoleView, now: number): string {
  switch (v.phase) {
    case 'connecting':
      return v.attempt ? `Reconnecting… (attempt ${v.attempt + 1})` : 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'reconnecting': {
      const s = secondsUntil(v.retryAt, now);
      return s > 0 ? `Disconnected · retry in ${s} s` : 'Reconnecting…';
    }
    case 'vm-stopped':
      return 'VM not running';
    case 'no-vnc':
      return 'No VNC display';
    case 'spice-only':
      return 'SPICE only';
    case 'not-listening':
      return 'VNC unreachable';
    case 'failed':
      return 'Unavailable';
    case 'disconnected':
      return 'Disconnected';
  }
}

const TONE: Record<ConsoleView['phase'], 'ok' | 'warn' | 'off' | 'bad' | 'busy'> = {
  connecting: 'busy',
  connected: 'ok',
  reconnecting: 'warn',
  'vm-stopped': 'off',
  'no-vnc': 'off',
  'spice-only': 'off',
  'not-listening': 'bad',
  failed: 'bad',
  disconnected: 'off',
};

interface KeyboardLock {
  lock?: (codes?: string[]) => Promise<void>;
  unlock?: () => void;
}
const keyboardAPI = (): KeyboardLock | undefined => (navigator as Navigator & { keyboard?: KeyboardLock }).keyboard;

/** Full screen for el, with the keyboard locked (where the browser can) so that shortcuts reach the guest. */
function useFullscreen(el: HTMLElement | null, lockKeys: boolean) {
  const [on, setOn] = useState(false);
  const [locked, setLocked] = useState(false);
  useEffect(() => {
    const change = () => {
      const now = el !== null && document.fullscreenElement === el;
      setOn(now);
      if (!now) {
        keyboardAPI()?.unlock?.();
        setLocked(false);
      }
    };
    document.addEventListener('fullscreenchange', change);
    return () => document.removeEventListener('fullscreenchange', change);
  }, [el]);
  const toggle = useCallback(() => {
    if (!el) return;
    if (document.fullscreenElement === el) {
      void document.exitFullscreen().catch(() => undefined);
      return;
    }
    el.requestFullscreen({ navigationUI: 'hide' }).then(
      () => {
        // Keys go to the VM from here on; the toolbar may hide.
        el.querySelector('canvas')?.focus({ preventScroll: true });
        const kb = keyboardAPI();
        if (lockKeys && kb?.lock) {
          kb.lock().then(
            () => setLocked(true),
            () => setLocked(false),
          );
        }
      },
      () => undefined,
    );
  }, [el, lockKeys]);
  return { on, locked, toggle };
}

/** Shows the toolbar in full screen when the pointer reaches the top, and hides it again. */
function useAutoHide(root: HTMLElement | null, fullscreen: boolean) {
  const [shown, setShown] = useState(true);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!root || !fullscreen) return;
    const chrome = root.querySelector<HTMLElement>('.vnc-chrome');
    const hideSoon = (ms: number) => {
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => {
        // Keep it while a menu of the toolbar is open or it has focus.
        if (chrome?.matches(':hover, :focus-within') || root.querySelector('.vnc-chrome [data-state="open"]')) {
          hideSoon(800);
          return;
        }
        setShown(false);
      }, ms);
    };
    // Shown at first (set when full screen began), so that the way out is seen.
    hideSoon(3000);
    const move = (e: MouseEvent) => {
      if (e.clientY <= 6) {
        window.clearTimeout(timer.current);
        setShown(true);
      } else if (e.clientY > (chrome?.offsetHeight ?? 60) + 30) {
        hideSoon(700);
      }
    };
    root.addEventListener('mousemove', move);
    return () => {
      root.removeEventListener('mousemove', move);
      window.clearTimeout(timer.current);
      setShown(true);
    };
  }, [root, fullscreen]);
  return fullscreen && shown;
}

function QualityIcon({ q }: { q: Quality }) {
  switch (q) {
    case 'good':
      return <SignalHigh size={14} aria-hidden />;
    case 'fair':
      return <SignalMedium size={14} aria-hidden />;
    case 'poor':
      return <SignalLow size={14} aria-hidden />;
    default:
      return <Signal size={14} aria-hidden />;
  }
}

function StatusItem({ tip, children, testid }: { tip: string; children: React.ReactNode; testid?: string }) {
  const container = useContextPortal();
  return (
    <Tooltip.Root>
      <Tooltip.Trigger asChild>
        <span className="vnc-stat" tabIndex={0} data-testid={testid}>
          {children}
        </span>
      </Tooltip.Trigger>
      <Tooltip.Portal container={container}>
        <Tooltip.Content className="tooltip" sideOffset={6}>
          {tip}
        </Tooltip.Content>
      </Tooltip.Portal>
    </Tooltip.Root>
  );
}

/** The console element, where popups render (so that they show in full screen). */
function useContextPortal(): HTMLElement | undefined {
  return useContext(PortalRoot) ?? undefined;
}

function StatusBar({ view, stats, viewOnly, locked }: { view: ConsoleView; stats: ConsoleStats; viewOnly: boolean; locked: boolean }) {
  const now = useNow(view.phase === 'reconnecting' ? 500 : 0);
  const live = view.phase === 'connected';
  const q = qualityOf(stats.rttMs);
  return (
    <div className="vnc-statusbar" role="status" aria-label="Console status" data-testid="console-status">
      <span className={`state state-${TONE[view.phase]}`} data-testid="console-state" data-phase={view.phase}>
        {view.phase === 'connecting' ? <LoaderCircle size={12} className="spin" aria-hidden /> : <span className="state-dot" aria-hidden="true" />}
        {phaseLabel(view, now)}
      </span>
      {!live && view.message && view.phase === 'reconnecting' && <span className="vnc-reason">{sentence(view.message)}</span>}
      {live && (
        <>
          <StatusItem tip="The guest’s screen resolution" testid="console-resolution">
            {stats.width > 0 ? `${stats.width}×${stats.height}` : '—'}
          </StatusItem>
          <StatusItem tip="Screen updates received per second (FramebufferUpdate messages). The VM sends updates only when its screen changes: a still screen shows 0." testid="console-fps">
            {formatRate(stats.updatesPerSecond)} updates/s
          </StatusItem>
          <StatusItem tip="Round trip: a one-pixel update request from this browser through KVM Manager to the VM’s VNC server and back (median of the last five, every 2 s)." testid="console-rtt">
            <span className={`vnc-quality vnc-quality-${q}`}>
              <QualityIcon q={q} />
              {formatMs(stats.rttMs)}
            </span>
          </StatusItem>
          {stats.scancodes !== undefined && (
            <StatusItem
              tip={
                stats.scancodes
                  ? 'Keys go to the VM as physical key positions (QEMU extended key events): the guest’s own keyboard layout decides the characters. Set the guest’s layout to match your keyboard.'
                  : 'Keys go to the VM as symbols; the VNC server maps them with its keymap.'
              }
            >
              {stats.scancodes ? 'keys: scancodes' : 'keys: symbols'}
            </StatusItem>
          )}
          {viewOnly && <span className="vnc-stat vnc-stat-flag">view only</span>}
          {locked && <span className="vnc-stat vnc-stat-flag">keyboard locked · hold Esc to leave full screen</span>}
        </>
      )}
    </div>
  );
}

function HelpPopover({ open, onOpenChange, f11 }: { open: boolean; onOpenChange: (o: boolean) => void; f11: boolean }) {
  const container = useContextPortal();
  return (
    <Popover.Root open={open} onOpenChange={onOpenChange}>
      <Popover.Trigger asChild>
        <IconButton label="Console keys and help" tip="Console keys and help (F1 or ? when the screen does not have focus)" container={container}>
          <CircleHelp size={16} aria-hidden />
        </IconButton>
      </Popover.Trigger>
      <Popover.Portal container={container}>
        <Popover.Content className="popover vnc-help" side="bottom" align="end" sideOffset={6} collisionPadding={8}>
          <h3 className="popover-title">Console keys</h3>
          <dl className="kv">
            <dt>Click the screen</dt>
            <dd>Keyboard and mouse go to the VM</dd>
            <dt>
              <kbd>F11</kbd>
            </dt>
            <dd>{f11 ? 'Full screen on and off' : 'Goes to the VM (see Settings → Console)'}</dd>
            <dt>Leave full screen</dt>
            <dd>
              {f11 ? <kbd>F11</kbd> : null}
              {f11 ? ', ' : ''}the toolbar’s button (move the pointer to the top edge), or hold <kbd>Esc</kbd> (Chrome, Edge). A short Esc goes to the VM.
            </dd>
            <dt>Send keys</dt>
            <dd>Ctrl+Alt+Del, Ctrl+Alt+F1…F12 and other keys the browser keeps</dd>
            <dt>Type text</dt>
            <dd>Types text as key presses for the guest’s keyboard layout, where the clipboard does not work</dd>
            <dt>
              <kbd>F1</kbd> / <kbd>?</kbd>
            </dt>
            <dd>This help, when the screen does not have focus</dd>
          </dl>
          <p className="muted small">Several displays: the VM’s VNC display shows its first screen; the Display menu (shown when the VM has more than one) opens the others that QEMU serves over VNC.</p>
          <Popover.Arrow className="popover-arrow" />
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

export function VncConsole({ vm, fill, display = 0 }: { vm: VM; fill: 'page' | 'parent'; display?: number }) {
  const settings = useStore(consoleSettingsStore);
  const box = useRef<HTMLDivElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  const [rootEl, setRootEl] = useState<HTMLDivElement | null>(null);
  const [scaling, setScaling] = useState<Scaling>(settings.scaling);
  const [viewOnly, setViewOnly] = useState(settings.viewOnly);
  const [typing, setTyping] = useState<{ open: boolean; text: string }>({ open: false, text: '' });
  const [help, setHelp] = useState(false);
  const running = isActive(vm.state);
  const height = useFillPage(box, fill === 'page', 360);
  const fs = useFullscreen(rootEl, settings.passthrough);
  const chromeShown = useAutoHide(rootEl, fs.on);

  const setRoot = useCallback((el: HTMLDivElement | null) => {
    box.current = el;
    setRootEl(el);
  }, []);

  const c = useVncConsole(screen, {
    host: vm.host,
    uuid: vm.uuid,
    running,
    scaling,
    viewOnly,
    quality: settings.quality,
    compression: settings.compression,
    dotCursor: settings.dotCursor,
    label: `Screen of ${vm.name}`,
    display,
    onKey: (e) => {
      if (e.code === 'F11' && settings.f11Fullscreen && !e.ctrlKey && !e.altKey && !e.metaKey) {
        if (e.type === 'keydown' && !e.repeat) fs.toggle();
        return true;
      }
      return false;
    },
  });
  const { view, rfb, conn } = c;
  const pointerLocked = usePointerLock(screen);

  const showHelp = () => {
    if (fs.on) setHelp(true);
    else helpStore.set(true);
  };
  useCommandScope('console', {
    toggleFullscreen: settings.f11Fullscreen ? fs.toggle : undefined,
    showHelp,
    toggleHelp: () => {
      if (fs.on) setHelp((h) => !h);
      else helpStore.set((o) => !o);
    },
  });

  const live = view.phase === 'connected' && rfb !== null;
  // Nothing to scale or show full screen until the VM has a display to connect to.
  const noScreen = view.phase === 'no-vnc' || view.phase === 'spice-only' || view.phase === 'not-listening' || view.phase === 'failed';
  const waiting = view.phase === 'connecting' || view.phase === 'reconnecting';
  const now = useNow(view.phase === 'reconnecting' ? 500 : 0);
  const focusScreen = () => window.setTimeout(() => rfb?.focus({ preventScroll: true }), 0);

  return (
    <PortalRoot.Provider value={rootEl}>
      <div
        ref={setRoot}
        role="group"
        aria-label={`Graphical console of ${vm.name}`}
        className={`vnc vnc-fill-${fill}${fs.on ? ' is-fullscreen' : ''}${chromeShown ? ' chrome-shown' : ''}`}
        style={height && !fs.on ? { height } : undefined}
        data-phase={view.phase}
        data-live={live || undefined}
        data-fullscreen={fs.on || undefined}
      >
        <div className="vnc-chrome">
          <div className="vnc-toolbar toolbar-labels toolbar-labels-roomy" role="toolbar" aria-label="Console tools">
            <SendKeysMenu rfb={rfb} disabled={!live || viewOnly} />
            <ToolButton showLabel="wide" label="Type text" tip="Type text into the VM as key presses" onClick={() => setTyping({ open: true, text: '' })} disabled={!live || viewOnly}>
              <Type size={16} aria-hidden />
            </ToolButton>
            <ClipboardPopover rfb={live && !viewOnly ? rfb : null} guest={c.guestClipboard} onType={(text) => setTyping({ open: true, text })} />
            <ScreenshotMenu rfb={rfb} host={vm.host} uuid={vm.uuid} vmName={vm.name} running={running} />
            <span className="vnc-sep" aria-hidden />
            <ScalingMenu
              disabled={noScreen}
              value={scaling}
              onChange={(s) => {
                setScaling(s);
                focusScreen();
              }}
            />
            <ToolButton
              showLabel="wide"
              label="View only"
              tip={viewOnly ? 'View only: keyboard and mouse do not reach the VM. Click to control it.' : 'View only: watch without sending keys or mouse'}
              aria-pressed={viewOnly}
              disabled={noScreen}
              onClick={() => setViewOnly((v) => !v)}
            >
              {viewOnly ? <EyeOff size={16} aria-hidden /> : <Eye size={16} aria-hidden />}
            </ToolButton>
            <FullscreenButton on={fs.on} onToggle={fs.toggle} disabled={noScreen && !fs.on} />
            <InputPopover vm={vm} screen={screen} locked={pointerLocked} disabled={!live || viewOnly} />
            <RecordingControl host={vm.host} uuid={vm.uuid} live={live} />
            <span className="vnc-spacer" />
            {view.phase === 'connected' || waiting ? (
              <ToolButton showLabel="wide" label="Disconnect" tip="Close this console (the VM keeps running)" onClick={() => conn?.disconnect()}>
                <Unplug size={16} aria-hidden />
              </ToolButton>
            ) : null}
            <ToolButton showLabel="wide" label="Reconnect" tip="Reconnect now" onClick={() => conn?.connect()} disabled={!conn}>
              <RefreshCw size={16} aria-hidden />
            </ToolButton>
            {fill === 'page' && (
              <ToolButton showLabel="wide" text="New window" label="Open in a new window" onClick={() => openPopout(vm.host, vm.uuid)}>
                <ExternalLink size={16} aria-hidden />
              </ToolButton>
            )}
            <DisplayMenu vm={vm} current={display} container={rootEl ?? undefined} />
            <HelpPopover open={help} onOpenChange={setHelp} f11={settings.f11Fullscreen} />
          </div>
          {view.phase === 'reconnecting' && (
            <div className="vnc-notice" role="alert">
              <span>
                <strong>Disconnected:</strong> {sentence(view.message)} {secondsUntil(view.retryAt, now) > 0 ? `Reconnecting in ${secondsUntil(view.retryAt, now)} s.` : 'Reconnecting…'}
              </span>
              <Button size="sm" onClick={() => conn?.connect()}>
                <RefreshCw size={14} aria-hidden /> Reconnect now
              </Button>
            </div>
          )}
        </div>
        <div className="vnc-stage">
          <div className="vnc-screen" ref={screen} role="region" aria-label={`Console of ${vm.name}`} />
          {!live && waiting && c.lastFrame && <img className="vnc-lastframe" src={c.lastFrame} alt="" aria-hidden />}
          {!live && waiting && !c.lastFrame && (
            <div className="vnc-skeleton" aria-hidden="true">
              <div className="vnc-skeleton-screen" />
            </div>
          )}
          {!live && waiting && (
            <div className="vnc-waiting muted" role="status">
              <LoaderCircle size={18} className="spin" aria-hidden /> {view.phase === 'reconnecting' ? 'Waiting to reconnect…' : `Connecting to the console of ${vm.name}…`}
            </div>
          )}
          {c.loadError !== null && (
            <div className="vnc-fix" role="alert">
              <h2>The console could not be loaded</h2>
              <p>{c.loadError instanceof Error ? c.loadError.message : 'noVNC, the VNC viewer, did not load.'}</p>
              <p className="muted">Reload the page; if KVM Manager was updated, the page is older than the server.</p>
            </div>
          )}
          <ConsoleFix vm={vm} view={view} onReconnect={() => conn?.connect()} />
        </div>
        <StatusBar view={view} stats={c.stats} viewOnly={viewOnly} locked={fs.locked} />
        <TypeTextDialog rfb={rfb} open={typing.open} initial={typing.text} onOpenChange={(open) => setTyping((t) => ({ ...t, open }))} />
      </div>
    </PortalRoot.Provider>
  );
}
