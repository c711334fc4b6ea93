import { describe, expect, it } from 'vitest';
import { alignArrays, alignBodies } from '../../src/core/request-diff/json-align.js';
import { attribute } from '../../src/core/request-diff/attribute.js';

const key = (v: unknown): string => JSON.stringify(v);

describe('alignBodies', () => {
  it('one tool fewer is one removed element, not a shifted array', () => {
    const tools = ['Bash', 'Edit', 'Glob', 'Grep'].map((name) => ({ name, description: `${name} tool`, input_schema: { type: 'object' } }));
    const a = { model: 'm', tools };
    const b = { model: 'm', tools: tools.filter((t) => t.name !== 'Edit') };
    const { reference, variant } = alignBodies(a, b, key);
    const onlyRef = [...reference.keys()].filter((id) => !variant.has(id));
    expect(onlyRef).toEqual(['/tools/1']);
    expect(reference.get('/tools/1')!.value).toMatch(/"name":"Edit"/);
    expect(variant.get('/tools/2/name')).toEqual({ pointer: '/tools/1/name', value: 'Glob' });
  });

  it('a changed element is paired with its old self (by similarity) and compared leaf by leaf', () => {
    const a = { messages: [{ role: 'user', content: 'deferred tools' }, { role: 'user', content: [{ type: 'text', text: "Today's date is 2026-11-21." }] }] };
    const b = { messages: [{ role: 'user', content: [{ type: 'text', text: 'Todayʼs date is 2026/11/21.' }] }] };
    const { reference, variant } = alignBodies(a, b, key);
    expect(variant.get('/messages/1/content/0/text')).toEqual({ pointer: '/messages/0/content/0/text', value: 'Todayʼs date is 2026/11/21.' });
    expect(reference.get('/messages/0')!.value).toMatch(/deferred tools/);
  });

  it('added elements are keyed by their name wherever they land', () => {
    const { variant } = alignBodies({ t: [{ name: 'A' }] }, { t: [{ name: 'X' }, { name: 'A' }] }, key);
    expect(variant.get('/t/+name=X')).toEqual({ pointer: '/t/0', value: '{"name":"X"}' });
  });

  it('alignArrays keeps order and pairs equal elements first', () => {
    expect(alignArrays(['a', 'b', 'c'], ['a', 'c'], key)).toEqual([[0, 0], [2, 1]]);
  });
});

describe('attribute: interactions must form a product', () => {
  const obs = (tz: string, host: string, value: string, runId = `${tz}-${host}`) => ({ runId, assignment: { tz, host }, value });
  const baseline = { tz: 'LA', host: 'official' };

  it('tz AND non-official host → the pair', () => {
    const observations = [obs('LA', 'official', 'b', 'r0'), obs('LA', 'official', 'b', 'r1'), obs('SH', 'official', 'b'), obs('LA', 'ds', 'b'), obs('SH', 'ds', 'x'), obs('SH', 'or', 'x'), obs('BE', 'ds', 'b')];
    expect(attribute(observations, ['tz', 'host'], baseline, 'b')).toMatchObject({ status: 'explained', factors: ['tz', 'host'] });
  });

  it('noise that is consistent only because every tuple is unique is not explained', () => {
    const observations = [obs('LA', 'official', 'b', 'r0'), obs('LA', 'official', 'b', 'r1'), obs('SH', 'ds', 'x'), obs('SH', 'or', 'b'), obs('BE', 'ds', 'b'), obs('BE', 'or', 'x'), obs('LA', 'ds', 'b'), obs('SH', 'official', 'b')];
    expect(attribute(observations, ['tz', 'host'], baseline, 'b').status).toBe('unexplained');
  });
});
