/**
 * Hand-built scan reports for the renderer tests: a covert-channel chain, a
 * decoded payload, hidden characters, a finding inside a compiled executable,
 * a busy notes rule, skipped files and scanner notes — and a clean package.
 */
import type { Finding, RuleMeta, SourceLocation } from '../../src/core/findings.js';
import type { ScanReport } from '../../src/scan/types.js';

export const RULES: RuleMeta[] = [
  {
    id: 'TT001',
    name: 'env-fingerprint',
    shortDescription: 'Reads an environment signal',
    help: 'The code reads the timezone, locale, proxy or API base URL. Alone this is common; check where the value goes.',
    category: 'env-fingerprint',
    maxLevel: 'warning',
  },
  {
    id: 'TT003',
    name: 'obfuscated-payload',
    shortDescription: 'Hidden string recovered',
    help: 'A string hidden by base64, hex, XOR or character codes was recovered. Judge what it is and how it is used.',
    category: 'obfuscated-payload',
    maxLevel: 'error',
  },
  {
    id: 'TT004',
    name: 'hidden-characters',
    shortDescription: 'Look-alike or invisible characters in a string',
    help: 'Look-alike or invisible characters in string literals, especially when chosen by a condition.',
    category: 'hidden-characters',
    maxLevel: 'warning',
  },
  {
    id: 'TT006',
    name: 'network-endpoint',
    shortDescription: 'Network endpoint (URL) in the code, classified',
    help: 'A URL the code can contact. Review new hosts between releases.',
    category: 'network-endpoint',
    maxLevel: 'note',
  },
  {
    id: 'TT007',
    name: 'covert-channel',
    shortDescription: 'Environment data hidden in outgoing content',
    help: 'An environment signal, compared with hidden values, changes outgoing content invisibly. Block the release.',
    category: 'covert-channel',
    maxLevel: 'error',
  },
];

export function loc(file: string, line: number, column: number, offset: number, snippet: string, extra: Partial<SourceLocation> = {}): SourceLocation {
  return { file, line, column, offset, length: 12, snippet, ...extra };
}

const DECODED = 'Asia/Shanghai,Asia/Urumqi,Asia/Chongqing,Asia/Harbin,Asia/Kashgar,' + 'example-lab.test,'.repeat(30) + 'END';

export const CHAIN: Finding = {
  ruleId: 'TT007',
  level: 'error',
  category: 'covert-channel',
  message: 'The timezone, compared with a hidden list, chooses look-alike apostrophes in the system prompt',
  location: loc('cli.js', 1, 48213, 48212, '…if(Zx.includes(q))P=P.replace(/\'/g,"\u2019")…'),
  related: [
    { message: 'reads the timezone', location: loc('cli.js', 1, 1022, 1021, '…const q=Intl.DateTimeFormat().resolvedOptions().timeZone…') },
    { message: 'compares it with the decoded list', location: loc('cli.js', 1, 2044, 2043, '…Zx=dec("QUJD")…') },
    { message: 'swaps the apostrophes in outgoing text', location: loc('cli.js', 1, 48213, 48212, '…P.replace(/\'/g,"\u2019")…') },
  ],
  codePoints: ['U+2019'],
  facts: { key: 'covert:timezone>apostrophe', signal: 'timezone', channel: 'confusable-swap' },
  shape: 'if(M.includes(I))I=I.replace(R,S)',
};

export const PAYLOAD: Finding = {
  ruleId: 'TT003',
  level: 'error',
  category: 'obfuscated-payload',
  message: 'A hidden list of timezones and domains feeds an environment check',
  location: loc('cli.js', 1, 2044, 2043, '…Zx=dec("QUJDREVGR0hJSktM")…'),
  decoded: DECODED,
  encoding: 'base64 > xor(0x5b)',
  facts: { key: 'payload:timezones+domains', entries: ['Asia/Shanghai', 'Asia/Urumqi', 'example-lab.test'] },
};

