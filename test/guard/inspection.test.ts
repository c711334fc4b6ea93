/**
 * Request inspection as a pure function: hidden characters per author (with JSON
 * pointers and code points), legitimate sequences left alone, neutralize/redact/block,
 * secrets from secretlint's preset, content of denied paths.
 */
import { describe, expect, it } from 'vitest';
import { compileDenyPaths } from '../../src/core/request-inspection/deny-paths.js';
import { inspectRequest, type InspectionPolicy } from '../../src/core/request-inspection/inspect.js';
import { DEFAULT_DENY_PATHS } from '../../src/core/policy/config.js';

function policy(over: Partial<InspectionPolicy> = {}): InspectionPolicy {
  return { hiddenChannels: 'neutralize', secrets: 'redact', denyPathsAction: 'block', denyPaths: compileDenyPaths(DEFAULT_DENY_PATHS), ...over };
}

const EMOJI_FAMILY = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
const FLAG_SCOTLAND = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}';

describe('hidden characters', () => {
  it('finds look-alikes and invisibles in agent-written text, with pointer, code points and offsets, and neutralizes them', async () => {
    const body = { model: 'm', system: 'Today\u2019s date: 2026-11-21\u200B', messages: [{ role: 'user', content: 'hi' }] };
    const out = await inspectRequest('anthropic-messages', body, policy());
    expect(out.decision).toBe('modified');
    expect(out.findings).toEqual([
      expect.objectContaining({ type: 'hidden-characters', pointer: '/system', part: 'agent', action: 'neutralize', codePoints: ['U+2019', 'U+200B'], offsets: [5, 24] }),
    ]);
    expect((out.forwardBody as typeof body).system).toBe("Today's date: 2026-11-21");
    // The input is not mutated (pure).
    expect(body.system).toContain('\u2019');
  });

  it('leaves legitimate sequences alone: emoji ZWJ, flag tag sequences, a leading BOM, non-Latin prose', async () => {
    const text = `\uFEFFПривет, как дела? ${EMOJI_FAMILY} ${FLAG_SCOTLAND} Ελληνικά κείμενα. 日本語`;
    const out = await inspectRequest('anthropic-messages', { model: 'm', messages: [{ role: 'user', content: text }] }, policy());
    expect(out.findings).toEqual([]);
    expect(out.decision).toBe('pass');
  });

  it('in user text: strips tag characters (ASCII smuggling, payload decoded) and fixes mixed-script words only', async () => {
    const smuggled = [...'exfil'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    const text = `Please review my c\u043Ede. Привет! hello${smuggled}`;
    const out = await inspectRequest('openai-chat', { model: 'gpt', messages: [{ role: 'user', content: text }] }, policy());
    const f = out.findings.find((x) => x.type === 'hidden-characters')!;
    expect(f).toMatchObject({ pointer: '/messages/0/content', part: 'user', tagPayload: 'exfil' });
    expect(f.codePoints).toContain('U+043E');
    const sent = (out.forwardBody as { messages: { content: string }[] }).messages[0]!.content;
    expect(sent).toBe('Please review my code. Привет! hello');
  });

  it('finds bidi controls and reports them in tool results without rewriting the tool output', async () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: { file_path: 'src/a.js' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'if (isAdmin) { \u202E } \u2066// check later\u2069' }] },
      ],
    };
    const out = await inspectRequest('anthropic-messages', body, policy());
    expect(out.findings[0]).toMatchObject({ pointer: '/messages/1/content/0/content', part: 'tool-result', codePoints: ['U+202E', 'U+2066', 'U+2069'] });
    // Reported, not rewritten: the action degrades to log.
    expect(out.findings[0]!.action).toBe('log');
    expect(out.decision).toBe('pass');
  });

  it('treats injected context (<system-reminder>) in a user turn as agent-written', async () => {
    const out = await inspectRequest('anthropic-messages', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: '<system-reminder>Today\u2019s date is 2026-11-21</system-reminder>' }] }] }, policy());
    expect(out.findings[0]).toMatchObject({ part: 'agent', action: 'neutralize', codePoints: ['U+2019'] });
  });

  it('blocks with a reason when hiddenChannels is block', async () => {
    const out = await inspectRequest('openai-responses', { model: 'gpt', instructions: 'Be brief.\u2060' }, policy({ hiddenChannels: 'block' }));
    expect(out.decision).toBe('block');
    expect(out.blockReason).toMatch(/U\+2060 in agent text at \/instructions/);
  });
});

describe('secrets', () => {
  const token = 'ghp_R8nQx2Lw9Vb4Tk7Yp3Zs6Hd1Jf5Mc0Ga8Ue2';
  const aws = 'AKIAIOSFODNN7EXAMPLX';

  it('redacts each secret with a typed placeholder, in the forwarded body and the stored one', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: `token ${token} and key id ${aws}` }] };
    const out = await inspectRequest('anthropic-messages', body, policy());
    const sent = JSON.stringify(out.forwardBody);
    expect(sent).not.toContain(token);
    expect(sent).toContain('[REDACTED:GITHUB_TOKEN]');
    expect(JSON.stringify(out.storageBody)).not.toContain(token);
    expect(out.findings.map((f) => f.secretType)).toContain('GITHUB_TOKEN');
    expect(out.action).toBe('redact');
  });

  it('log keeps the forwarded bytes but never the stored secret; block refuses', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: `token ${token}` }] };
    const logged = await inspectRequest('anthropic-messages', body, policy({ secrets: 'log' }));
    expect(logged.decision).toBe('pass');
    expect(JSON.stringify(logged.storageBody)).not.toContain(token);
    const blocked = await inspectRequest('anthropic-messages', body, policy({ secrets: 'block' }));
    expect(blocked.decision).toBe('block');
    expect(blocked.blockReason).toMatch(/GITHUB_TOKEN/);
    expect(blocked.blockReason).not.toContain(token);
  });
});

describe('denied paths', () => {
  it('blocks the result of a tool call that read a denied path (Anthropic and OpenAI shapes, commands too)', async () => {
    const anthropic = await inspectRequest('anthropic-messages', {
      model: 'm',
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'Read', input: { file_path: '/home/u/app/.env' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'SECRET=1' }] },
      ],
    }, policy());
    expect(anthropic.decision).toBe('block');
    expect(anthropic.findings[0]).toMatchObject({ type: 'denied-path', pointer: '/messages/1/content/0/content', path: '/home/u/app/.env', pattern: '**/.env' });

    const openai = await inspectRequest('openai-chat', {
      model: 'gpt',
      messages: [
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'shell', arguments: '{"command":"cat ~/.ssh/id_ed25519"}' } }] },
        { role: 'tool', tool_call_id: 'c', content: 'key material' },
      ],
    }, policy());
    expect(openai.decision).toBe('block');
    expect(openai.findings[0]).toMatchObject({ type: 'denied-path', part: 'tool-result' });
  });

  it('does not fire on a mere mention or on allowed files', async () => {
    const out = await inspectRequest('anthropic-messages', {
      model: 'm',
      messages: [
        { role: 'user', content: 'do not read .env please' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'Read', input: { file_path: 'src/env.ts' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'export const x = 1;' }] },
      ],
    }, policy());
    expect(out.findings).toEqual([]);
  });
});
