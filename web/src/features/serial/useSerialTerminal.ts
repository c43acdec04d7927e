// The terminal (xterm.js with the fit and search addons) and its
// connection, bound to a React component's lifetime.

import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState, useSyncExternalStore, type RefObject } from 'react';
import { api, vmPath } from '../../api/client';
import type { SerialTicket } from '../../api/types';
import { useStore } from '../../lib/store';
import { browserDeps, SerialConnection, type SendResult, type SerialView } from './connection';
import { serialSettingsStore } from './serialSettings';
import { DARK_THEME, documentTheme, LIGHT_THEME } from './theme';

/** Keys the terminal leaves to the page while it has focus. */
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
  /** Refits the terminal to its element (after a layout change). */
  fit: () => void;
}

const MONO = "ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";

const idle: SerialView = { phase: 'connecting', live: false };
const noop = () => () => undefined;

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

/**
 * Creates the terminal in el and connects it to the VM's serial console.
 * running says whether the VM runs (from the event stream); label names the
 * terminal's input for assistive technology.
 */
export function useSerialTerminal(
  el: RefObject<HTMLDivElement | null>,
  opts: { host: string; uuid: string; running: boolean; enabled: boolean; label: string; keys: TerminalKeys },
): SerialTerminal {
  const { host, uuid, enabled } = opts;
  const settings = useStore(serialSettingsStore);
  const theme = useDocumentTheme();
  const [parts, setParts] = useState<{ term: Terminal; fit: FitAddon; search: SearchAddon; conn: SerialConnection } | null>(null);
  const [size, setSize] = useState({ cols: 80, rows: 24 });
  const keys = useRef(opts.keys);
  const running = useRef(opts.running);
  const label = useRef(opts.label);
  useEffect(() => {
    keys.current = opts.keys;
    label.current = opts.label;
  });

  // The terminal and its connection live as long as the component (and the VM).
  useEffect(() => {
    const node = el.current;
    if (!node || !enabled) return;
    const s = serialSettingsStore.get();
    const term = new Terminal({
      fontFamily: MONO,
      fontSize: s.fontSize,
      scrollback: s.scrollback,
      theme: documentTheme() === 'dark' ? DARK_THEME : LIGHT_THEME,
      // Guest colours on our background stay readable (WCAG AA).
      minimumContrastRatio: 4.5,
      cursorBlink: true,
      cursorInactiveStyle: 'outline',
      allowProposedApi: false,
      scrollOnUserInput: true,
      macOptionIsMeta: true,
    });
    const fit = new FitAddon();
    const search = new SearchAddon({ highlightLimit: 2000 });
    term.loadAddon(fit);
    term.loadAddon(search);
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown') return true;
      const ctrlShift = e.ctrlKey && e.shiftKey && !e.altKey && !e.metaKey;
      if (ctrlShift && e.code === 'KeyF') {
        e.preventDefault();
        keys.current.onFind();
        return false;
      }
      if (ctrlShift && e.code === 'KeyC') {
        e.preventDefault();
        keys.current.onCopy();
        return false;
      }
      // Ctrl+Shift+V: let the browser paste (a paste event the terminal sends on) instead of typing ^V.
      if (ctrlShift && e.code === 'KeyV') return false;
      if (e.ctrlKey && !e.shiftKey && !e.altKey && !e.metaKey && e.code === 'BracketRight') {
        e.preventDefault();
        keys.current.onLeave();
        return false;
      }
      return true;
    });
    term.open(node);
    term.textarea?.setAttribute('aria-label', label.current);

    const conn = new SerialConnection(
      {
        write: (data, done) => term.write(data, done),
        reset: () => term.reset(),
      },
      browserDeps((force) => api<SerialTicket>(`${vmPath(host, uuid)}/serial`, { method: 'POST', body: force ? { force: true } : {} })),
    );
    const report = (r: SendResult, bytes: number) => {
      if (r !== 'sent') keys.current.onSendProblem(r, bytes);
    };
    const onData = term.onData((d) => report(conn.send(d), d.length));
    const onBinary = term.onBinary((d) => report(conn.sendBinary(d), d.length));
    const onResize = term.onResize(({ cols, rows }) => setSize({ cols, rows }));

    // Fit to the element whenever it changes size (window, font, layout).
    let frame = 0;
    const refit = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (node.clientWidth > 0 && node.clientHeight > 0) fit.fit();
      });
    };
    const ro = new ResizeObserver(refit);
    ro.observe(node);
    if (node.clientWidth > 0 && node.clientHeight > 0) fit.fit();
    setSize({ cols: term.cols, rows: term.rows });

    setParts({ term, fit, search, conn });
    conn.start(running.current);
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
      onData.dispose();
      onBinary.dispose();
      onResize.dispose();
      conn.dispose();
      term.dispose();
      setParts(null);
    };
  }, [el, host, uuid, enabled]);

  // The VM's state, from the event stream.
  useEffect(() => {
    running.current = opts.running;
    parts?.conn.setVMRunning(opts.running);
  }, [parts, opts.running]);

  useEffect(() => {
    parts?.term.textarea?.setAttribute('aria-label', opts.label);
  }, [parts, opts.label]);

  // Settings and theme apply at once.
  useEffect(() => {
    if (!parts) return;
    parts.term.options.fontSize = settings.fontSize;
    parts.term.options.scrollback = settings.scrollback;
    const node = el.current;
    if (node && node.clientWidth > 0 && node.clientHeight > 0) parts.fit.fit();
  }, [parts, settings.fontSize, settings.scrollback, el]);
  useEffect(() => {
    if (parts) parts.term.options.theme = theme === 'dark' ? DARK_THEME : LIGHT_THEME;
  }, [parts, theme]);

  const view = useSyncExternalStore(parts?.conn.subscribe ?? noop, parts?.conn.getView ?? (() => idle));

  return {
    term: parts?.term ?? null,
    search: parts?.search ?? null,
    conn: parts?.conn ?? null,
    view,
    cols: size.cols,
    rows: size.rows,
    fit: () => {
      const node = el.current;
      if (parts && node && node.clientWidth > 0 && node.clientHeight > 0) parts.fit.fit();
    },
  };
}