export const HIDDEN: Finding = {
  ruleId: 'TT004',
  level: 'warning',
  category: 'hidden-characters',
  message: 'Invisible and tag characters in a string literal',
  location: loc('lib/prompt.js', 12, 7, 340, 'const s = "Hello\u200B world\u202E\u{E0041}";', { snippetOffset: 16 } as Partial<SourceLocation>),
  codePoints: ['U+200B', 'U+202E', 'U+E0041'],
  facts: { key: 'invisible:U+200B,U+202E,U+E0041' },
};

export const IN_BINARY: Finding = {
  ruleId: 'TT001',
  level: 'warning',
  category: 'env-fingerprint',
  message: 'Reads the timezone (Intl resolvedOptions)',
  location: loc('bin/agent', 3, 15, 9000, 'x=Intl.DateTimeFormat().resolvedOptions().timeZone', { byteOffset: 0x1f3a2c }),
  facts: { key: 'timezone:Intl.resolvedOptions' },
};

export function endpointNotes(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => ({
    ruleId: 'TT006',
    level: 'note' as const,
    category: 'network-endpoint' as const,
    message: `Endpoint host${i}.example-api.test (other)`,
    location: loc('cli.js', 1, 5000 + i * 100, 4999 + i * 100, `…fetch("https://host${i}.example-api.test/v1")…`),
    facts: { key: `host:host${i}.example-api.test`, class: 'other' },
  }));
}

export function richReport(): ScanReport {
  return {
    tool: { name: 'telltale', version: '0.1.0' },
    target: 'npm:@acme/agent@2.4.1',
    package: { name: '@acme/agent', version: '2.4.1' },
    startedAt: '2026-03-01T12:00:00.000Z',
    durationMs: 1843,
    rules: RULES,
    findings: [CHAIN, PAYLOAD, HIDDEN, IN_BINARY, ...endpointNotes(12)],
    files: [
      { path: 'cli.js', kind: 'javascript', size: 13_000_000, findings: 14, ms: 1500, sha256: 'a'.repeat(64) },
      { path: 'lib/prompt.js', kind: 'javascript', size: 2_000, findings: 1, ms: 3 },
      { path: 'bin/agent', kind: 'executable', size: 200_000_000, findings: 1, ms: 300 },
      { path: 'package.json', kind: 'json', size: 900, findings: 0, ms: 1 },
    ],
    skipped: [
      { path: 'assets/logo.png', reason: 'binary image, no text to analyse' },
      { path: 'vendor/huge.js', reason: 'larger than the 64 MB per-file limit' },
    ],
    notes: ['code lives in platform packages: @acme/agent-linux-x64; scan npm:@acme/agent-linux-x64@2.4.1 to analyse it'],
  };
}

export function cleanReport(): ScanReport {
  return {
    tool: { name: 'telltale', version: '0.1.0' },
    target: 'npm:tidy@1.0.0',
    package: { name: 'tidy', version: '1.0.0' },
    startedAt: '2026-03-01T12:00:00.000Z',
    durationMs: 312,
    rules: RULES,
    findings: [],
    files: [{ path: 'index.js', kind: 'javascript', size: 4096, findings: 0, ms: 12 }],
    skipped: [],
    notes: [],
  };
}

/** A deep copy with every place moved (as in the next release of a minified bundle): facts and shape untouched. */
export function movedCopy(report: ScanReport, shift: number): ScanReport {
  const move = (l: SourceLocation): SourceLocation => ({
    ...l,
    line: l.line + 1,
    column: l.column + shift,
    offset: l.offset + shift,
    snippet: l.snippet.replace(/[A-Z][a-z]?(?=[.=(])/g, 'Qv'),
  });
  const copy = structuredClone(report);
  copy.findings = copy.findings.reverse().map((f) => ({
    ...f,
    message: f.message,
    location: move(f.location),
    ...(f.related ? { related: f.related.map((r) => ({ ...r, location: move(r.location) })) } : {}),
  }));
  return copy;
}
