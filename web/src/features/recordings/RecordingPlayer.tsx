// The recording player: noVNC draws the recorded stream (player.ts) with
// play/pause, seek (from the keyframe before the chosen time), speeds 1× to
// 8×, the user's input as an overlay, download, and export to WebM
// (MediaRecorder on noVNC's canvas, in real time at the chosen speed).

import type RFB from '@novnc/novnc';
import { Download, Film, Pause, Play } from 'lucide-react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Button } from '../../ui';
import { concat, decodeInput, EV_INPUT, EV_KEYFRAME, EV_SERVER, FakeChannel, fakeHandshake, keyframeFor, parseKeyframe, parseSegment, serverInit, type SegmentEvent } from './player';
import { recordingFileHref, recordingSegmentHref, type RecordingDetails } from './queries';

export const SPEEDS = [1, 2, 4, 8] as const;

interface Overlay {
  keys: { label: string; at: number }[];
  pointer: { x: number; y: number; buttons: number } | null;
}

/** Formats ms as m:ss. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

type RFBClass = new (target: HTMLElement, ch: WebSocket, o?: { shared?: boolean }) => RFB;

/** The playback state that lives outside React (per animation frame). */
class Engine {
  private segs = new Map<number, Promise<SegmentEvent[]>>();
  private rfb: RFB | null = null;
  private ch: FakeChannel | null = null;
  private seg = 0;
  private events: SegmentEvent[] = [];
  private idx = 0;
  private gen = 0;
  pos = 0;
  fb = { width: 0, height: 0 };
  playing = false;
  speed = 1;
  overlay: Overlay = { keys: [], pointer: null };
  onChange: () => void = () => undefined;
  onEnd: () => void = () => undefined;

  constructor(
    private RFBCtor: RFBClass,
    private target: HTMLElement,
    private d: RecordingDetails,
  ) {}

  get durationMs(): number {
    return this.d.duration * 1000;
  }

  private segment(n: number): Promise<SegmentEvent[]> {
    let p = this.segs.get(n);
    if (!p) {
      p = fetch(recordingSegmentHref(this.d.id, n), { credentials: 'same-origin' }).then(async (r) => {
        if (!r.ok) throw new Error(`segment ${n}: the server answered ${r.status}`);
        return parseSegment(await r.arrayBuffer());
      });
      p.catch(() => this.segs.delete(n));
      this.segs.set(n, p);
    }
    return p;
  }

  /** Shows time t (ms): a fresh decoder from the keyframe before it, the bytes up to t fed at once. */
  async seek(t: number): Promise<void> {
    const gen = ++this.gen;
    t = Math.max(0, Math.min(t, this.durationMs));
    const k = keyframeFor(this.d.keyframeTimes, t);
    const events = await this.segment(k);
    this.ready.set(k, events);
    if (gen !== this.gen) return;
    const kf = events[0]?.type === EV_KEYFRAME ? parseKeyframe(events[0].data) : null;
    if (!kf) throw new Error('the recording has no keyframe here');
    this.rfb?.disconnect();
    this.target.replaceChildren();
    const ch = new FakeChannel();
    const rfb = new this.RFBCtor(this.target, ch as unknown as WebSocket, { shared: true });
    rfb.viewOnly = true;
    rfb.scaleViewport = true;
    rfb.background = '#111';
    rfb.focusOnClick = false;
    this.rfb = rfb;
    this.ch = ch;
    this.fb = { width: kf.width, height: kf.height };
    await fakeHandshake(ch, serverInit(kf, this.d.vmName));
    if (gen !== this.gen) return;
    this.seg = k;
    this.events = events;
    this.idx = 1;
    this.pos = t;
    this.overlay = { keys: [], pointer: null };
    this.feedTo(t, false);
    this.onChange();
  }

