// The terminal (xterm.js with the fit and search addons) and its
// connection, bound to a React component's lifetime. A small controller
// owns them and publishes a snapshot that components read with
// useSyncExternalStore.

import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState, useSyncExternalStore, type RefObject } from 'react';
import { api, vmPath } from '../../api/client';
import type { SerialTicket } from '../../api/types';
import { useStore } from '../../lib/store';
import { browserDeps, SerialConnection, type SendResult, type SerialView } from './connection';
import { serialSettingsStore, type SerialSettings } from './serialSettings';
import { DARK_THEME, documentTheme, LIGHT_THEME } from './theme';

/** Keys the terminal leaves to the page while it has focus, and input problems. */
export interface TerminalKeys {
  /** Ctrl+Shift+F: find in scrollback. */
  onFind: () => void;
  /** Ctrl+Shift+C: copy the selection. */
  onCopy: () => void;
  /** Ctrl+]: leave the terminal (as in virsh console), back to the toolbar. */
  onLeave: () => void;
  /** Input could not be sent. */
  onSendProblem: (r: Exclude<SendResult, 'sent'>, bytes: number) => void;
}

export interface SerialTerminal {
  term: Terminal | null;
  search: SearchAddon | null;
  conn: SerialConnection | null;
  view: SerialView;
  cols: number;
  rows: number;
}

const MONO = "ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";

/**
 * Rows are 1.2 times the font's height, not xterm's default 1.0: xterm's DOM
 * renderer makes each row as tall as the font's ascent plus descent, each
 * rounded to whole pixels, and clips the row (overflow: hidden). At device
 * pixel ratio 1, DejaVu Sans Mono (the monospace font of Debian's Chromium)
 * at 14 px measures 13 + 3 px (the descent, 3.3 px, rounded down), while its
 * underscore lies 3 to 4 px under the baseline: on pixel row 16 of a
 * 16-pixel row, clipped away (at 10 and 11 px too; at the other sizes it
 * kept one pixel row). The extra height is shared above and below the text,
 * so the underscore lands inside the row: measured at every font size the
 * settings offer, at ratios 1, 1.25, 1.5 and 2 (e2e: serial.spec.ts reads the
 * pixels at ratio 1).
 */
const LINE_HEIGHT = 1.2;

const initial: SerialTerminal = { term: null, search: null, conn: null, view: { phase: 'connecting', live: false }, cols: 80, rows: 24 };

/** Follows the app's theme (settings and the system's preference set data-theme on <html>). */
export function useDocumentTheme(): 'light' | 'dark' {
  const [theme, setTheme] = useState(documentTheme);
  useEffect(() => {
    const mo = new MutationObserver(() => setTheme(documentTheme()));
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => mo.disconnect();
  }, []);
  return theme;
}

const themeFor = (t: 'light' | 'dark') => (t === 'dark' ? DARK_THEME : LIGHT_THEME);

interface AttachOptions {
  host: string;
  uuid: string;
  running: boolean;
  label: string;
  keys: RefObject<TerminalKeys>;
}

