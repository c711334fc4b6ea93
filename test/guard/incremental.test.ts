/**
 * The incremental parser and body splitter must give exactly what a full JSON.parse /
 * a one-off split gives, for bodies that extend, branch from or break a body seen before;
 * inspection memoized over a resent history must find what a fresh inspection finds.
 */
import { describe, expect, it } from 'vitest';
import { IncrementalParser, bestPrefix, longestPrefix } from '../../src/core/request-inspection/incremental.js';
import { BodySplitter, joinBody, splitBody } from '../../src/audit/body.js';
import { InspectionCache } from '../../src/core/request-inspection/cache.js';
import { compileDenyPaths } from '../../src/core/request-inspection/deny-paths.js';
import { inspectRequest, type InspectionPolicy } from '../../src/core/request-inspection/inspect.js';
import { DEFAULT_DENY_PATHS } from '../../src/core/policy/config.js';
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

  it('finds the longest equal prefix that ends after an item, and rules out a body whose first item differs anywhere', () => {
    const body = (first: string, rest: string[]) => JSON.stringify({ model: 'm', system: 's'.repeat(500), messages: [first, ...rest] });
    const oldText = body(`first ${'a'.repeat(300)} end`, ['second', 'third', 'fourth']);
    const old = Buffer.from(oldText);
    const ends: number[] = [];
    let at = oldText.indexOf('"messages":[') + '"messages":['.length;
    for (const item of JSON.parse(oldText).messages as string[]) {
      at += JSON.stringify(item).length;
      ends.push(at);
      at += 1; // the comma
    }
    const cases: [string, number][] = [
      [body(`first ${'a'.repeat(300)} end`, ['second', 'third', 'other']), 2],
      [body(`first ${'a'.repeat(300)} end`, ['second', 'third', 'fourth', 'fifth']), 3],
      [body(`first ${'a'.repeat(300)} end`, ['changed']), 0],
      // Item 0 differs in its last bytes, in its middle, or before the history.
      [body(`first ${'a'.repeat(300)} enD`, ['second', 'third', 'fourth']), -1],
      [body(`first ${'a'.repeat(150)}b${'a'.repeat(149)} end`, ['second', 'third', 'fourth']), -1],
      [oldText.replace('"m"', '"n"'), -1],
    ];
    for (const [text, expected] of cases) {
      const raw = Buffer.from(text);
      expect(longestPrefix(raw, old, ends, false)).toBe(expected);
      // The probe compares a few windows (an estimate); bestPrefix confirms it byte for byte.
      expect(bestPrefix(raw, [old], (b) => b, () => ends)?.k ?? -1).toBe(expected);
    }
    // A first item whose last bytes differ is ruled out by the probe itself.
    expect(longestPrefix(Buffer.from(cases[3]![0]), old, ends, true)).toBe(-1);
  });

  it('names the earlier body it reused by the tag that body was parsed with', () => {
    const p = new IncrementalParser();
    const first = p.parse(Buffer.from(agentRequest(3, false)), 'first');
    expect(first.ok && first.reusedFrom).toBeUndefined();
    const next = p.parse(Buffer.from(agentRequest(3 + 8, false)), 'next'); // same session, next turn
    expect(next.ok && next.reusedFrom).toBe('first');
    const other = p.parse(Buffer.from(agentRequest(4, false))); // another session: reuses at most the shared opening
    expect(other.ok && other.reusedFrom).not.toBe('next');
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

  it('reuses the items of the last turn on the next one (ends found in a tail, ASCII or not)', () => {
    // Non-ASCII turns take the other path to the item ends (a latin1 scan of the bytes).
    for (const accent of ['', 'caf\u00e9 \u{1F600} \u65E5\u672C ']) {
      const p = new IncrementalParser();
      const messages: unknown[] = [];
      let previousHistoryEnd = 0;
      for (let turn = 0; turn < 8; turn++) {
        const extra = turn % 2 ? accent : '';
        messages.push({ role: 'user', content: `question ${turn} ${extra}${'q'.repeat(300)}` }, { role: 'assistant', content: `answer ${turn} ${extra}${'a'.repeat(300)}` });
        const text = JSON.stringify({ model: 'm', messages, stream: true });
        const r = expectSame(p, text);
        // Everything up to the end of the last turn's history was parsed before: reused.
        if (turn > 0) expect(r.ok && r.reusedBytes, `turn ${turn} ${accent ? 'mixed' : 'ASCII'}`).toBe(previousHistoryEnd);
        previousHistoryEnd = Buffer.byteLength(text.slice(0, text.indexOf('],"stream"')));
      }
    }
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
  it('resumes where the caller says a body equals an earlier one, with the result of a search', () => {
    const options = { mode: 'redacted' as const, maxFieldChars: 65536 };
    const hinted = new BodySplitter(options);
    const searching = new BodySplitter(options);
    const parser = new IncrementalParser();
    let hints = 0;
    for (let n = 0; n < 24; n++) {
      const raw = Buffer.from(agentRequest(n, n % 5 === 0));
      const id = `record-${n}`;
      const parsed = parser.parse(raw, id);
      const prefix = parsed.ok && parsed.reusedFrom !== undefined ? { id: parsed.reusedFrom, length: parsed.reusedBytes } : undefined;
      if (prefix) hints++;
      const a = hinted.split(raw, { id, json: true, ...(prefix ? { prefix } : {}) })!;
      const b = searching.split(raw)!;
      expect(a.skeleton).toBe(b.skeleton);
      expect(a.blocks.map((x) => [x.hash, x.content()])).toEqual(b.blocks.map((x) => [x.hash, x.content()]));
    }
    expect(hints).toBeGreaterThanOrEqual(8); // the first body of each of the 8 sessions has none
  });

  it('searches when the named body is not one it split (or was given as text)', () => {
    const options = { mode: 'redacted' as const, maxFieldChars: 65536 };
    const s = new BodySplitter(options);
    const first = agentRequest(0, false);
    s.split(first); // text: no id
    const raw = Buffer.from(agentRequest(8, false)); // same session, one more turn
    const a = s.split(raw, { id: 'b', json: true, prefix: { id: 'unknown', length: 90_000 } })!;
    const b = splitBody(raw, options)!;
    expect(a.skeleton).toBe(b.skeleton);
    const c = s.split(raw, { id: 'c', json: true, prefix: { id: 'b', length: raw.length - 10 } })!;
    expect(c.skeleton).toBe(b.skeleton);
  });

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

  it('reuses the skeleton of a resent history: same body back, whatever the cap', () => {
    for (const maxFieldChars of [2000, 65536]) {
      const options = { mode: 'redacted' as const, maxFieldChars };
      const s = new BodySplitter(options);
      for (let n = 0; n < 30; n++) {
        const body = agentRequest(n, n % 4 === 0);
        const a = s.split(Buffer.from(body))!;
        const b = splitBody(body, options)!;
        // Stored as sent when no string can exceed the cap, else re-serialised capped.
        expect(JSON.parse(a.skeleton)).toEqual(JSON.parse(b.skeleton));
        const blocks = new Map(a.blocks.map((x) => [x.hash, x.content()]));
        expect(JSON.parse(joinBody(a.skeleton, (h) => blocks.get(String(h))))).toEqual(JSON.parse(joinBody(b.skeleton, (h) => blocks.get(String(h)))));
        if (maxFieldChars === 65536) expect(JSON.parse(joinBody(a.skeleton, (h) => blocks.get(String(h))))).toEqual(JSON.parse(body));
      }
    }
  });
});


describe('inspection over a resent history (memoized per parsed item)', () => {
  // Inert test data: a fake token in secretlint's GitHub format, look-alikes, a denied path.
  const FAKE_GITHUB_TOKEN = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
  const policy: InspectionPolicy = { hiddenChannels: 'neutralize', secrets: 'redact', denyPathsAction: 'log', denyPaths: compileDenyPaths(DEFAULT_DENY_PATHS) };
  const turn = (i: number) => {
    const items: unknown[] = [{ role: 'user', content: [{ type: 'text', text: `step ${i} ${'y'.repeat(700)}` }] }];
    if (i === 2) items.push({ role: 'user', content: [{ type: 'text', text: `<system-reminder>Today\u2019s date\u200B ${i}</system-reminder>` }] });
    if (i === 4) items.push({ role: 'user', content: `deploy with ${FAKE_GITHUB_TOKEN} please` });
    if (i === 6) {
      items.push({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_env', name: 'Read', input: { file_path: '/home/dev/app/.env' } }] });
      items.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_env', content: 'PLACEHOLDER=inert-test-value' }] });
    }
    items.push({ role: 'assistant', content: `answer ${i} ${'z'.repeat(700)}` });
    return items;
  };

  it('finds the same as a fresh inspection on every turn, including what sits in reused items', async () => {
    const parser = new IncrementalParser();
    const cache = new InspectionCache();
    const messages: unknown[] = [];
    const system = [{ type: 'text', text: 'You are a test agent.' }, { type: 'text', text: 'x'.repeat(900) }];
    for (let i = 0; i < 10; i++) {
      messages.push(...turn(i));
      const text = JSON.stringify({ model: 'm', system, messages, metadata: { n: i } });
      const parsed = parser.parse(Buffer.from(text));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const memo = await inspectRequest('anthropic-messages', parsed.value, policy, cache);
      const fresh = await inspectRequest('anthropic-messages', JSON.parse(text), policy);
      expect(memo.findings).toEqual(fresh.findings);
      expect(memo.decision).toBe(fresh.decision);
      expect(JSON.stringify(memo.forwardBody)).toBe(JSON.stringify(fresh.forwardBody));
      expect(JSON.stringify(memo.storageBody)).toBe(JSON.stringify(fresh.storageBody));
      if (i >= 4) {
        // The secret stays in the history: found (from the memo) and redacted on every later turn.
        expect(memo.findings.some((f) => f.type === 'secret')).toBe(true);
        expect(JSON.stringify(memo.forwardBody)).not.toContain(FAKE_GITHUB_TOKEN);
      }
      if (i >= 6) expect(memo.findings.some((f) => f.type === 'denied-path')).toBe(true);
    }
  });

  it('finds a denied read whose call sits in a reused (memoized) message and whose result is new', async () => {
    const parser = new IncrementalParser();
    const cache = new InspectionCache();
    const call = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_k', name: 'Bash', input: { command: 'cat config/.env | head -3' } }] };
    const opening = [{ role: 'user', content: 'check the config' }, call];
    const first = parser.parse(Buffer.from(JSON.stringify({ model: 'm', messages: opening })));
    expect(first.ok && (await inspectRequest('anthropic-messages', first.value, policy, cache)).findings).toEqual([]);
    const withResult = [...opening, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_k', content: 'PLACEHOLDER=inert-test-value' }] }];
    const second = parser.parse(Buffer.from(JSON.stringify({ model: 'm', messages: withResult })));
    expect(second.ok && second.reusedBytes).toBeGreaterThan(0);
    if (!second.ok) return;
    const out = await inspectRequest('anthropic-messages', second.value, { ...policy, denyPathsAction: 'block' }, cache);
    expect(out.decision).toBe('block');
    expect(out.findings).toEqual([expect.objectContaining({ type: 'denied-path', pointer: '/messages/2/content/0/content', path: 'config/.env' })]);
  });

  it('answers whether a message names a denied path per policy, not once per cache', async () => {
    const cache = new InspectionCache();
    const body = {
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Read', input: { file_path: 'notes/todo.txt' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'buy milk' }] },
      ],
    };
    expect((await inspectRequest('anthropic-messages', body, policy, cache)).findings).toEqual([]);
    const strict = { ...policy, denyPaths: compileDenyPaths(['**/*.txt']) };
    expect((await inspectRequest('anthropic-messages', body, strict, cache)).findings.map((f) => f.type)).toEqual(['denied-path']);
  });

  it('recomputes an item met at another position (its pointers differ)', async () => {
    const cache = new InspectionCache();
    const item = { role: 'user', content: 'hello\u200Bworld' };
    const a = await inspectRequest('openai-chat', { messages: [{ role: 'system', content: 'x' }, item] }, policy, cache);
    const b = await inspectRequest('openai-chat', { messages: [item] }, policy, cache);
    const c = await inspectRequest('openai-chat', { messages: [{ role: 'user', content: 'hi' }, item] }, policy, cache);
    expect(a.findings.map((f) => f.pointer)).toEqual(['/messages/1/content']);
    expect(b.findings.map((f) => f.pointer)).toEqual(['/messages/0/content']);
    expect(c.findings.map((f) => f.pointer)).toEqual(['/messages/1/content']);
  });
});

describe('the text cache as the parser\'s victim cache', () => {
  // Inert test data: a fake token in secretlint's GitHub format.
  const FAKE_GITHUB_TOKEN = 'ghp_' + 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2';
  const policy: InspectionPolicy = { hiddenChannels: 'log', secrets: 'redact', denyPathsAction: 'log', denyPaths: compileDenyPaths(DEFAULT_DENY_PATHS) };
  const conversation = (c: number, turns: number) => ({
    model: 'm',
    system: [{ type: 'text', text: `agent ${c} ${'s'.repeat(300)}` }],
    messages: Array.from({ length: turns }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: i === 1 ? `token ${FAKE_GITHUB_TOKEN} in conversation ${c}` : `conversation ${c} turn ${i} ${'w'.repeat(400)}` })),
  });

  it('hands back a dropped body\'s values, not a body replaced by its next turn', () => {
    const dropped: unknown[][] = [];
    const p = new IncrementalParser({ maxBodies: 2, onDrop: (values) => dropped.push(values) });
    const a1 = p.parse(Buffer.from(JSON.stringify(conversation(1, 3))));
    expect(a1.ok && a1.kept).toBe(true);
    // Its next turn replaces it: nothing dropped.
    const a2 = p.parse(Buffer.from(JSON.stringify(conversation(1, 5))));
    expect(a2.ok && a2.reusedBytes).toBeGreaterThan(0);
    expect(dropped).toEqual([]);
    p.parse(Buffer.from(JSON.stringify(conversation(2, 3))));
    expect(dropped).toEqual([]);
    // A third conversation leaves no room for the first.
    p.parse(Buffer.from(JSON.stringify(conversation(3, 3))));
    expect(dropped).toHaveLength(1);
    if (!a2.ok) return;
    const body = a2.value as { model: string; system: unknown; messages: unknown[] };
    // The same objects the parser handed out: the cache finds their inspection by them.
    expect(dropped[0]![0]).toBe(body.model);
    expect(dropped[0]![1]).toBe(body.system);
    expect(dropped[0]!.slice(2)).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect(dropped[0]![2 + i]).toBe(body.messages[i]);
  });

  it('says when it does not keep a body (not an object with a history)', () => {
    const p = new IncrementalParser();
    const r = p.parse(Buffer.from(JSON.stringify({ model: 'm', input: 'a string, not a history' })));
    expect(r.ok && r.kept).toBe(false);
  });

  it('a conversation back after it was dropped is not scanned again, and finds the same', async () => {
    const cache = new InspectionCache();
    const p = new IncrementalParser({ maxBodies: 2, onDrop: (values) => cache.retire(values) });
    const scanned: string[] = [];
    const counting = async (texts: readonly string[]) => {
      scanned.push(...texts);
      return (await import('../../src/core/secrets/scan.js')).scanSecrets(texts);
    };
    const inspect = async (body: unknown) => {
      const r = p.parse(Buffer.from(JSON.stringify(body)));
      expect(r.ok).toBe(true);
      if (!r.ok) throw new Error('parse');
      return inspectRequest('anthropic-messages', r.value, policy, cache, counting, !r.kept);
    };
    const first = await inspect(conversation(1, 4));
    expect(first.findings.filter((f) => f.type === 'secret')).toHaveLength(1);
    await inspect(conversation(2, 4));
    await inspect(conversation(3, 4)); // drops conversation 1: its results enter the cache by text
    scanned.length = 0;
    // Conversation 1 again, one turn longer: parsed whole (the parser dropped it), but
    // only the new turn is scanned; the secret in its history is still found and redacted.
    const back = await inspect(conversation(1, 5));
    expect(scanned).toEqual([`conversation 1 turn 4 ${'w'.repeat(400)}`]);
    expect(back.findings.filter((f) => f.type === 'secret').map((f) => f.pointer)).toEqual(['/messages/1/content']);
    expect(JSON.stringify(back.forwardBody)).not.toContain(FAKE_GITHUB_TOKEN);
    const fresh = await inspectRequest('anthropic-messages', conversation(1, 5), policy);
    expect(back.findings).toEqual(fresh.findings);
  });

  it('finds texts entered by text after others of the same length come and go', () => {
    // Room for about four of these texts (each ~500 characters; a quarter of the room at most).
    const cache = new InspectionCache(2_400);
    const text = (i: number) => `text ${String(i).padStart(3, '0')} ${'t'.repeat(490)}`;
    const enter = (i: number) => {
      const field = { pointer: `/t/${i}`, value: text(i), part: 'user' as const };
      cache.remember([field], { secrets: [[field, [{ start: 0, end: 4, type: 'T', ruleId: 'r' }]]], hidden: [], toolFields: [] });
    };
    for (let i = 0; i < 4; i++) enter(i);
    for (let i = 0; i < 4; i++) expect(cache.secrets(text(i))).toEqual([{ start: 0, end: 4, type: 'T', ruleId: 'r' }]);
    // Two more: the oldest two go; the others, of the same length, are still found.
    enter(4);
    enter(5);
    expect(cache.secrets(text(0))).toBeUndefined();
    expect(cache.secrets(text(1))).toBeUndefined();
    for (let i = 2; i < 6; i++) expect(cache.secrets(text(i))).toBeDefined();
    // An evicted text entered again is found again; a text of another length never was.
    enter(0);
    expect(cache.secrets(text(0))).toBeDefined();
    expect(cache.secrets(`${text(0)}x`)).toBeUndefined();
  });

  it('without a parser that keeps the body, texts enter the cache at once', async () => {
    const cache = new InspectionCache();
    const scanned: string[] = [];
    const counting = async (texts: readonly string[]) => {
      scanned.push(...texts);
      return [];
    };
    await inspectRequest('anthropic-messages', conversation(7, 2), policy, cache, counting);
    expect(scanned.length).toBeGreaterThan(0);
    scanned.length = 0;
    // New objects, same texts: nothing to scan.
    await inspectRequest('anthropic-messages', conversation(7, 2), policy, cache, counting);
    expect(scanned).toEqual([]);
    // And a body the parser keeps does not enter them (it retires them when it drops the body).
    const other = new InspectionCache();
    await inspectRequest('anthropic-messages', conversation(8, 2), policy, other, counting, false);
    scanned.length = 0;
    await inspectRequest('anthropic-messages', conversation(8, 2), policy, other, counting, false);
    expect(scanned.length).toBeGreaterThan(0);
  });
});
