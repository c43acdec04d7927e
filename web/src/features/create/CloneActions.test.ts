import { describe, expect, it } from 'vitest';
import { cloneBlocker, cloneRequest } from './CloneActions';

describe('clone choices', () => {
  it('clones only a shut-off VM or a template', () => {
    expect(cloneBlocker({ state: 'shutoff' })).toBeNull();
    expect(cloneBlocker({ state: 'shutoff', template: true })).toBeNull();
    expect(cloneBlocker({ state: 'running' })).toMatch(/Shut the VM down/);
  });
  it('sends the trimmed name and the choices', () => {
    expect(cloneRequest('  web-2 ', true, false)).toEqual({ name: 'web-2', linked: true, start: false });
  });
});
