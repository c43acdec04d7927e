// A VM's serial console: toolbar, status line, search bar and the terminal,
// shared by the Serial tab and the pop-out window. fill: "page" sizes the
// terminal to the rest of the window below it (the tab), "parent" fills the
// parent element (the pop-out window).

import {
  AArrowDown,
  AArrowUp,
  ChevronDown,
  ChevronUp,
  ClipboardPaste,
  Copy,
  Eraser,
  ExternalLink,
  LoaderCircle,
  Play,
  Plus,
  RefreshCw,
  Search,
  SquareTerminal,
  X,
} from 'lucide-react';
import { Popover } from 'radix-ui';
import { useCallback, useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { toast } from 'sonner';
import { ApiError } from '../../api/client';
import type { SerialDeviceAdded, VM } from '../../api/types';
import { IconButton, Tip } from '../../components/IconButton';
import { useFillPage } from '../../components/useFillPage';
import { useNow } from '../../components/useNow';
import { sentence } from '../../lib/format';
import { openPopout as openWindow } from '../../lib/popout';
import { useStore } from '../../lib/store';
import { isActive } from '../../resources/vm/model';
import { useAddSerialDevice } from '../../resources/vm/mutations';
import { useAccess } from '../security/useAccess';
import { toastError } from '../../components/toastError';
import { useVMAction } from '../vms/useVMAction';
import { copyText, readText } from './clipboard';
import type { SerialView } from './connection';
import { MAX_PASTE_BYTES, sttyCommand } from './protocol';
import { serialSettingsStore, stepFontSize, updateSerialSettings } from './serialSettings';
import { searchDecorations } from './theme';
import { useDocumentTheme, useSerialTerminal } from './useSerialTerminal';
import { Button } from '../../ui';
import './serial.css';

/** Opens (or brings forward) the VM's serial console window. */
export function openPopout(host: string, uuid: string): void {
  openWindow('serial', host, uuid);
}

/** The short label of the console's phase, for the toolbar. */
export function phaseLabel(v: SerialView, now: number): string {
  switch (v.phase) {
    case 'connecting':
      return v.takingOver ? 'Taking over…' : 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'vm-stopped':
      return 'VM stopped';
    case 'held':
      return v.takingOver ? 'Taking over…' : 'Held by another client';
    case 'no-console':
      return 'No serial console';
    case 'unavailable':
      return 'Unavailable, retrying';
    case 'reconnecting': {
      const s = Math.max(0, Math.ceil(((v.retryAt ?? now) - now) / 1000));
      return s > 0 ? `Reconnecting in ${s} s` : 'Reconnecting…';
    }
    case 'ended':
      return 'Closed';
  }
}

const TONE: Record<SerialView['phase'], 'ok' | 'warn' | 'off' | 'bad' | 'busy'> = {
  connecting: 'busy',
  connected: 'ok',
  'vm-stopped': 'off',
  held: 'warn',
  'no-console': 'off',
  unavailable: 'bad',
  reconnecting: 'warn',
  ended: 'off',
};

function StatusPill({ view }: { view: SerialView }) {
  const now = useNow(view.phase === 'reconnecting' ? 500 : 0);
  const busy = view.phase === 'connecting' || (view.phase === 'held' && view.takingOver);
  return (
    <span className={`serial-pill state state-${TONE[view.phase]}`} data-testid="serial-state" data-phase={view.phase}>
      {busy ? <LoaderCircle size={13} className="spin" aria-hidden /> : <span className="state-dot" aria-hidden="true" />}
      {phaseLabel(view, now)}
    </span>
  );
}

/** The line under the toolbar that says what is wrong and offers the way out. */
function StatusLine({ vm, view, onReconnect, onTakeOver }: { vm: VM; view: SerialView; onReconnect: () => void; onTakeOver: () => void }) {
  const { run, pending } = useVMAction(vm);
  const now = useNow(view.phase === 'reconnecting' ? 500 : 0);
  const fresh = useFresh(view.phase === 'connected' && (view.reopened === true || view.tookOver === true) ? view : null, 10_000);
  let body: React.ReactNode = null;
  let tone = 'info';
  switch (view.phase) {
    case 'vm-stopped':
      body = (
        <>
          <span>
            <strong>VM stopped.</strong> The console reconnects by itself when the VM starts, and shows its boot output.
          </span>
          {(vm.actions ?? []).includes('start') && (
            <Button size="sm" variant="primary" onClick={() => void run('start')} disabled={pending !== undefined}>
              {pending === 'start' ? <LoaderCircle size={14} className="spin" aria-hidden /> : <Play size={14} aria-hidden />}
              Start VM
            </Button>
          )}
        </>
      );
      break;
    case 'held':
      tone = 'warn';
      body = (
        <>
          <span>
            <strong>Held by another client.</strong> {view.message ? sentence(view.message) : 'Another client has this console open.'} libvirt allows
            one client at a time; taking it over disconnects the other one.
          </span>
          <Button size="sm" variant="primary" onClick={onTakeOver} disabled={view.takingOver}>
            {view.takingOver ? <LoaderCircle size={14} className="spin" aria-hidden /> : null}
            Take over
          </Button>
        </>
      );
      break;
    case 'unavailable':
      tone = 'bad';
      body = (
        <span>
          <strong>Console unavailable.</strong> {view.message ? sentence(view.message) : ''} KVM Manager retries by itself.
        </span>
      );
      break;
    case 'reconnecting': {
      tone = 'warn';
      const s = Math.max(0, Math.ceil(((view.retryAt ?? now) - now) / 1000));
      body = (
        <>
          <span>
            <strong>Disconnected</strong>
            {view.message ? `: ${view.message}` : ''}. {s > 0 ? `Reconnecting in ${s} s.` : 'Reconnecting…'}
          </span>
          <Button size="sm" onClick={onReconnect}>
            <RefreshCw size={14} aria-hidden />
            Reconnect
          </Button>
        </>
      );
      break;
    }
    case 'ended':
      tone = 'bad';
      body = (
        <span>
          <strong>{view.message ?? 'The console closed.'}</strong> {view.hint ? sentence(view.hint) : ''}
        </span>
      );
      break;
    case 'connected':
      if (view.tookOver && fresh) {
        body = <span>You have the console now; the other client was disconnected.</span>;
      } else if (view.reopened && fresh) {
        body = <span>The console reopened (the VM started again, or the connection to libvirt came back): what follows is new output.</span>;
      } else if (view.quiet) {
        body = <span>Connected. Nothing from the guest yet: a shell prints its prompt when you press Enter.</span>;
      }
      break;
    default:
      break;
  }
  // The line keeps one height whether it says something or not (the keys'
  // help fills it when it is quiet), so that the terminal below keeps its
  // size as notices come and go; a notice longer than a line lies over the
  // terminal's top rows instead of pushing it down.
  return (
    <div className="serial-status-slot">
      <div className={`serial-status${body ? ` serial-status-${tone}` : ' serial-status-empty'}`} role="status" aria-live="polite">
        {body}
      </div>
      {!body && (
        <p className="serial-help muted small">
          <kbd>Ctrl+Shift+F</kbd> find · <kbd>Ctrl+Shift+C</kbd> / <kbd>Ctrl+Shift+V</kbd> copy / paste · <kbd>Ctrl+]</kbd> leave the terminal
        </p>
      )}
    </div>
  );
}

