import { describe, expect, it } from 'vitest';
import { describeChart } from './chartText';

const pct = (v: number) => `${v}%`;

describe('describeChart', () => {
  it('says the newest and the highest value of a single series over the range', () => {
    expect(describeChart('CPU', 300, [{ label: 'CPU', values: [5, 43, null, 12] }], pct)).toBe('CPU over the last 5 min: now 12%, highest 43%.');
  });
  it('gives each of several series its clause, and says when one has no data', () => {
    const text = describeChart(
      'Disk I/O',
      3600,
      [
        { label: 'Read', values: [0, 2048, 1024] },
        { label: 'Write', values: [null, null] },
      ],
      (v) => `${v} B/s`,
    );
    expect(text).toBe('Disk I/O over the last 1 h. Read: now 1024 B/s, highest 2048 B/s. Write: no data yet.');
  });
  it('says so for a chart without any data', () => {
    expect(describeChart('CPU', 86_400, [{ label: 'CPU', values: [] }], pct)).toBe('CPU over the last 1 d: no data yet.');
  });
});
