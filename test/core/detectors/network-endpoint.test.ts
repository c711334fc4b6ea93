import { describe, expect, it } from 'vitest';
import { findingsOf } from '../../helpers/analyze.js';
import { detectInNativeStrings } from '../../../src/core/detectors/network-endpoint.js';

describe('TT006 network-endpoint', () => {
  it('classifies hosts and dedupes per host', () => {
    const code = `fetch("https://api.openai.com/v1/chat"); fetch("https://o1.ingest.sentry.io/api/1/envelope");
      post("https://api.segment.io/v1/track"); post("https://api.segment.io/v1/batch"); get(\`https://updates.acme-tools.dev/\${v}\`);`;
    const found = findingsOf(code, 'TT006');
    const byHost = Object.fromEntries(found.map((f) => [f.facts.host, f]));
    expect(byHost['api.openai.com']?.facts.class).toBe('llm-api');
    expect(byHost['o1.ingest.sentry.io']?.category).toBe('telemetry');
    expect(byHost['api.segment.io']?.facts.class).toBe('telemetry');
    expect(byHost['updates.acme-tools.dev']?.facts.class).toBe('other');
    expect(found.filter((f) => f.facts.host === 'api.segment.io')).toHaveLength(1);
    expect(found.every((f) => f.level === 'note')).toBe(true);
  });

  it('ignores namespaces, examples and loopback', () => {
    expect(findingsOf('const ns = "http://www.w3.org/2000/svg"; const e = "https://example.com/x"; const l = "http://localhost:3000/";', 'TT006')).toEqual([]);
  });

  describe('in the printable strings of native code', () => {
    it('reports hosts of consequence once per host, with byte offsets into the binary', () => {
      const found = detectInNativeStrings('bin/helper', [
        { text: 'usage: helper [--no-telemetry]', byteOffset: 100 },
        { text: 'POST https://api.mixpanel.com/track?ip=1', byteOffset: 4096 },
        { text: 'https://api.mixpanel.com/engage', byteOffset: 9000 },
        { text: 'résumé https://o77.ingest.sentry.io/api/77/store/', byteOffset: 20_000 },
        { text: 'https://api.anthropic.com/v1/messages', byteOffset: 30_000 },
      ]);
      const byHost = Object.fromEntries(found.map((f) => [f.facts.host, f]));
      expect(Object.keys(byHost).sort()).toEqual(['api.anthropic.com', 'api.mixpanel.com', 'o77.ingest.sentry.io']);
      expect(byHost['api.mixpanel.com']!.message).toContain('(2 references)');
      expect(byHost['api.mixpanel.com']!.location).toMatchObject({ file: 'bin/helper', byteOffset: 4096 + 5, offset: 5 });
      // "résumé " is 9 bytes in UTF-8 but 7 characters.
      expect(byHost['o77.ingest.sentry.io']!.location.byteOffset).toBe(20_009);
      expect(byHost['o77.ingest.sentry.io']!.category).toBe('telemetry');
      expect(byHost['api.anthropic.com']!.facts).toMatchObject({ class: 'llm-api', native: true });
      expect(found.every((f) => f.level === 'note' && f.ruleId === 'TT006')).toBe(true);
    });

    it('finds URLs glued to the string constant before them, as compiled Rust and Go store them', () => {
      // TEST DATA, shaped like Codex 0.169's read-only data: constants back to back.
      const found = detectInNativeStrings('bin/agent', [
        { text: 'modelscodex/responseshttps://api.openai.com/v1responsesprovider authAPI key auth', byteOffset: 500 },
        { text: 'flush_intervalhttps://o12.ingest.sentry.io/api/12/envelope/retry', byteOffset: 900 },
      ]);
      const byHost = Object.fromEntries(found.map((f) => [f.facts.host, f]));
      expect(Object.keys(byHost).sort()).toEqual(['api.openai.com', 'o12.ingest.sentry.io']);
      expect(byHost['api.openai.com']!.location).toMatchObject({ offset: 21, byteOffset: 521 });
      expect(byHost['api.openai.com']!.facts).toMatchObject({ class: 'llm-api', native: true });
    });

    it('keeps the word boundary in JavaScript strings', () => {
      expect(findingsOf('const s = "xhttps://api.openai.com/v1";', 'TT006')).toEqual([]);
    });

    it('leaves out documentation and licence links', () => {
      expect(detectInNativeStrings('rg', [
        { text: 'https://github.com/BurntSushi/ripgrep/issues', byteOffset: 1 },
        { text: 'see http://zsh.sourceforge.net/Doc/', byteOffset: 2 },
        { text: 'https://encoding.spec.whatwg.org/', byteOffset: 3 },
        { text: 'no url here', byteOffset: 4 },
      ])).toEqual([]);
    });
  });
});
