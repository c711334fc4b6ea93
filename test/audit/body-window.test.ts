/** The window of recent bodies both audit threads keep alike (src/audit/body-window.ts). */
import { describe, expect, it } from 'vitest';
import { BodyWindow } from '../../src/audit/body-window.js';

describe('BodyWindow', () => {
  it('keeps the last bodies by count, first in first out', () => {
    const w = new BodyWindow<number>(3, 1000);
    for (let i = 0; i < 5; i++) w.add(`r${i}`, 10, i);
    expect(w.size).toBe(3);
    expect(w.get('r0')).toBeUndefined();
    expect(w.get('r1')).toBeUndefined();
    expect(w.get('r4')).toEqual({ size: 10, value: 4 });
  });

  it('keeps them within a byte budget, but always the newest', () => {
    const w = new BodyWindow<string>(10, 100);
    w.add('a', 40, 'a');
    w.add('b', 40, 'b');
    w.add('c', 40, 'c');
    expect(w.get('a')).toBeUndefined();
    expect(w.get('b')?.value).toBe('b');
    w.add('huge', 500, 'huge');
    expect(w.size).toBe(1);
    expect(w.get('huge')?.size).toBe(500);
  });

  it('two windows given the same additions hold the same ids (the guard mirrors its writer)', () => {
    const bytes = new BodyWindow<Uint8Array>(8, 4096);
    const sizes = new BodyWindow<true>(8, 4096);
    let x = 7;
    for (let i = 0; i < 200; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      const size = x % 1500;
      const id = `r${x % 23}`; // ids come back: an id added again moves to the newest place
      bytes.add(id, size, new Uint8Array(size));
      sizes.add(id, size, true);
    }
    for (let i = 0; i < 23; i++) expect(sizes.get(`r${i}`)?.size).toBe(bytes.get(`r${i}`)?.size);
  });
});
