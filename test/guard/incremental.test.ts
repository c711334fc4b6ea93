/**
 * The incremental parser and body splitter must give exactly what a full JSON.parse /
 * a one-off split gives, for bodies that extend, branch from or break a body seen before.
 */
import { describe, expect, it } from 'vitest';
import { IncrementalParser } from '../../src/core/request-inspection/incremental.js';
import { BodySplitter, splitBody } from '../../src/audit/body.js';
// @ts-expect-error -- the benchmark's body generator is plain JavaScript without types
import { agentRequest } from '../../bench/guard-bodies.mjs';

const history = (n: number) => Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} ${'x'.repeat(600)}` }));

function expectSame(p: IncrementalParser, text: string) {
  const r = p.parse(Buffer.from(text));
  let expected: unknown;
  try {
    expected = JSON.parse(text);
  } catch {
    expect(r.ok).toBe(false);
    return r;
  }
  expect(r.ok).toBe(true);
  if (r.ok) {
    expect(JSON.stringify(r.value)).toBe(JSON.stringify(expected));
    expect(Object.getPrototypeOf(r.value)).toBe(Object.getPrototypeOf(expected));
  }
  return r;
}

describe('IncrementalParser', () => {
  it('reuses a resent history and equals JSON.parse', () => {
    const p = new IncrementalParser();
    for (let n = 0; n < 40; n++) expectSame(p, agentRequest(n, n % 3 === 0));
    const r = p.parse(Buffer.from(agentRequest(41, false)));
    expect(r.ok && r.reusedBytes).toBeGreaterThan(90_000);
  });

  it('equals JSON.parse on tails that are odd, hostile or invalid', () => {
    const base = { model: 'a', messages: history(4), x: 1 };
    const prefix = JSON.stringify(base).slice(0, JSON.stringify(base).indexOf('],"x"'));
    const tails = [
      '],"x":1}',
      '],"messages":[0]}',
      '],"model":"b"}',
      '],"__proto__":{"polluted":1}}',
      ' , {"role":"user","content":"\\"]}"} ] , "y" : [1,2,{"z":"\\"]"}] }',
      ']]',
      '',
      ']}}',
      ',]}',
      ',{"role":"user","content":"caf\u00e9 \u{1F600}"}]}',
    ];
    for (const tail of tails) {
      const p = new IncrementalParser();
      p.parse(Buffer.from(JSON.stringify(base)));
      expectSame(p, prefix + tail);
    }
  });

  it('does not snapshot bodies with duplicate top-level keys', () => {
    const p = new IncrementalParser();
    const dup = `{"messages":${JSON.stringify(history(3))},"messages":${JSON.stringify(history(5))}}`;
    expectSame(p, dup);
    expectSame(p, `{"messages":${JSON.stringify(history(3)).slice(0, -1)},{"role":"user","content":"new"}]}`);
  });

  it('rejects invalid UTF-8 in a tail', () => {
    const p = new IncrementalParser();
    const body = JSON.stringify({ messages: history(3) });
    p.parse(Buffer.from(body));
    const bad = Buffer.concat([Buffer.from(body.slice(0, -2)), Buffer.from(',"\xff"]}', 'latin1')]);
    const r = p.parse(bad);
    expect(r.ok).toBe(false);
  });
});

describe('BodySplitter', () => {
  it('splits like a one-off split, reusing known blocks', () => {
    const options = { mode: 'redacted' as const, maxFieldChars: 2000 };
    const s = new BodySplitter(options);
    for (let n = 0; n < 30; n++) {
      const body = agentRequest(n, false);
      const a = s.split(Buffer.from(body))!;
      const b = splitBody(body, options)!;
      expect(a.skeleton).toBe(b.skeleton);
      expect(a.blocks.map((x) => [x.hash, x.content()])).toEqual(b.blocks.map((x) => [x.hash, x.content()]));
    }
  });
});
