import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/findings.js';
import { matchFindings, findingId } from '../../src/core/diff/match.js';
import { compareDetails, detailSignature } from '../../src/core/diff/details.js';

let offset = 0;
function f(ruleId: string, key: string, extra: Omit<Partial<Finding>, 'facts'> & { facts?: Record<string, string | number | boolean | string[]> } = {}): Finding {
  offset += 100;
  const { facts, ...rest } = extra;
  return {
    ruleId,
    level: 'note',
    category: 'network-endpoint',
    message: `${ruleId} ${key}`,
    location: { file: 'cli.js', line: 1, column: offset, offset, length: 10, snippet: `x${offset}` },
    facts: { key, ...facts },
    ...rest,
  };
}

const states = (changes: ReturnType<typeof matchFindings>) => changes.map((c) => `${c.state} ${c.ruleId} ${c.finding.facts.key}`);

describe('matchFindings', () => {
  it('pairs by rule and key, whatever moved: places, messages and counts are not details', () => {
    const old = [f('TT006', 'host:a.example'), f('TT001', 'timezone:Intl', { category: 'env-fingerprint', facts: { count: 2, api: 'Intl' } })];
    const neu = [
      f('TT001', 'timezone:Intl', { category: 'env-fingerprint', message: 'other words', facts: { count: 7, api: 'Intl' } }),
      f('TT006', 'host:a.example'),
    ];
    const changes = matchFindings(old, neu);
    expect(changes.map((c) => c.state)).toEqual(['unchanged', 'unchanged']);
    expect(changes.every((c) => c.match === 'identity' && c.previous === undefined)).toBe(true);
  });

  it('is multiset-aware: twice in NEW, once in OLD gives one new', () => {
    const changes = matchFindings([f('TT006', 'host:a.example')], [f('TT006', 'host:a.example'), f('TT006', 'host:a.example')]);
    expect(states(changes)).toEqual(['new TT006 host:a.example', 'unchanged TT006 host:a.example']);
    // …and once in NEW, twice in OLD gives one absent.
    const back = matchFindings([f('TT006', 'host:a.example'), f('TT006', 'host:a.example')], [f('TT006', 'host:a.example')]);
    expect(back.map((c) => c.state)).toEqual(['absent', 'unchanged']);
  });

  it('a different host is new, the old one absent: single-value identities never pair by similarity', () => {
    const changes = matchFindings([f('TT006', 'host:a.example', { facts: { host: 'a.example' }, shape: 'Literal' })], [f('TT006', 'host:b.example', { facts: { host: 'b.example' }, shape: 'Literal' })]);
    expect(states(changes)).toEqual(['new TT006 host:b.example', 'absent TT006 host:a.example']);
  });

  it('a hidden list that grew is updated, with the items added and removed', () => {
    const payload = (items: string[]): Finding =>
      f('TT003', `domain-list:${items.join(',')}`, { level: 'warning', category: 'obfuscated-payload', decoded: items.join(','), encoding: 'base64 > xor(0x11)', facts: { kind: 'domain-list', items } });
    const changes = matchFindings([payload(['a.example', 'b.example', 'c.example'])], [payload(['a.example', 'b.example', 'd.example', 'e.example'])]);
    expect(changes).toHaveLength(1);
    const [c] = changes;
    expect(c!.state).toBe('updated');
    expect(c!.match).toBe('similar');
    expect(c!.similarity).toBeGreaterThan(0.3);
    expect(c!.changes).toEqual([{ field: 'facts.items', added: ['d.example', 'e.example'], removed: ['c.example'] }]);
    expect(c!.previous?.facts.key).toBe('domain-list:a.example,b.example,c.example');
    expect(c!.id).toBe(findingId(c!.finding));
  });

  it('unrelated lists of one rule do not pair', () => {
    const a = f('TT003', 'domain-list:x.example,y.example', { facts: { items: ['x.example', 'y.example'] } });
    const b = f('TT003', 'domain-list:p.example,q.example', { facts: { items: ['p.example', 'q.example'] } });
    expect(matchFindings([a], [b]).map((c) => c.state)).toEqual(['new', 'absent']);
  });

  it('a covert channel that reads one more signal is updated and, when more severe, escalated', () => {
    const chan = (signals: string[], level: Finding['level']): Finding =>
      f('TT007', `${signals.join('+')}→lookalike-choice:U+0027,U+2019`, { level, category: 'covert-channel', facts: { signals, compared: ['Europe/Minsk'], sink: 'lookalike-choice:U+0027,U+2019' }, shape: 'A,B,C,D' });
    const [c] = matchFindings([chan(['timezone'], 'warning')], [chan(['proxy', 'timezone'], 'error')]);
    expect(c).toMatchObject({ state: 'updated', match: 'similar', level: 'error', previousLevel: 'warning', escalated: true });
    expect(c!.changes).toContainEqual({ field: 'level', before: 'warning', after: 'error' });
    expect(c!.changes).toContainEqual({ field: 'facts.signals', added: ['proxy'], removed: [] });
  });

  it('same key, changed detail: updated by identity; the closest shape pairs first', () => {
    const old = [
      f('TT004', 'k', { category: 'hidden-characters', facts: { choice: 'a' }, shape: 'If,Literal,Literal' }),
      f('TT004', 'k', { category: 'hidden-characters', facts: { choice: 'a' }, shape: 'Call,Member,Identifier,Literal,Return' }),
    ];
    const neu = [
      f('TT004', 'k', { category: 'hidden-characters', facts: { choice: 'b' }, shape: 'Call,Member,Identifier,Literal,Return' }),
    ];
    const changes = matchFindings(old, neu);
    expect(changes.map((c) => c.state)).toEqual(['updated', 'absent']);
    expect(changes[0]!.previous!.shape).toBe('Call,Member,Identifier,Literal,Return');
    expect(changes[0]!.changes).toEqual([{ field: 'facts.choice', before: 'a', after: 'b' }]);
  });

  it('an edited decoded text pairs by text similarity', () => {
    const text = (t: string): Finding => f('TT003', `url:${t}`, { category: 'obfuscated-payload', decoded: t, facts: { kind: 'url' } });
    const [c] = matchFindings([text('https://collect.example.net/v1/ingest?src=cli')], [text('https://collect.example.net/v2/ingest?src=cli')]);
    expect(c).toMatchObject({ state: 'updated', match: 'similar' });
    expect(c!.changes![0]).toMatchObject({ field: 'decoded', before: 'https://collect.example.net/v1/ingest?src=cli' });
  });

  it('orders deterministically: new, updated, absent, unchanged; severe first', () => {
    const old = [f('TT006', 'host:gone.example'), f('TT006', 'host:same.example')];
    const neu = [f('TT006', 'host:same.example'), f('TT006', 'host:z.example'), f('TT007', 'x', { level: 'error', category: 'covert-channel' })];
    const a = matchFindings(old, neu);
    const b = matchFindings([...old].reverse(), [...neu].reverse());
    expect(states(a)).toEqual(['new TT007 x', 'new TT006 host:z.example', 'absent TT006 host:gone.example', 'unchanged TT006 host:same.example']);
    expect(states(b)).toEqual(states(a));
  });

  it('ids depend on rule and key only', () => {
    expect(findingId(f('TT006', 'host:a.example'))).toBe(findingId(f('TT006', 'host:a.example', { message: 'x', shape: 'y' })));
    expect(findingId(f('TT006', 'host:a.example'))).not.toBe(findingId(f('TT001', 'host:a.example')));
    expect(findingId(f('TT006', 'host:a.example'))).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('compareDetails / detailSignature', () => {
  it('agree: equal signatures exactly when there is no change', () => {
    const base = f('TT003', 'k', { decoded: 'a,b', codePoints: ['U+2019'], facts: { items: ['b', 'a'], kind: 'domain-list', count: 3 } });
    const variants: Finding[] = [
      { ...base, facts: { ...base.facts, count: 9 } },
      { ...base, facts: { ...base.facts, items: ['a', 'b'] } },
      { ...base, facts: { ...base.facts, items: ['a', 'b', 'c'] } },
      { ...base, level: 'warning' },
      { ...base, decoded: 'a, b' },
      { ...base, codePoints: ['U+2019', 'U+02BC'] },
      { ...base, facts: { ...base.facts, linked: true } },
    ];
    for (const v of variants) expect(detailSignature(v) === detailSignature(base)).toBe(compareDetails(base, v).length === 0);
    expect(compareDetails(base, variants[0]!)).toEqual([]);
    expect(compareDetails(base, variants[1]!)).toEqual([]);
    expect(compareDetails(base, variants[5]!)).toEqual([{ field: 'codePoints', added: ['U+02BC'], removed: [] }]);
    expect(compareDetails(base, variants[6]!)).toEqual([{ field: 'facts.linked', after: true }]);
  });
});

describe('shape-only pairing', () => {
  const shape = 'VariableDeclarator,Identifier,ArrayExpression,Literalnumber,Literalnumber,Literalnumber,Literalnumber';
  const text = (decoded: string, level: Finding['level'] = 'note'): Finding =>
    f('TT003', `text:${decoded}`, { level, category: 'obfuscated-payload', decoded, encoding: 'charcodes > xor(0x11)', facts: { kind: 'text', encoding: 'charcodes > xor' }, shape });

  it('pairs notes with the same plain facts and code structure (a text that decodes differently under a new build key)', () => {
    const [c] = matchFindings([text('efededeedede')], [text('DGDEDEDDEDED')]);
    expect(c).toMatchObject({ state: 'updated', match: 'similar' });
    expect(c!.changes).toEqual([{ field: 'decoded', before: 'efededeedede', after: 'DGDEDEDDEDED' }]);
  });

  it('never explains away a warning or error by shape alone', () => {
    expect(matchFindings([text('efededeedede', 'warning')], [text('DGDEDEDDEDED', 'warning')]).map((c) => c.state)).toEqual(['new', 'absent']);
    expect(matchFindings([text('efededeedede')], [text('DGDEDEDDEDED', 'error')]).map((c) => c.state)).toEqual(['new', 'absent']);
  });

  it('does not pair notes whose plain facts differ (another host is another endpoint)', () => {
    const host = (h: string): Finding => f('TT006', `host:${h}`, { facts: { host: h, class: 'other' }, shape: 'Literalstring' });
    expect(matchFindings([host('a.example')], [host('b.example')]).map((c) => c.state)).toEqual(['new', 'absent']);
  });
});
