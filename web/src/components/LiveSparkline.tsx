// Live pieces of a VM card that draw from the stats store themselves: each
// subscribes to one VM's series and writes the SVG path or the text through
// a ref, so a stats tick re-renders no React component (issue 13, "live
// data without re-rendering cards"). The store coalesces ticks into one
// flush per animation frame and keeps no series that nobody watches.

import { memo, useEffect, useRef } from 'react';
import { statsStore, type Point } from '../api/stats';
import { sparkLabel, sparkPath } from './Sparkline';

function setD(el: SVGPathElement | null, d: string): void {
  if (!el) return;
  if (d) el.setAttribute('d', d);
  else el.removeAttribute('d');
}

export interface LiveSparklineProps {
  /** The stats store key of the VM ("host/uuid"). */
  seriesKey: string;
  field: 'cpu' | 'mem';
  /** The value at the top of the graph. */
  max: number;
  windowMs: number;
  label: string;
}

/** A sparkline that redraws itself when its VM's series changes, and only then. */
export const LiveSparkline = memo(function LiveSparkline({ seriesKey, field, max, windowMs, label }: LiveSparklineProps) {
  const line = useRef<SVGPathElement>(null);
  const area = useRef<SVGPathElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  useEffect(() => {
    let drawn: readonly Point[] | null = null;
    const draw = () => {
      const pts = statsStore.snapshot(seriesKey);
      if (pts === drawn) return; // unchanged: the same frozen snapshot
      drawn = pts;
      const p = sparkPath(pts, field, max, windowMs);
      setD(line.current, p.line);
      setD(area.current, p.area);
      svg.current?.setAttribute('aria-label', sparkLabel(label, pts, field));
    };
    draw();
    return statsStore.subscribe(seriesKey, draw);
  }, [seriesKey, field, max, windowMs, label]);
  return (
    <svg ref={svg} className={`spark spark-${field}`} viewBox="0 0 120 28" preserveAspectRatio="none" role="img" aria-label={label}>
      <path ref={area} className="spark-area" />
      <path ref={line} className="spark-line" vectorEffect="non-scaling-stroke" />
    </svg>
  );
});

export interface LiveTextProps {
  seriesKey: string;
  /** The text for the newest point (undefined before any), and an optional title. */
  text: (p: Point | undefined) => { text: string; title?: string };
  className?: string;
  testId?: string;
}

/** A text that follows its VM's newest sample, written through a ref. */
export const LiveText = memo(function LiveText({ seriesKey, text, className, testId }: LiveTextProps) {
  const el = useRef<HTMLSpanElement>(null);
  const first = text(statsStore.latest(seriesKey));
  useEffect(() => {
    let shown = '';
    const update = () => {
      const t = text(statsStore.latest(seriesKey));
      const key = `${t.text}\u0000${t.title ?? ''}`;
      if (key === shown || !el.current) return;
      shown = key;
      el.current.textContent = t.text;
      if (t.title) el.current.title = t.title;
      else el.current.removeAttribute('title');
    };
    update();
    return statsStore.subscribe(seriesKey, update);
  }, [seriesKey, text]);
  return (
    <span ref={el} className={className} title={first.title} data-testid={testId}>
      {first.text}
    </span>
  );
});