  /** Feeds the events up to time t (ms) of the current segment; moves on to the next segments. */
  private feedTo(t: number, live: boolean): boolean {
    const server: Uint8Array[] = [];
    for (;;) {
      while (this.idx < this.events.length) {
        const ev = this.events[this.idx];
        if (!ev || ev.at > t) break;
        this.idx++;
        if (ev.type === EV_SERVER) server.push(ev.data);
        else if (ev.type === EV_INPUT) this.input(ev, live || t - ev.at < 3000);
      }
      if (this.idx < this.events.length) break;
      // The segment is done: the next one goes on in the same stream.
      const next = this.seg + 1;
      if (next >= this.d.keyframeTimes.length) {
        if (server.length) this.ch?.push(concat(server));
        return false;
      }
      const loaded = this.ready.get(next);
      if (!loaded) {
        this.load(next); // played once it is there: the frames after catch up
        break;
      }
      this.seg = next;
      this.events = loaded;
      this.idx = 1; // after the keyframe event
    }
    if (server.length) this.ch?.push(concat(server));
    // Load the next segment ahead.
    if (this.seg + 1 < this.d.keyframeTimes.length) this.load(this.seg + 1);
    return true;
  }

  /** Segments loaded, by number. */
  private ready = new Map<number, SegmentEvent[]>();

  private load(n: number) {
    if (this.ready.has(n)) return;
    this.segment(n).then(
      (e) => this.ready.set(n, e),
      () => undefined,
    );
  }

  private input(ev: SegmentEvent, show: boolean) {
    const i = decodeInput(ev.data);
    if (!i || !show) return;
    if (i.kind === 'pointer') this.overlay.pointer = { x: i.x, y: i.y, buttons: i.buttons };
    else if (i.down) this.overlay.keys = [...this.overlay.keys, { label: i.label, at: ev.at }].slice(-12);
  }

  /** One animation frame: the clock moves by dt (ms of wall time). */
  tick(dt: number): void {
    if (!this.playing) return;
    this.pos = Math.min(this.durationMs, this.pos + dt * this.speed);
    const more = this.feedTo(this.pos, true);
    this.overlay.keys = this.overlay.keys.filter((k) => this.pos - k.at < 3000);
    if (!more && this.pos >= this.durationMs) {
      this.playing = false;
      this.onEnd();
    }
    this.onChange();
  }

  setPlaying(on: boolean): void {
    this.playing = on;
  }

  setSpeed(x: number): void {
    this.speed = x;
  }

  canvas(): HTMLCanvasElement | null {
    return this.target.querySelector('canvas');
  }

  /** Where the overlay's pointer ring goes, in the stage's pixels. */
  pointerStyle(): { left: number; top: number } | undefined {
    const p = this.overlay.pointer;
    const c = this.canvas();
    const stage = this.target.parentElement;
    if (!p || !c || !stage || this.fb.width === 0) return undefined;
    const cr = c.getBoundingClientRect();
    const sr = stage.getBoundingClientRect();
    return { left: cr.left - sr.left + (p.x * cr.width) / this.fb.width, top: cr.top - sr.top + (p.y * cr.height) / this.fb.height };
  }

  dispose(): void {
    this.gen++;
    this.rfb?.disconnect();
    this.rfb = null;
  }
}

