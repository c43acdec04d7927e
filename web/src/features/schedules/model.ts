// The policy form's rules (the server's, checked as you type), the request
// it sends, and how run times are written: in the server's time zone (as
// the server sent them) and in the browser's.

import { z } from 'zod';
import type { SchedulePolicy, SchedulePolicySpec, ScheduleRun } from '../../api/types';
import { formatDateTime } from '../../lib/format';

export const POLICY_NAME_MAX = 32;
export const KEEP_MAX = 1000;
export const DEFAULT_PATTERN = 'auto-{policy}-{yyyyMMdd-HHmm}';

const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export const KEEPS = [
  ['keepLast', 'Last', 'the newest N'],
  ['keepHourly', 'Hourly', 'the newest of each of the last N hours that have one'],
  ['keepDaily', 'Daily', 'the newest of each of the last N days'],
  ['keepWeekly', 'Weekly', 'the newest of each of the last N weeks (Monday to Sunday)'],
  ['keepMonthly', 'Monthly', 'the newest of each of the last N months'],
  ['keepYearly', 'Yearly', 'the newest of each of the last N years'],
] as const;

export type KeepKey = (typeof KEEPS)[number][0];

const keep = z.number({ error: 'Enter a number.' }).int('Enter a whole number.').min(0, 'Use 0 or more.').max(KEEP_MAX, `Use at most ${KEEP_MAX}.`);

export const policySchema = z.object({
  name: z
    .string()
    .min(1, 'Give the policy a name.')
    .max(POLICY_NAME_MAX, `Use at most ${POLICY_NAME_MAX} characters.`)
    .regex(POLICY_NAME, "Use letters, digits, '-' and '_', starting with a letter or digit."),
  description: z.string().max(500, 'Use at most 500 characters.'),
  schedule: z.string().trim().min(1, 'Enter a schedule, e.g. @daily or 30 2 * * *.'),
  namePattern: z.string().trim().min(1, 'Enter a name pattern.').max(100, 'Use at most 100 characters.'),
  keepLast: keep,
  keepHourly: keep,
  keepDaily: keep,
  keepWeekly: keep,
  keepMonthly: keep,
  keepYearly: keep,
  memory: z.boolean(),
  runWhileOff: z.boolean(),
  enabled: z.boolean(),
  /** "vms": the VMs listed; "host": every VM of the host. */
  scope: z.enum(['vms', 'host']),
  host: z.string().min(1, 'Choose a host.'),
  uuids: z.array(z.string()),
});

export type PolicyValues = z.infer<typeof policySchema>;

/** The form's starting values: a policy's, or a new one's for a VM (or a host). */
export function formValues(p: SchedulePolicy | undefined, host: string, uuid?: string): PolicyValues {
  if (!p) {
    return {
      name: '',
      description: '',
      schedule: '@daily',
      namePattern: DEFAULT_PATTERN,
      keepLast: 7,
      keepHourly: 0,
      keepDaily: 0,
      keepWeekly: 0,
      keepMonthly: 0,
      keepYearly: 0,
      // With memory by default: libvirt 9.0 takes a running VM's disk-only
      // snapshot as an external overlay that it cannot delete, so such a
      // policy could never prune. A shut-off VM's snapshot is disk-only anyway.
      memory: true,
      runWhileOff: false,
      enabled: true,
      scope: 'vms',
      host,
      uuids: uuid ? [uuid] : [],
    };
  }
  const r = p.retention ?? {};
  const targets = p.targets ?? [];
  const all = targets.find((t) => t.allVMs);
  return {
    name: p.name,
    description: p.description ?? '',
    schedule: p.schedule,
    namePattern: p.namePattern ?? DEFAULT_PATTERN,
    keepLast: r.keepLast ?? 0,
    keepHourly: r.keepHourly ?? 0,
    keepDaily: r.keepDaily ?? 0,
    keepWeekly: r.keepWeekly ?? 0,
    keepMonthly: r.keepMonthly ?? 0,
    keepYearly: r.keepYearly ?? 0,
    memory: p.memory ?? false,
    runWhileOff: p.runWhileOff ?? false,
    enabled: p.enabled ?? true,
    scope: all ? 'host' : 'vms',
    host: all?.host ?? targets[0]?.host ?? host,
    uuids: targets.filter((t) => !t.allVMs && t.uuid).map((t) => t.uuid as string),
  };
}

/** The request body for the form's values. */
export function specOf(v: PolicyValues): SchedulePolicySpec {
  return {
    name: v.name,
    description: v.description,
    schedule: v.schedule.trim(),
    namePattern: v.namePattern.trim(),
    retention: {
      keepLast: v.keepLast,
      keepHourly: v.keepHourly,
      keepDaily: v.keepDaily,
      keepWeekly: v.keepWeekly,
      keepMonthly: v.keepMonthly,
      keepYearly: v.keepYearly,
    },
    memory: v.memory,
    runWhileOff: v.runWhileOff,
    enabled: v.enabled,
    targets: v.scope === 'host' ? [{ host: v.host, allVMs: true }] : v.uuids.map((uuid) => ({ host: v.host, uuid })),
  };
}

/** The retention in words: "keep the last 7, 4 weekly"; "keep every snapshot" when nothing is set. */
export function describeRetention(r: SchedulePolicy['retention'] | undefined): string {
  const parts: string[] = [];
  for (const [key, label] of KEEPS) {
    const n = r?.[key] ?? 0;
    if (n > 0) parts.push(key === 'keepLast' ? `the last ${n}` : `${n} ${label.toLowerCase()}`);
  }
  return parts.length ? `keep ${parts.join(', ')}` : 'keep every snapshot';
}

/**
 * A run time as the server wrote it, in its own zone: the wall-clock part of
 * the RFC 3339 text ("2026-12-07 21:00"), without conversion.
 */
export function serverWallTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/.exec(iso);
  if (!m) return iso;
  return `${m[1]} ${m[2]}${m[3] && m[3] !== ':00' ? m[3] : ''}`;
}

/** The browser's time zone (IANA name), or undefined when the runtime does not say. */
export function browserZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** One run time in both zones: "2026-12-07 21:00 (server, UTC) · 7 Dec 2026, 22:00:00 (your time)". */
export function describeRunTime(iso: string, serverZone: string, browser = browserZone()): string {
  const server = `${serverWallTime(iso)} (server, ${serverZone})`;
  if (browser === serverZone) return server;
  return `${server} · ${formatDateTime(iso, { timeZone: browser })} (your time${browser ? `, ${browser}` : ''})`;
}

/** A run's result in a sentence. */
export function describeRun(run: ScheduleRun | undefined): string {
  if (!run) return 'Not run yet';
  switch (run.state) {
    case 'running':
      return 'Running now';
    case 'succeeded':
      return `Succeeded: ${run.message}`;
    case 'failed':
      return `Failed: ${run.message}`;
    case 'skipped':
      return `Skipped: ${run.message.replace(/^skipped: /, '')}`;
    default:
      return run.message;
  }
}

/** The policies whose runs failed 3 times in a row. */
export function alerting(policies: readonly SchedulePolicy[] | undefined): SchedulePolicy[] {
  return (policies ?? []).filter((p) => p.alert);
}
