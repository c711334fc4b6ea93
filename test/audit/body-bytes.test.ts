/** Bodies held in the pieces they came in (src/audit/body-bytes.ts), and the splitter reading them. */
import { describe, expect, it } from 'vitest';
import { BodyBytes } from '../../src/audit/body-bytes.js';
import { BodySplitter, joinBody, type SplitBody } from '../../src/audit/body.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('BodyBytes', () => {
  it('wraps bytes without copying them', () => {
    const b = bytes('{"a":1}');
    const body = BodyBytes.of(b);
    expect(body.length).toBe(7);
    expect(body.pieceCount).toBe(1);
    expect(body.slice(2, 5).buffer).toBe(b.buffer);
    expect(body.flat()).toBe(body.flat());
  });

  it('continues a prefix with more bytes, sharing both, and reads ranges within and across pieces', () => {
    const first = BodyBytes.of(bytes('0123456789'));
    const second = first.continuedBy(6, bytes('abcdef'));
    expect(second.length).toBe(12);
    expect(second.pieceCount).toBe(2);
    expect(second.slice().toString()).toBe('012345abcdef');
    expect(second.slice(1, 4).toString()).toBe('123'); // within the first piece: a view
    expect(second.slice(7, 10).toString()).toBe('bcd'); // within the second
    expect(second.slice(4, 9).toString()).toBe('45abc'); // across: a copy
    expect(second.slice(6, 6).length).toBe(0);
    const third = second.continuedBy(8, bytes('XY'));
    expect(third.slice().toString()).toBe('012345abXY');
    expect(third.flat().toString()).toBe('012345abXY');
    // A prefix that ends on a piece's boundary, and nothing more.
    expect(second.continuedBy(6, new Uint8Array(0)).slice().toString()).toBe('012345');
    expect(second.continuedBy(0, bytes('z')).slice().toString()).toBe('z');
  });

  it('refuses ranges outside the body', () => {
    const body = BodyBytes.of(bytes('0123')).continuedBy(2, bytes('ab'));
    expect(() => body.continuedBy(5, bytes('x'))).toThrow(RangeError);
    expect(() => body.continuedBy(-1, bytes('x'))).toThrow(RangeError);
    expect(() => body.slice(3, 5)).toThrow(RangeError);
    expect(() => body.slice(3, 2)).toThrow(RangeError);
  });

  it('joins a body whose conversation went on for more turns than MAX_PIECES', () => {
    let body = BodyBytes.of(bytes('['));
    let text = '[';
    for (let i = 0; i < BodyBytes.MAX_PIECES + 10; i++) {
      const more = `${i},`;
      body = body.continuedBy(body.length, bytes(more));
      text += more;
      expect(body.pieceCount).toBeLessThanOrEqual(BodyBytes.MAX_PIECES);
    }
    expect(body.slice().toString()).toBe(text);
  });
});

describe('BodySplitter on bodies in pieces', () => {
  // A conversation resent with one more turn each time, as an agent does. Test data.
  const turn = (i: number) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(8)}` });
  const conversation = (turns: number) => JSON.stringify({ model: 'm', system: 'You are a test. '.repeat(12), messages: Array.from({ length: turns }, (_, i) => turn(i)), max_tokens: 10 });
  const prefixOf = (earlier: string, later: string) => {
    let n = 0;
    while (n < earlier.length && earlier[n] === later[n]) n++;
    return earlier.lastIndexOf('}', n) + 1;
  };
  const view = (s: SplitBody | null) => s && { skeleton: s.skeleton, blocks: s.blocks.map((b) => [b.hash, b.content()]) };
  /** The body as a reader rebuilds it from the split: must be the one sent. */
  const rebuilt = (s: SplitBody | null) => s && joinBody(s.skeleton, (ref) => s.blocks.find((b) => b.hash === ref)?.content());

  it('splits a continued body exactly as the same bytes in one piece, hinted or not', () => {
    const texts = [conversation(3), conversation(5), conversation(8)];
    const options = { mode: 'redacted' as const, maxFieldChars: 4096 };
    const pieces = new BodySplitter(options);
    const whole = new BodySplitter(options);
    const unhinted = new BodySplitter(options);
    let body = BodyBytes.of(bytes(texts[0]!));
    for (let i = 0; i < texts.length; i++) {
      const prefix = i > 0 ? { id: `r${i - 1}`, length: prefixOf(texts[i - 1]!, texts[i]!) } : undefined;
      if (prefix) body = body.continuedBy(prefix.length, bytes(texts[i]!.slice(prefix.length)));
      if (i > 0) expect(body.pieceCount).toBeGreaterThan(1);
      const source = { id: `r${i}`, json: true, ...(prefix ? { prefix } : {}) };
      const expected = view(whole.split(bytes(texts[i]!), { id: `r${i}`, json: true }));
      const split = pieces.split(body, source);
      expect(view(split)).toEqual(expected);
      expect(rebuilt(split)).toBe(texts[i]);
      // No hint: the splitter finds the earlier body itself (joining the pieces to compare).
      expect(view(unhinted.split(body, { id: `r${i}`, json: true }))).toEqual(expected);
      expect(expected!.blocks.length).toBe(i === 0 ? 4 : i === 1 ? 6 : 9);
    }
  });

  it('a hint naming a body the splitter no longer has falls back to a search, not a wrong body', () => {
    const options = { mode: 'full' as const, maxFieldChars: 4096 };
    const a = conversation(2);
    const b = conversation(4);
    const splitter = new BodySplitter(options);
    const body = BodyBytes.of(bytes(a)).continuedBy(prefixOf(a, b), bytes(b.slice(prefixOf(a, b))));
    const split = splitter.split(body, { id: 'r1', json: true, prefix: { id: 'forgotten', length: prefixOf(a, b) } });
    expect(view(split)).toEqual(view(new BodySplitter(options).split(bytes(b))));
    expect(rebuilt(split)).toBe(b);
  });
});