/** Whether key changed (to non-null) less than ms ago: for notes that go away by themselves. */
function useFresh(key: object | null, ms: number): boolean {
  const [expired, setExpired] = useState<object | null>(null);
  useEffect(() => {
    if (!key) return;
    const t = setTimeout(() => setExpired(key), ms);
    return () => clearTimeout(t);
  }, [key, ms]);
  return key !== null && expired !== key;
}


/** The VM has no serial console: say so, and offer to add one. */
function NoConsolePanel({ vm, view }: { vm: VM; view: SerialView | null }) {
  const [added, setAdded] = useState<SerialDeviceAdded | null>(null);
  const add = useAddSerialDevice(vm, {
    onSuccess(res) {
      setAdded(res);
      toast.success(`Serial console added to ${vm.name}`, { description: res.nextStart ? 'It takes effect when the VM next starts.' : undefined });
    },
    onError: (err) => {
      if (!(err instanceof ApiError && err.code === 'serial_console_exists')) toastError(err);
    },
  });
  const running = isActive(vm.state);
  // The server's hint says when one was added already and waits for the next start.
  const pendingHint = view?.hint !== undefined && /was added/i.test(view.hint);
  const exists = add.error instanceof ApiError && add.error.code === 'serial_console_exists' ? add.error : null;
  // Adding a device changes the VM's definition: admins only.
  const { can, role } = useAccess();
  return (
    <div className="serial-empty" role="region" aria-label={`Serial console of ${vm.name}`}>
      <SquareTerminal size={32} aria-hidden />
      <h2>This VM has no serial console</h2>
      {added || exists || pendingHint ? (
        <>
          <p>{added ? added.message : exists ? sentence(exists.message) : sentence(view?.hint ?? '')}</p>
          {exists?.hint && <p className="muted">{sentence(exists.hint)}</p>}
        </>
      ) : (
        <>
          <p>
            A serial console is a text terminal on the VM’s first serial port: boot messages, a login prompt, a rescue shell — even when the network is
            down.
          </p>
          <p className="muted">
            Adding one changes the VM’s configuration; {running ? 'it takes effect when the VM next starts (shut down, then start)' : 'the VM gets it when it starts'}
            . The guest must use it too (on Linux, <code>console=ttyS0</code> on the kernel command line).
          </p>
          {can('vm.edit') ? (
            <Button variant="primary" onClick={() => add.mutate()} disabled={add.isPending}>
              {add.isPending ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Plus size={16} aria-hidden />}
              Add serial console
            </Button>
          ) : (
            <p className="muted" data-testid="role-hint">
              Only an admin can add one{role ? ` (your role: ${role})` : ''}: ask an admin to add a serial console from this tab.
            </p>
          )}
        </>
      )}
    </div>
  );
}

