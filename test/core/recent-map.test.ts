/** The two-generation bounded map (src/core/recent-map.ts). */
import { describe, expect, it } from 'vitest';
import { RecentMap } from '../../src/core/recent-map.js';

describe('RecentMap', () => {
  it('keeps the recent keys within its capacity and forgets the oldest', () => {
    const m = new RecentMap<number, string>(100);
    for (let i = 0; i < 1000; i++) m.set(i, `v${i}`);
    expect(m.size).toBeLessThanOrEqual(101);
    expect(m.get(999)).toBe('v999');
    expect(m.get(950)).toBe('v950');
    expect(m.get(0)).toBeUndefined();
    expect(m.get(800)).toBeUndefined();
  });

  it('a key read again survives the next generation; set replaces, delete removes from both', () => {
    const m = new RecentMap<string, number>(4);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3); // a, b are now the old generation
    expect(m.get('a')).toBe(1); // read: back in the young one
    m.set('d', 4);
    m.set('e', 5); // c, a old; b dropped
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(1);
    m.set('a', 10);
    expect(m.get('a')).toBe(10);
    m.delete('a');
    expect(m.get('a')).toBeUndefined();
    m.clear();
    expect(m.size).toBe(0);
  });
});