export function RecordingPlayer({ details }: { details: RecordingDetails }) {
  const screen = useRef<HTMLDivElement>(null);
  const [e, setEngine] = useState<Engine | null>(null);
  const [, setFrame] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [exporting, setExporting] = useState(false);
  const recorder = useRef<MediaRecorder | null>(null);

  useEffect(() => {
    let live = true; // set false by the cleanup, while the import runs
    const alive = () => live;
    let raf = 0;
    let disposed: Engine | null = null;
    let last = performance.now();
    import('@novnc/novnc').then(
      async (m) => {
        if (!live || !screen.current) return;
        const e = new Engine(m.default, screen.current, details);
        disposed = e;
        e.onChange = () => setFrame((f) => f + 1);
        e.onEnd = () => recorder.current?.stop();
        setEngine(e);
        if (details.keyframeTimes.length === 0) {
          setError('This recording has no keyframe yet: nothing to show.');
          return;
        }
        try {
          await e.seek(0);
          if (alive()) setReady(true);
        } catch (err) {
          if (alive()) setError(err instanceof Error ? err.message : String(err));
        }
        const loop = (now: number) => {
          e.tick(now - last);
          last = now;
          raf = requestAnimationFrame(loop);
        };
        raf = requestAnimationFrame(loop);
      },
      (err: unknown) => live && setError(err instanceof Error ? err.message : 'noVNC did not load'),
    );
    return () => {
      live = false;
      cancelAnimationFrame(raf);
      disposed?.dispose();
    };
  }, [details]);

  const pos = e?.pos ?? 0;
  const dur = details.duration * 1000;

  const seek = useCallback(
    (t: number) => {
      if (!e) return;
      e.seek(t).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    },
    [e],
  );

  const toggle = () => {
    if (!e) return;
    if (!e.playing && e.pos >= dur) {
      void e.seek(0).then(() => {
        e.setPlaying(true);
        setFrame((f) => f + 1);
      });
      return;
    }
    e.setPlaying(!e.playing);
    setFrame((f) => f + 1);
  };

  const exportWebM = () => {
    if (!e || typeof MediaRecorder === 'undefined') {
      setError('This browser cannot record the canvas (MediaRecorder).');
      return;
    }
    setExporting(true);
    e.seek(0).then(
      () => {
        // seek makes a new decoder and canvas: record that one (the one
        // before it no longer changes, and a recorder of it wrote nothing).
        const c = e.canvas();
        if (!c) {
          setExporting(false);
          setError('The player has no screen to record.');
          return;
        }
        const chunks: Blob[] = [];
        const rec = new MediaRecorder(c.captureStream(30), { mimeType: 'video/webm' });
        rec.ondataavailable = (ev) => {
          if (ev.data.size > 0) chunks.push(ev.data);
        };
        rec.onstop = () => {
          setExporting(false);
          recorder.current = null;
          if (chunks.length === 0) {
            setError('The export recorded no video frames; play the recording once, then export again.');
            return;
          }
          const a = document.createElement('a');
          a.href = URL.createObjectURL(new Blob(chunks, { type: 'video/webm' }));
          a.download = `${details.vmName}-${details.id}.webm`;
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
        };
        recorder.current = rec;
        rec.start(1000);
        // The stream sends a frame when the canvas changes, and the first
        // screen was drawn before the start: draw it again, unchanged.
        c.getContext('2d')?.drawImage(c, 0, 0);
        e.setPlaying(true);
      },
      (err: unknown) => {
        setExporting(false);
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  };

  const ov = e?.overlay;
  const pointerStyle = e?.pointerStyle();

  return (
    <div className="rec-player" data-ready={ready || undefined} data-playing={e?.playing ?? undefined}>
      <div className="rec-stage">
        <div className="rec-screen" ref={screen} role="img" aria-label={`Recording of ${details.vmName}`} />
        {pointerStyle && <span className={`rec-pointer${ov?.pointer?.buttons ? ' is-down' : ''}`} style={pointerStyle} aria-hidden />}
        {ov && ov.keys.length > 0 && (
          <div className="rec-keys" aria-label="Keys typed" data-testid="rec-keys">
            {ov.keys.map((k, i) => (
              <kbd key={`${k.at}-${i}`}>{k.label}</kbd>
            ))}
          </div>
        )}
      </div>
      {error && (
        <p className="rec-error" role="alert">
          {error}
        </p>
      )}
      <div className="rec-controls" role="toolbar" aria-label="Playback">
        <Button size="sm" onClick={toggle} disabled={!ready || exporting} aria-label={e?.playing ? 'Pause' : 'Play'}>
          {e?.playing ? <Pause size={14} aria-hidden /> : <Play size={14} aria-hidden />} {e?.playing ? 'Pause' : 'Play'}
        </Button>
        <span className="rec-time" data-testid="rec-time">
          {clock(pos)} / {clock(dur)}
        </span>
        <input
          type="range"
          className="rec-seek"
          aria-label="Position"
          min={0}
          max={Math.max(1, Math.round(dur))}
          step={100}
          value={Math.round(pos)}
          disabled={!ready || exporting}
          onChange={(ev) => seek(Number(ev.target.value))}
        />
        <label className="rec-speed">
          Speed{' '}
          <select
            value={e?.speed ?? 1}
            disabled={!ready}
            onChange={(ev) => {
              e?.setSpeed(Number(ev.target.value));
              setFrame((f) => f + 1);
            }}
          >
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <Button size="sm" asChild>
          <a href={recordingFileHref(details.id)} download>
            <Download size={14} aria-hidden /> Download
          </a>
        </Button>
        <Button size="sm" onClick={exportWebM} disabled={!ready || exporting}>
          <Film size={14} aria-hidden /> {exporting ? 'Exporting…' : 'Export WebM'}
        </Button>
      </div>
    </div>
  );
}