/** Owns one terminal and its connection while attached to an element. */
class TerminalController {
  private snap: SerialTerminal = initial;
  private readonly listeners = new Set<() => void>();
  private fitAddon: FitAddon | null = null;
  private node: HTMLElement | null = null;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): SerialTerminal => this.snap;

  private publish(patch: Partial<SerialTerminal>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of [...this.listeners]) l();
  }

  /** Creates the terminal in node and connects it; the returned function undoes it all. */
  attach(node: HTMLElement, o: AttachOptions): () => void {
    const s = serialSettingsStore.get();
    const term = new Terminal({
      fontFamily: MONO,
      fontSize: s.fontSize,
      lineHeight: LINE_HEIGHT,
      scrollback: s.scrollback,
      theme: themeFor(documentTheme()),
      // Guest colours on our background stay readable (WCAG AA).
      minimumContrastRatio: 4.5,
      cursorBlink: true,
      cursorInactiveStyle: 'outline',
      scrollOnUserInput: true,
      // The search addon highlights matches with decorations, which xterm 6 counts as proposed API.
      allowProposedApi: true,
      macOptionIsMeta: true,
    });
    const fit = new FitAddon();
    const search = new SearchAddon({ highlightLimit: 2000 });
    term.loadAddon(fit);
    term.loadAddon(search);
    term.attachCustomKeyEventHandler((e) => handleKey(e, o.keys.current));
    term.open(node);
    term.textarea?.setAttribute('aria-label', o.label);
    this.fitAddon = fit;
    this.node = node;

    const conn = new SerialConnection(
      {
        write: (data, done) => term.write(data, done),
        reset: () => term.reset(),
      },
      browserDeps((force) => api<SerialTicket>(`${vmPath(o.host, o.uuid)}/serial`, { method: 'POST', body: force ? { force: true } : {} })),
    );
    const report = (r: SendResult, bytes: () => number) => {
      if (r !== 'sent') o.keys.current.onSendProblem(r, bytes());
    };
    const subs = [
      term.onData((d) => report(conn.send(d), () => new TextEncoder().encode(d).length)),
      term.onBinary((d) => report(conn.sendBinary(d), () => d.length)),
      term.onResize(({ cols, rows }) => this.publish({ cols, rows })),
    ];
    const unsubscribe = conn.subscribe(() => this.publish({ view: conn.view }));

    // Fit to the element whenever it changes size (window, font, layout).
    let frame = 0;
    const ro = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.fit());
    });
    ro.observe(node);
    this.fit();
    this.publish({ term, search, conn, view: conn.view, cols: term.cols, rows: term.rows });
    conn.start(o.running);
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
      for (const d of subs) d.dispose();
      unsubscribe();
      conn.dispose();
      term.dispose();
      this.fitAddon = null;
      this.node = null;
      this.publish(initial);
    };
  }

  /** Fits the terminal to its element, unless the element is not laid out (hidden). */
  fit(): void {
    if (this.fitAddon && this.node && this.node.clientWidth > 0 && this.node.clientHeight > 0) this.fitAddon.fit();
  }

  apply(settings: SerialSettings, theme: 'light' | 'dark'): void {
    const term = this.snap.term;
    if (!term) return;
    term.options.fontSize = settings.fontSize;
    term.options.scrollback = settings.scrollback;
    term.options.theme = themeFor(theme);
    this.fit();
  }
}

/** The terminal's own key bindings (false: xterm leaves the key alone). */
function handleKey(e: KeyboardEvent, keys: TerminalKeys): boolean {
  if (e.type !== 'keydown') return true;
  const ctrlShift = e.ctrlKey && e.shiftKey && !e.altKey && !e.metaKey;
  if (ctrlShift && e.code === 'KeyF') {
    e.preventDefault();
    keys.onFind();
    return false;
  }
  if (ctrlShift && e.code === 'KeyC') {
    e.preventDefault();
    keys.onCopy();
    return false;
  }
  // Ctrl+Shift+V: the browser pastes (a paste event that the terminal sends on) instead of typing ^V.
  if (ctrlShift && e.code === 'KeyV') return false;
  if (e.ctrlKey && !e.shiftKey && !e.altKey && !e.metaKey && e.code === 'BracketRight') {
    e.preventDefault();
    keys.onLeave();
    return false;
  }
  return true;
}

/**
 * Creates the terminal in el and connects it to the VM's serial console
 * while enabled. running says whether the VM runs (from the event stream);
 * label names the terminal's input for assistive technology.
 */
export function useSerialTerminal(
  el: RefObject<HTMLDivElement | null>,
  opts: { host: string; uuid: string; running: boolean; enabled: boolean; label: string; keys: TerminalKeys },
): SerialTerminal {
  const { host, uuid, enabled, running, label } = opts;
  const [ctl] = useState(() => new TerminalController());
  const settings = useStore(serialSettingsStore);
  const theme = useDocumentTheme();
  const keys = useRef(opts.keys);
  const runningRef = useRef(running);
  const labelRef = useRef(label);
  useEffect(() => {
    keys.current = opts.keys;
    runningRef.current = running;
    labelRef.current = label;
  });

  useEffect(() => {
    const node = el.current;
    if (!node || !enabled) return;
    return ctl.attach(node, { host, uuid, running: runningRef.current, label: labelRef.current, keys });
  }, [ctl, el, host, uuid, enabled]);

  const snap = useSyncExternalStore(ctl.subscribe, ctl.getSnapshot);

  // The VM's state, from the event stream.
  useEffect(() => {
    snap.conn?.setVMRunning(running);
  }, [snap.conn, running]);
  useEffect(() => {
    snap.term?.textarea?.setAttribute('aria-label', label);
  }, [snap.term, label]);
  // Settings and theme apply at once.
  useEffect(() => {
    if (snap.term) ctl.apply(settings, theme);
  }, [ctl, snap.term, settings, theme]);

  return snap;
}
