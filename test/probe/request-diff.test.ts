import { describe, expect, it } from 'vitest';
import { analyzeRuns, compareSegments, diffTokens, findDates, normalizeIds, tokenize } from '../../src/core/request-diff/index.js';
import type { FactorInput, RequestInput, RunInput } from '../../src/core/request-diff/index.js';

describe('diffTokens', () => {
  const words = (s: string): string[] => tokenize(s).map((t) => t.text);
  it('finds one changed word', () => {
    const a = words('You are a helpful assistant.');
    const b = words('You are a helpful аssistant.');
    expect(diffTokens(a, b)).toEqual([{ aStart: 8, aEnd: 9, bStart: 8, bEnd: 9 }]);
  });
  it('finds several hunks and insertions', () => {
    const a = words('one two three four five');
    const b = words('one 2 three four five six');
    const hunks = diffTokens(a, b);
    expect(hunks).toHaveLength(2);
    expect(hunks[0]).toEqual({ aStart: 2, aEnd: 3, bStart: 2, bEnd: 3 });
    expect(hunks[1]!.aStart).toBe(9);
    expect(hunks[1]!.bEnd).toBe(11);
  });
});

describe('compareSegments', () => {
  const ctx = { timezoneChanged: false };
  it('honest: ids and timestamps', () => {
    expect(compareSegments('session 0b9c1f3e-1111-4222-8333-944445555666', 'session 7d1e2f3a-aaaa-4bbb-8ccc-dddddddddddd', ctx).kind).toBe('honest');
    expect(compareSegments('at 2026-11-21T10:00:01Z', 'at 2026-11-21T19:40:13.120Z', ctx).kind).toBe('honest');
    expect(compareSegments('"device_id":"e4a436adbafd352621a5af9f6990f748"', '"device_id":"56092d21156ca5dbd508cbd95c7adb9a"', ctx).kind).toBe('honest');
  });
  it('honest: a date one day later only when the timezone changed', () => {
    expect(compareSegments('2026-11-21.', '2026-11-22.', { timezoneChanged: true }).kind).toBe('honest');
    expect(compareSegments('2026-11-21.', '2026-11-22.', ctx).kind).toBe('text-change');
    expect(compareSegments('2026-11-21.', '2026-11-25.', { timezoneChanged: true }).kind).toBe('text-change');
  });
  it('format-change: same date, other format (also one day off with a timezone change)', () => {
    expect(compareSegments('2026-11-21.', '2026/11/21.', ctx).kind).toBe('format-change');
    expect(compareSegments('2026-11-21.', '2026/11/22.', { timezoneChanged: true }).kind).toBe('format-change');
    expect(compareSegments('November 21, 2026', '21.11.2026', ctx).kind).toBe('format-change');
  });
  it('confusable-swap with the code points', () => {
    const v = compareSegments("Claude's", 'Claude\u2019s', ctx);
    expect(v.kind).toBe('confusable-swap');
    if (v.kind === 'confusable-swap') expect(v.chars[0]).toMatchObject({ change: 'swapped', cp: 'U+2019', from: 'U+0027' });
    expect(compareSegments('assistant', '\u0430ssistant', ctx).kind).toBe('confusable-swap');
  });
  it('invisible-char', () => {
    const v = compareSegments('assistant', 'assis\u200btant', ctx);
    expect(v.kind).toBe('invisible-char');
    if (v.kind === 'invisible-char') expect(v.chars).toEqual([{ change: 'added', cp: 'U+200B', name: 'ZERO WIDTH SPACE' }]);
  });
  it('whitespace-change, including a no-break space', () => {
    expect(compareSegments('a\n\nb', 'a\nb', ctx).kind).toBe('whitespace-change');
    expect(compareSegments(' ', '\u00a0', ctx).kind).toBe('whitespace-change');
  });
  it('text-change', () => {
    expect(compareSegments('Shanghai', 'Moscow', ctx).kind).toBe('text-change');
  });
});

describe('dates and ids', () => {
  it('recognises common formats', () => {
    expect(findDates('on 2026/11/21 and 21.11.2026 and November 21, 2026 and 2026年11月21日').map((d) => d.format)).toEqual([
      'YYYY/MM/DD',
      'DD.MM.YYYY',
      'Month D, YYYY',
      'YYYY年M月D日',
    ]);
  });
  it('does not erase look-alikes inside ids', () => {
    expect(normalizeIds('req_0123456789abcdef')).toBe('<id>');
    expect(normalizeIds('req_0123456789аbcdef')).not.toBe('<id>');
  });
});

// --- analyzeRuns on synthetic runs -------------------------------------------------------

const FACTORS: FactorInput[] = [
  { name: 'tz', baseline: 'America/Los_Angeles', role: 'timezone' },
  { name: 'apiHost', baseline: 'official', role: 'api-host' },
  { name: 'locale', baseline: 'en_US.UTF-8', role: 'locale' },
];
const BASE = { tz: 'America/Los_Angeles', apiHost: 'official', locale: 'en_US.UTF-8' };
const HOSTS: Record<string, string> = { official: 'api.anthropic.com', deepseek: 'api.deepseek.com' };

