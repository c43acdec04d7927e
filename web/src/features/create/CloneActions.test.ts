import { describe, expect, it } from 'vitest';
import { makeVM } from '../../test/fixtures';
import { cloneBlocker, cloneRequest, markTemplate } from './CloneActions';

describe('clone choices', () => {
  it('clones only a shut-off VM or a template', () => {
    expect(cloneBlocker({ state: 'shutoff' })).toBeNull();
    expect(cloneBlocker({ state: 'shutoff', template: true })).toBeNull();
    expect(cloneBlocker({ state: 'running' })).toMatch(/Shut the VM down/);
  });
  it('sends the trimmed name and the choices', () => {
    expect(cloneRequest('  web-2 ', true, false)).toEqual({ name: 'web-2', linked: true, start: false });
  });
  it('takes a marked template its power actions, and gives them back when unmarked', () => {
    const vm = makeVM({ state: 'shutoff', actions: ['start'] });
    const t = markTemplate(vm, true);
    expect(t.template).toBe(true);
    expect(t.actions).toEqual([]);
    expect(markTemplate(t, false).actions).toEqual(['start']);
  });
});