function SizeItem({ cols, rows, onType }: { cols: number; rows: number; onType: (cmd: string) => void }) {
  const cmd = sttyCommand(cols, rows);
  return (
    <Popover.Root>
      <Tip text="Terminal size: tell the guest">
        <Popover.Trigger asChild>
          <Button size="sm" variant="ghost" className="serial-size">
            <span className="sr-only">Terminal size </span>
            {cols}×{rows}
          </Button>
        </Popover.Trigger>
      </Tip>
      <Popover.Portal>
        <Popover.Content className="popover serial-size-pop" side="bottom" align="end" sideOffset={6} collisionPadding={8}>
          <h3 className="popover-title">Terminal size</h3>
          <p>
            This terminal is {cols} columns by {rows} rows. A serial line cannot tell the guest, so full-screen programs (editors, <code>top</code>)
            assume 80×24 until you set it:
          </p>
          <pre className="serial-cmd">{cmd}</pre>
          <div className="serial-size-actions">
            <Button
              size="sm"
              onClick={() => void copyText(cmd).then((ok) => (ok ? toast.success('Command copied') : toast.error('The browser did not allow copying')))}
            >
              <Copy size={14} aria-hidden /> Copy command
            </Button>
            <Popover.Close asChild>
              <Button size="sm" onClick={() => onType(cmd)}>
                <SquareTerminal size={14} aria-hidden /> Type it in the console
              </Button>
            </Popover.Close>
          </div>
          <p className="muted small">Typing leaves it on the command line: check it, then press Enter.</p>
          <Popover.Arrow className="popover-arrow" />
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

/** The paste box, for browsers that do not let the page read the clipboard. */
function PasteBox({ onSend, onClose }: { onSend: (text: string) => void; onClose: () => void }) {
  const [text, setText] = useState('');
  return (
    <div className="serial-bar" role="group" aria-label="Paste into the console">
      <label htmlFor="serial-paste" className="muted small">
        The browser does not let this page read the clipboard: paste here (Ctrl+V), then send.
      </label>
      <textarea
        id="serial-paste"
        className="serial-paste"
        rows={2}
        value={text}
        autoFocus
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
        }}
      />
      <Button size="sm" variant="primary" disabled={!text} onClick={() => onSend(text)}>
        Send
      </Button>
      <IconButton label="Close paste box" onClick={onClose}>
        <X size={16} aria-hidden />
      </IconButton>
    </div>
  );
}

