import { describe, expect, it } from 'vitest';
import type { VM } from '../../api/types';
import { agentLabel, primaryIP, sortedAddresses, sourceLabel } from './addresses';

describe('addresses', () => {
  it('puts IPv4 first and keeps the order otherwise', () => {
    const vm: Pick<VM, 'addresses'> = {
      addresses: [
        { ip: 'fd00::5', prefix: 64, source: 'agent' },
        { ip: '10.0.0.5', prefix: 24, source: 'agent' },
        { ip: '10.0.1.5', prefix: 24, source: 'lease' },
      ],
    };
    expect(sortedAddresses(vm).map((a) => a.ip)).toEqual(['10.0.0.5', '10.0.1.5', 'fd00::5']);
    expect(primaryIP(vm)).toBe('10.0.0.5');
  });
  it('has nothing to show for a VM without addresses', () => {
    expect(primaryIP({})).toBe('');
    expect(primaryIP({ addresses: [] })).toBe('');
  });
  it('says where an address came from and how the agent is', () => {
    expect(sourceLabel('lease')).toBe('from a DHCP lease');
    expect(sourceLabel('other')).toBe('from other');
    expect(agentLabel('disconnected')).toBe('Not connected');
    expect(agentLabel(undefined)).toBe('Unknown');
  });
});
