// Pure formatting helpers: sizes, rates, percentages, durations, times.

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Formats a byte count with binary units: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < BINARY_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const unit = BINARY_UNITS[i] ?? 'B';
  if (i === 0) return `${Math.round(v)} B`;
  return `${trimNumber(v)} ${unit}`;
}

/** Formats KiB (libvirt's memory unit) with binary units. */
export function formatKiB(kib: number | null | undefined): string {
  if (kib === null || kib === undefined) return '—';
  return formatBytes(kib * 1024);
}

/** Formats a byte rate: 2048 → "2 KiB/s". */
export function formatRate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—';
  return `${formatBytes(bps)}/s`;
}

/** Formats a percentage: whole numbers from 10 up, one decimal below. */
export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const v = Math.max(0, p);
  if (v === 0) return '0%';
  if (v < 0.1) return '<0.1%';
  if (v < 10) return `${trimNumber(v, 1)}%`;
  return `${Math.round(v)}%`;
}

/** Three significant digits at most, trailing zeros dropped: 1.50 → "1.5". */
function trimNumber(v: number, maxDecimals?: number): string {
  const decimals = maxDecimals ?? (v >= 100 ? 0 : v >= 10 ? 1 : 2);
  return String(Number(v.toFixed(decimals)));
}

/** Formats a duration in milliseconds: "450 ms", "12 s", "3 min 5 s", "2 h 4 min", "3 d 2 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Says how long ago a time was, relative to now: "just now", "5 s ago", "3 min ago". */
export function formatAgo(time: string | number | Date, now: number = Date.now()): string {
  const t = new Date(time).getTime();
  if (Number.isNaN(t)) return '—';
  const d = now - t;
  if (d < 2000) return 'just now';
  if (d < 0) return 'just now';
  return `${formatDuration(Math.floor(d / 1000) * 1000).replace(/ \d+ s$/, '')} ago`;
}

/** Says how far in the future a time is: "in 4 s", "now". */
export function formatIn(time: string | number | Date, now: number = Date.now()): string {
  const t = new Date(time).getTime();
  if (Number.isNaN(t)) return '—';
  const d = t - now;
  if (d < 1000) return 'now';
  return `in ${formatDuration(Math.ceil(d / 1000) * 1000)}`;
}

/**
 * The app's one way of writing a moment: date (with its year, so that a
 * time read across days can be placed) and time to the second, in the
 * browser's locale and zone ("7 Dec 2026, 13:02:11" in en-GB).
 */
const DATE_TIME: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};

/** Where a moment is written for: the browser's locale and zone unless given (tests). */
export interface DateTimeWhere {
  locale?: string;
  timeZone?: string;
}

/** Formats a date and time, the one date format of the app (see DATE_TIME); '—' for no valid time. */
export function formatDateTime(time: string | number | Date, where: DateTimeWhere = {}): string {
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return '—';
  return new Intl.DateTimeFormat(where.locale, { ...DATE_TIME, timeZone: where.timeZone }).format(d);
}

/**
 * Formats a moment exactly as formatDateTime does: kept so that code
 * written against the old clock-only format gets the one date format.
 */
export function formatTime(time: string | number | Date): string {
  return formatDateTime(time);
}

/** "1 vCPU", "4 vCPUs". */
export function formatVCPUs(n: number): string {
  return `${n} vCPU${n === 1 ? '' : 's'}`;
}

/** Pluralises a count: plural(3, 'snapshot') → "3 snapshots". */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** Makes a server message read as a sentence: capital first letter, final full stop. */
export function sentence(s: string | undefined): string {
  const t = (s ?? '').trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…)]$/.test(first) ? first : `${first}.`;
}
