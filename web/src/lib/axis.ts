// Axis scales for graphs: a top that contains the data and round ticks, in
// one unit per axis (a byte axis reads "0, 512 KiB, 1 MiB, 1.5 MiB", never
// "1000 B/s" beside "1.95 KiB/s").

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A round step for a span split in about `count` parts: 1, 2, 2.5 or 5 times a power of ten. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * pow >= raw - 1e-12) return m * pow;
  }
  return 10 * pow;
}

/** A round step for byte values: powers of two times 1, 2 or 5 … of the axis unit. */
function niceByteStep(span: number, count: number, unitSize: number): number {
  return niceStep(span / unitSize, count) * unitSize;
}

export interface Scale {
  /** The top of the axis: a whole number of steps, at least the data's max. */
  max: number;
  /** Tick values from 0 to max. */
  ticks: number[];
  /** Formats a tick label in the axis's one unit. */
  format: (v: number) => string;
  /** Formats any value (legends, read-outs) in the same unit, to three significant digits. */
  value: (v: number) => string;
  /** The unit every tick label uses, e.g. "MiB", "KiB/s" or "%". */
  unit: string;
}

export type AxisKind = 'percent' | 'bytes' | 'rate';

function trim(v: number, decimals: number): string {
  return String(Number(v.toFixed(decimals)));
}

/** Three significant digits at most (no exponent), trailing zeros dropped. */
function sig3(v: number): string {
  const a = Math.abs(v);
  return trim(v, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

/** Decimals enough to tell the ticks apart. */
function decimalsFor(step: number): number {
  if (step >= 1) return Number.isInteger(step) ? 0 : 1;
  return Math.min(3, Math.ceil(-Math.log10(step)) + (Number.isInteger(step * 10 ** Math.ceil(-Math.log10(step))) ? 0 : 1));
}

/**
 * The scale of a y axis from 0: its top is the first whole step at or
 * above both the data's max and `atLeast` (e.g. the VM's memory), so the
 * line never runs above the top tick; bytes and rates use one binary unit
 * chosen from the top, percentages end at 100 unless the data is higher.
 */
export function axisScale(kind: AxisKind, dataMax: number, atLeast = 0, ticks = 4): Scale {
  const top = Math.max(Number.isFinite(dataMax) ? dataMax : 0, atLeast, 0);
  if (kind === 'percent') {
    const want = top > 0 ? top : 100;
    const step = niceStep(want, ticks);
    const max = Math.ceil(want / step - 1e-9) * step;
    const d = decimalsFor(step);
    return { max, ticks: range(max, step), format: (v) => `${trim(v, d)}%`, value: (v) => `${sig3(v)}%`, unit: '%' };
  }
  const suffix = kind === 'rate' ? '/s' : '';
  const want = top > 0 ? top : 1024;
  let i = 0;
  while (i < BINARY.length - 1 && want / 1024 ** (i + 1) >= 1) i++;
  const unitSize = 1024 ** i;
  const step = niceByteStep(want, ticks, unitSize);
  const max = Math.ceil(want / step - 1e-9) * step;
  const d = decimalsFor(step / unitSize);
  const unit = `${BINARY[i] ?? 'B'}${suffix}`;
  return { max, ticks: range(max, step), format: (v) => `${trim(v / unitSize, d)} ${unit}`, value: (v) => `${sig3(v / unitSize)} ${unit}`, unit };
}

function range(max: number, step: number): number[] {
  const out: number[] = [];
  const n = Math.round(max / step);
  for (let k = 0; k <= n && k <= 100; k++) out.push(k * step);
  return out;
}

/** The largest finite value of some columns (0 when none). */
export function maxOf(...cols: readonly (readonly (number | null | undefined)[])[]): number {
  let m = 0;
  for (const col of cols) {
    for (const v of col) if (v !== null && v !== undefined && Number.isFinite(v) && v > m) m = v;
  }
  return m;
}