function SearchBar({
  search,
  focusSignal,
  onClose,
}: {
  search: NonNullable<ReturnType<typeof useSerialTerminal>['search']>;
  focusSignal: number;
  onClose: () => void;
}) {
  const [q, setQ] = useState('');
  const [caseSensitive, setCaseSensitive] = useState(false);
  const [result, setResult] = useState<{ index: number; count: number } | null>(null);
  const theme = useDocumentTheme();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [focusSignal]);
  useEffect(() => {
    const sub = search.onDidChangeResults((r) => setResult({ index: r.resultIndex, count: r.resultCount }));
    return () => {
      sub.dispose();
      search.clearDecorations();
    };
  }, [search]);
  const find = (dir: 1 | -1, term = q, incremental = false, cs = caseSensitive) => {
    if (!term) {
      search.clearDecorations();
      setResult(null);
      return;
    }
    const opts = { caseSensitive: cs, decorations: searchDecorations(theme === 'dark') };
    const found = dir > 0 ? search.findNext(term, { ...opts, incremental }) : search.findPrevious(term, opts);
    if (!found) setResult({ index: -1, count: 0 });
  };
  const onKey = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      find(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
    }
  };
  let summary = '';
  if (q && result) summary = result.count === 0 ? 'No matches' : result.index >= 0 ? `${result.index + 1} of ${result.count}` : `${result.count}+ matches`;
  return (
    <div className="serial-bar" role="search" aria-label="Find in scrollback">
      <Search size={15} aria-hidden className="muted" />
      <input
        ref={input}
        type="search"
        aria-label="Find in scrollback"
        placeholder="Find in scrollback"
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          find(1, e.target.value, true);
        }}
        onKeyDown={onKey}
      />
      <span className="serial-matches small muted" aria-live="polite">
        {summary}
      </span>
      <label className="serial-check small">
        <input
          type="checkbox"
          checked={caseSensitive}
          onChange={(e) => {
            setCaseSensitive(e.target.checked);
            find(1, q, true, e.target.checked);
          }}
        />
        Match case
      </label>
      <IconButton label="Previous match" tip="Previous match (Shift+Enter)" onClick={() => find(-1)} disabled={!q}>
        <ChevronUp size={16} aria-hidden />
      </IconButton>
      <IconButton label="Next match" tip="Next match (Enter)" onClick={() => find(1)} disabled={!q}>
        <ChevronDown size={16} aria-hidden />
      </IconButton>
      <IconButton label="Close search" tip="Close search (Escape)" onClick={onClose}>
        <X size={16} aria-hidden />
      </IconButton>
    </div>
  );
}

