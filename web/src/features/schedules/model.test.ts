import { describe, expect, it } from 'vitest';
import { policySchema, formValues, specOf, describeRetention, serverWallTime, describeRunTime, describeRun, alerting } from './model';
import type { SchedulePolicy } from '../../api/types';

const policy = (over: Partial<SchedulePolicy> = {}): SchedulePolicy => {
  const p: SchedulePolicy = {
    id: 'a1',
    name: 'nightly',
    schedule: '30 2 * * *',
    namePattern: 'auto-{policy}-{yyyyMMdd-HHmm}',
    retention: { keepLast: 3, keepDaily: 7 },
    targets: [{ host: 'local', uuid: 'u1' }],
    created: '2026-12-07T20:00:00Z',
    updated: '2026-12-07T20:00:00Z',
    scheduleText: 'at 02:30',
    next: [],
    status: { failures: 0 },
    alert: false,
    running: false,
    ...over,
  };
  return p;
};

describe('policy form', () => {
  it('round-trips a policy through the form', () => {
    const v = formValues(policy(), 'local');
    expect(policySchema.safeParse(v).success).toBe(true);
    const spec = specOf(v);
    expect(spec.targets).toEqual([{ host: 'local', uuid: 'u1' }]);
    expect(spec.retention).toMatchObject({ keepLast: 3, keepDaily: 7, keepWeekly: 0 });
  });
  it('attaches to all VMs of a host', () => {
    const v = { ...formValues(undefined, 'local', 'u1'), name: 'all', scope: 'host' as const };
    expect(specOf(v).targets).toEqual([{ host: 'local', allVMs: true }]);
    expect(formValues(policy({ targets: [{ host: 'h2', allVMs: true }] }), 'local')).toMatchObject({ scope: 'host', host: 'h2' });
  });
  it('refuses what the server refuses', () => {
    const base = formValues(undefined, 'local', 'u1');
    for (const bad of [{ name: '' }, { name: '-x' }, { name: 'a b' }, { name: 'x'.repeat(33) }, { keepLast: -1 }, { keepDaily: 1001 }, { keepWeekly: 1.5 }, { schedule: ' ' }]) {
      expect(policySchema.safeParse({ ...base, name: 'ok', ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('words', () => {
  it('says the retention', () => {
    expect(describeRetention({ keepLast: 3, keepWeekly: 4 })).toBe('keep the last 3, 4 weekly');
    expect(describeRetention({})).toBe('keep every snapshot');
  });
  it('writes run times in the server zone as sent and in the browser zone', () => {
    expect(serverWallTime('2026-12-07T21:00:00+01:00')).toBe('2026-12-07 21:00');
    expect(serverWallTime('2026-12-07T21:00:05Z')).toBe('2026-12-07 21:00:05');
    const both = describeRunTime('2026-12-07T21:00:00+01:00', 'Europe/Berlin', 'America/New_York');
    expect(both).toContain('2026-12-07 21:00 (server, Europe/Berlin)');
    expect(both).toMatch(/(15|03):00:00/);
    expect(both).toContain('your time, America/New_York');
    expect(describeRunTime('2026-12-07T21:00:00+01:00', 'Europe/Berlin', 'Europe/Berlin')).toBe('2026-12-07 21:00 (server, Europe/Berlin)');
  });
  it('says a run and finds the alerts', () => {
    expect(describeRun(undefined)).toBe('Not run yet');
    expect(describeRun({ state: 'skipped', message: 'skipped: storage pool "p" is 95 % full', slot: '', started: '', vms: [] })).toBe('Skipped: storage pool "p" is 95 % full');
    expect(alerting([policy(), policy({ id: 'b', alert: true })]).map((p) => p.id)).toEqual(['b']);
  });
});
