import { describe, expect, it } from 'vitest';
import { findingsOf } from '../../helpers/analyze.js';

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
});