/** A toy agent: what it would send under an assignment. */
function agent(a: Record<string, string>, n: number): RequestInput[] {
  const china = a.tz === 'Asia/Shanghai' || a.tz === 'Asia/Urumqi';
  let system = "You are Claude's helpful assistant. Today's date is 2026-11-21.";
  if (china) system = system.replace('2026-11-21', '2026/11/21');
  if (a.apiHost === 'deepseek' && a.tz === 'Europe/Moscow') system = system.replace('helpful', 'help\u200bful');
  if (a.apiHost === 'deepseek') system = system.replace("Claude's", 'Claude\u2019s');
  const host = HOSTS[a.apiHost ?? "official"]!;
  const path = a.apiHost === 'official' ? '/v1/messages' : '/anthropic/v1/messages';
  const reqs: RequestInput[] = [
    {
      method: 'POST',
      host,
      path,
      endpoint: 'anthropic.messages',
      headers: { 'x-session-id': `0b9c1f3e-1111-4222-8333-${String(n).padStart(12, '0')}`, 'content-length': String(100 + n) },
      body: '',
      json: { model: 'm', system, metadata: { user_id: `user_${'ab12'.repeat(8)}${n}` }, usage_tokens: n, messages: [{ role: 'user', content: 'say hi' }] },
    },
  ];
  if (a.locale === 'zh_CN.UTF-8') reqs.push({ method: 'POST', host: 'collector.example.net', path: '/t', endpoint: 'other', headers: {}, body: '{"x":1}', json: { x: 1 } });
  return reqs;
}

function run(id: string, changes: Record<string, string>, n: number): RunInput {
  const assignment = { ...BASE, ...changes };
  return {
    id,
    assignment,
    env: { TZ: assignment.tz },
    apiBases: assignment.apiHost === 'deepseek' ? ['https://api.deepseek.com/anthropic'] : [],
    artifacts: [],
    requests: agent(assignment, n),
  };
}

describe('analyzeRuns', () => {
  const runs: RunInput[] = [
    run('b1', {}, 1),
    run('b2', {}, 2),
    run('tz-sh', { tz: 'Asia/Shanghai' }, 3),
    run('tz-ur', { tz: 'Asia/Urumqi' }, 4),
    run('tz-msk', { tz: 'Europe/Moscow' }, 5),
    run('host-ds', { apiHost: 'deepseek' }, 6),
    run('loc-zh', { locale: 'zh_CN.UTF-8' }, 7),
    run('pair-1', { apiHost: 'deepseek', tz: 'Europe/Moscow', locale: 'zh_CN.UTF-8' }, 8),
    run('pair-2', { apiHost: 'deepseek', tz: 'Asia/Shanghai' }, 9),
    run('pair-3', { tz: 'Europe/Moscow', locale: 'zh_CN.UTF-8' }, 10),
    run('confirm', { apiHost: 'deepseek', tz: 'Europe/Moscow' }, 11),
  ];
  const analysis = analyzeRuns({ runs, factors: FACTORS, reference: 'b1' });
  const byKind = (kind: string) => analysis.differences.filter((d) => d.kind === kind);

  it('attributes the date format change to the timezone', () => {
    const d = byKind('format-change');
    expect(d.map((x) => x.value).sort()).toEqual(['Asia/Shanghai', 'Asia/Urumqi']);
    expect(d[0]).toMatchObject({ factor: 'tz', field: '/system', level: 'error' });
  });
  it('attributes the apostrophe swap to the API host', () => {
    const d = byKind('confusable-swap');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ factor: 'apiHost', value: 'deepseek', codePoints: ['U+0027', 'U+2019'] });
  });
  it('attributes the invisible character to the interaction of host and timezone', () => {
    const d = byKind('invisible-char');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ factor: 'tz+apiHost', value: 'Europe/Moscow + deepseek', codePoints: ['U+200B'] });
  });
  it('reports the extra request with its trigger', () => {
    const d = byKind('extra-request');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ factor: 'locale', value: 'zh_CN.UTF-8', level: 'error' });
    expect(d[0]!.request.host).toBe('collector.example.net');
  });
  it('reports nothing for honest variation', () => {
    expect(analysis.differences).toHaveLength(5);
    expect(analysis.nondeterministic).toEqual([]);
    expect(analysis.unexplained).toEqual([]);
    expect(analysis.persistent).toEqual([]);
  });
  it('asks for confirmation runs when an interaction is ambiguous', () => {
    const withoutConfirm = analyzeRuns({ runs: runs.filter((r) => r.id !== 'confirm'), factors: FACTORS, reference: 'b1' });
    expect(withoutConfirm.confirm.map((c) => c.assignment)).toContainEqual({ apiHost: 'deepseek', tz: 'Europe/Moscow' });
  });
  it('reports hidden characters present in every run', () => {
    const hidden = runs.map((r) => ({
      ...r,
      requests: r.requests.map((q) => ({ ...q, json: { ...(q.json as object), note: 'tag\u{E0041}\u{E0042}' } })),
    }));
    const a = analyzeRuns({ runs: hidden, factors: FACTORS, reference: 'b1' });
    expect(a.persistent.map((p) => p.cp)).toEqual(['U+E0041', 'U+E0042']);
    expect(a.persistent[0]).toMatchObject({ field: '/note', level: 'error', payload: 'AB' });
  });
});
