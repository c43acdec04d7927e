import { describe, expect, it } from 'vitest';
import {
  auditHref,
  dashboardHref,
  DEFAULT_FILTER,
  isFiltered,
  parseDashboard,
  parseIntent,
  parseVMRef,
  parseVMTab,
  popoutHref,
  sectionOf,
  VM_TABS,
  vmHref,
  vmOfPath,
  withoutIntent,
} from './routes';

describe('the route table', () => {
  it('builds a VM page, its tabs and an intent for a tab', () => {
    expect(vmHref('local', 'u-1')).toBe('/vms/local/u-1');
    expect(vmHref('local', 'u-1', 'overview')).toBe('/vms/local/u-1');
    expect(vmHref('my host', 'u-1', 'console')).toBe('/vms/my%20host/u-1/console');
    expect(vmHref('local', 'u-1', 'snapshots', 'snapshot')).toBe('/vms/local/u-1/snapshots?do=snapshot');
  });

  it('names each tab once, with its key', () => {
    expect(VM_TABS.map((t) => t.id)).toEqual(['overview', 'console', 'serial', 'snapshots', 'hardware']);
    expect(VM_TABS.map((t) => t.key)).toEqual(['1', '2', '3', '4', '5']);
    expect(parseVMTab('serial')).toBe('serial');
    expect(parseVMTab(undefined)).toBe('overview');
    expect(parseVMTab('hardware')).toBe('hardware');
    expect(parseVMTab('devices')).toBe('overview');
  });

  it('builds both pop-out windows from one builder', () => {
    expect(popoutHref('console', 'my host', 'u-1')).toBe('/popout/console/my%20host/u-1');
    expect(popoutHref('serial', 'a/b', 'u-1')).toBe('/popout/serial/a%2Fb/u-1');
  });

  it('reads intents it knows and forgets them once answered', () => {
    expect(parseIntent('?do=snapshot')).toBe('snapshot');
    expect(parseIntent('do=format-disk')).toBeNull();
    expect(parseIntent('')).toBeNull();
    expect(withoutIntent('q=web&do=snapshot&vm=local%2Fu')).toBe('q=web');
  });

  it('builds the audit log with its filters', () => {
    expect(auditHref()).toBe('/audit');
    expect(auditHref({ user: 'otto', action: ' vm.start ' })).toBe('/audit?user=otto&action=vm.start');
  });

  it('tells which section a path is in, and which VM it shows', () => {
    expect(sectionOf('/')).toBe('dashboard');
    expect(sectionOf('/vms/local/u/console')).toBe('vm');
    expect(sectionOf('/hosts')).toBe('hosts');
    expect(sectionOf('/storage')).toBe('storage');
    expect(sectionOf('/networksx')).toBe('other');
    expect(vmOfPath('/vms/my%20host/ABC-1/snapshots')).toEqual({ host: 'my host', uuid: 'abc-1' });
    expect(vmOfPath('/vms/local')).toBeNull();
    expect(vmOfPath('/vms/%E0%A4%A/u')).toBeNull();
  });
});

describe("the dashboard's state in its address", () => {
  it('leaves defaults out, so that the plain dashboard is /', () => {
    expect(dashboardHref()).toBe('/');
    expect(dashboardHref(DEFAULT_FILTER)).toBe('/');
    expect(dashboardHref({ search: 'web db', state: 'running', host: 'b', sort: 'cpu' })).toBe('/?q=web+db&state=running&host=b&sort=cpu');
  });

  it('round-trips filters and an intent', () => {
    const f = { search: 'web & db', state: 'paused', host: 'rack 1', sort: 'memory' } as const;
    const href = dashboardHref(f, { do: 'snapshot', vm: { host: 'rack 1', uuid: 'u-1' } });
    const back = parseDashboard(href.slice(href.indexOf('?')));
    expect(back.filter).toEqual(f);
    expect(back.intent).toEqual({ do: 'snapshot', vm: { host: 'rack 1', uuid: 'u-1' } });
  });

  it('falls back to defaults for values it does not know', () => {
    expect(parseDashboard('?state=sleeping&sort=colour').filter).toEqual(DEFAULT_FILTER);
    // An intent without its VM is no intent.
    expect(parseDashboard('?do=snapshot').intent).toBeNull();
    expect(parseDashboard('?do=snapshot&vm=nouuid').intent).toBeNull();
  });

  it('reads a VM reference whose host name has a slash', () => {
    expect(parseVMRef('a/b/u-1')).toEqual({ host: 'a/b', uuid: 'u-1' });
    expect(parseVMRef('/u-1')).toBeNull();
    expect(parseVMRef('local/')).toBeNull();
  });

  it('counts the sort as no filter', () => {
    expect(isFiltered({ ...DEFAULT_FILTER, sort: 'cpu' })).toBe(false);
    expect(isFiltered({ ...DEFAULT_FILTER, search: ' x ' })).toBe(true);
    expect(isFiltered({ ...DEFAULT_FILTER, search: '   ' })).toBe(false);
  });
});