export function SerialConsole({ vm, fill }: { vm: VM; fill: 'page' | 'parent' }) {
  const box = useRef<HTMLDivElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  const tools = useRef<HTMLDivElement>(null);
  const [searching, setSearching] = useState(false);
  // Bumped by every "find" (button, Ctrl+Shift+F): focuses the search box, also when it is open.
  const [findSignal, setFindSignal] = useState(0);
  const openSearch = () => {
    setSearching(true);
    setFindSignal((n) => n + 1);
  };
  const [pasting, setPasting] = useState(false);
  const fontSize = useStore(serialSettingsStore, (s) => s.fontSize);
  const running = isActive(vm.state);
  // A VM that is off and has no console: nothing to connect to until one is added.
  const offline = !running && !vm.serialConsole;
  const height = useFillPage(box, fill === 'page', 280);

  const copyRef = useRef<() => void>(() => undefined);
  const t = useSerialTerminal(screen, {
    host: vm.host,
    uuid: vm.uuid,
    running,
    enabled: !offline,
    label: `Serial console of ${vm.name}: input`,
    keys: {
      onFind: openSearch,
      onCopy: () => copyRef.current(),
      onLeave: () => tools.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus(),
      onSendProblem: (r, n) => {
        if (r === 'too-large') {
          toast.error('Too much to paste into a serial console at once', {
            description: `That is about ${Math.ceil(n / 1024)} KiB; up to ${MAX_PASTE_BYTES / 1024} KiB go at once. Transfer files another way (scp, a shared disk).`,
          });
        }
      },
    },
  });
  const { term, conn, view } = t;
  const noConsole = offline || view.phase === 'no-console';

  const focusTerm = useCallback(() => term?.focus(), [term]);
  const copySelection = () => {
    const sel = term?.getSelection() ?? '';
    if (!sel) {
      toast.info('Select text in the console first', { description: 'Drag with the mouse; double-click selects a word.' });
      return;
    }
    void copyText(sel).then((ok) => (ok ? toast.success('Copied') : toast.error('The browser did not allow copying', { description: 'Right-click the selection and choose Copy.' })));
    focusTerm();
  };
  useEffect(() => {
    copyRef.current = copySelection;
  });
  const paste = async () => {
    const text = await readText();
    if (text === null) {
      setPasting(true);
      return;
    }
    if (text) term?.paste(text);
    focusTerm();
  };

  // Focus the terminal when it appears, so that typing goes to the guest at once.
  useEffect(() => {
    if (term) term.focus();
  }, [term]);

  // Ctrl+Shift+F anywhere in the console (toolbar, status line) opens the search too.
  const onKeyDown = (e: ReactKeyboardEvent) => {
    if (e.ctrlKey && e.shiftKey && !e.altKey && e.code === 'KeyF') {
      e.preventDefault();
      openSearch();
    }
  };

  const disabled = !term;
  // Without a console, the panel covers the terminal, which stays laid out
  // (xterm measures its cells once) but out of reach (inert).
  return (
    <div ref={box} className={`serial serial-fill-${fill}`} style={height ? { height } : undefined} onKeyDown={onKeyDown}>
      {noConsole && <NoConsolePanel vm={vm} view={offline ? null : view} />}
      <div className="serial-console" inert={noConsole}>
        <div className="serial-toolbar" ref={tools} role="group" aria-label="Serial console tools">
          <StatusPill view={view} />
          {view.truncated && (
            <Tip text="The server keeps the recent output of a console (256 KiB by default); older output was dropped.">
              <span className="muted small serial-note" tabIndex={0}>
                older output dropped
              </span>
            </Tip>
          )}
          <span className="serial-spacer" />
          <IconButton label="Find in scrollback" tip="Find in scrollback (Ctrl+Shift+F)" onClick={openSearch} disabled={disabled} aria-pressed={searching}>
            <Search size={16} aria-hidden />
          </IconButton>
          <IconButton label="Copy selection" tip="Copy selection (Ctrl+Shift+C)" onClick={copySelection} disabled={disabled}>
            <Copy size={16} aria-hidden />
          </IconButton>
          <IconButton label="Paste" tip="Paste (Ctrl+Shift+V)" onClick={() => void paste()} disabled={disabled || !view.live}>
            <ClipboardPaste size={16} aria-hidden />
          </IconButton>
          <IconButton
            label="Clear screen"
            tip="Clear and reset this terminal (here only: the guest and other viewers are not affected)"
            onClick={() => {
              term?.reset();
              focusTerm();
            }}
            disabled={disabled}
          >
            <Eraser size={16} aria-hidden />
          </IconButton>
          <span className="serial-sep" aria-hidden />
          <IconButton label="Smaller text" tip={`Smaller text (now ${fontSize} px)`} onClick={() => updateSerialSettings({ fontSize: stepFontSize(fontSize, -1) })} disabled={fontSize <= 10}>
            <AArrowDown size={16} aria-hidden />
          </IconButton>
          <IconButton label="Larger text" tip={`Larger text (now ${fontSize} px)`} onClick={() => updateSerialSettings({ fontSize: stepFontSize(fontSize, 1) })} disabled={fontSize >= 24}>
            <AArrowUp size={16} aria-hidden />
          </IconButton>
          <SizeItem
            cols={t.cols}
            rows={t.rows}
            onType={(cmd) => {
              conn?.send(cmd);
              focusTerm();
            }}
          />
          {fill === 'page' && (
            <IconButton label="Open in a new window" tip="Open in a new window" onClick={() => openPopout(vm.host, vm.uuid)}>
              <ExternalLink size={16} aria-hidden />
            </IconButton>
          )}
        </div>
        <StatusLine vm={vm} view={view} onReconnect={() => conn?.connect()} onTakeOver={() => conn?.takeOver()} />
        {searching && t.search && (
          <SearchBar
            search={t.search}
            focusSignal={findSignal}
            onClose={() => {
              setSearching(false);
              focusTerm();
            }}
          />
        )}
        {pasting && (
          <PasteBox
            onClose={() => {
              setPasting(false);
              focusTerm();
            }}
            onSend={(text) => {
              term?.paste(text);
              setPasting(false);
              focusTerm();
            }}
          />
        )}
        <div className="serial-frame" role="region" aria-label={`Serial console of ${vm.name}`} data-phase={view.phase}>
          <div className="serial-screen" ref={screen} />
        </div>
      </div>
    </div>
  );
}
