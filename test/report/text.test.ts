import { describe, expect, it } from 'vitest';
import { toText } from '../../src/report/text.js';
import { terminalWidth, toCells, useColor, wrapCells } from '../../src/report/terminal.js';
import type { Finding } from '../../src/core/findings.js';
import type { ScanReport } from '../../src/scan/types.js';
import { CHAIN, HIDDEN, PAYLOAD, cleanReport, endpointNotes, loc, richReport } from './fixtures.js';

const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (s: string): string => s.replace(ANSI, '');

function indexOfLine(lines: string[], pattern: RegExp): number {
  const i = lines.findIndex((l) => pattern.test(l));
  expect(i, `no line matches ${pattern}`).toBeGreaterThanOrEqual(0);
  return i;
}

describe('text report', () => {
  const text = toText([richReport()], { width: 90 });
  const lines = text.split('\n');

  it('starts with the verdict, then the header', () => {
    expect(lines[0]).toBe('✖ npm:@acme/agent@2.4.1 — covert channel and hidden payload for environment checks found');
    expect(lines[1]).toBe('  2 errors, 2 warnings, 12 notes');
    expect(lines[2]).toContain('4 files (203.1 MB) scanned in 1.84 s');
    expect(lines[2]).toContain('2026-03-01 12:00:00 UTC');
    expect(lines[2]).toContain('2 skipped');
  });

  it('groups findings by level, then lists skipped files and scanner notes', () => {
    const order = [/^ERRORS \(2\)$/, /^WARNINGS \(2\)$/, /^NOTES \(12\)$/, /^SKIPPED \(2\)$/, /^SCAN NOTES$/].map((p) => indexOfLine(lines, p));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The covert channel is the headline: first error, with its rule and place.
    expect(lines[order[0]! + 1]).toBe('  ✖ cli.js:1:48213  covert-channel (TT007)');
    expect(text).toContain('  vendor/huge.js — larger than the 64 MB per-file limit');
    expect(text).toContain('  - code lives in platform packages: @acme/agent-linux-x64');
  });

  it('shows the chain of a covert channel, indented and numbered', () => {
    const start = indexOfLine(lines, /chain {4}1\. cli\.js:1:1022 {2}reads the timezone$/);
    expect(lines[start + 1]).toMatch(/^ {16}│ …const q=Intl\.DateTimeFormat\(\)/);
    expect(lines[start + 2]).toMatch(/^ {13}2\. cli\.js:1:2044 {2}compares it with the decoded list$/);
    expect(lines[start + 4]).toMatch(/^ {13}3\. cli\.js:1:48213/);
  });

  it('shows decoded payloads with their encoding, truncated with the full length noted', () => {
    const i = indexOfLine(lines, /decoded {2}base64 > xor\(0x5b\) · 579 chars$/);
    expect(lines[i + 1]).toMatch(/^ {13}"Asia\/Shanghai,Asia\/Urumqi,/);
    expect(lines[i + 4]).toMatch(/^ {13}\+\d+ chars more in --format json$/);
    expect(text).not.toContain('END"');
  });

  it('shows only the start of a huge payload, counting code points', () => {
    const huge = '\u{1F600}' + 'a'.repeat(1_000_000);
    const out = toText([{ ...cleanReport(), findings: [{ ...PAYLOAD, decoded: huge }] }], { width: 80 });
    expect(out).toContain('base64 > xor(0x5b) · 1000001 chars');
    const more = /\+(\d+) chars more in --format json/.exec(out);
    expect(Number(more?.[1])).toBeGreaterThan(999_000);
    expect(out.length).toBeLessThan(2_000);
  });

  it('names hidden characters and never prints them raw', () => {
    expect(text).toContain('chars    U+200B ZERO WIDTH SPACE');
    expect(text).toContain('U+202E RIGHT-TO-LEFT OVERRIDE');
    expect(text).toContain('U+E0041 TAG LATIN CAPITAL LETTER A');
    expect(text).toContain('U+2019 RIGHT SINGLE QUOTATION MARK ’');
    const snippet = indexOfLine(lines, /│ const s = "Hello<U\+200B> world<U\+202E><U\+E0041>";$/);
    // The caret sits under the hidden character the detector pointed at.
    expect(lines[snippet + 1]).toBe('    │ ' + ' '.repeat('const s = "Hello'.length) + '^');
    expect(text).not.toMatch(/[\u200B\u202E]|\u{E0041}/u);
    expect(text).toContain('P.replace(/\'/g,"<U+2019>")');
  });

  it('marks the byte offset of a finding inside an executable', () => {
    expect(text).toContain('▲ bin/agent:3:15 (byte 0x1F3A2C)  env-fingerprint (TT001)');
  });

  it('folds a busy notes rule into one summary', () => {
    const i = indexOfLine(lines, /• 12 × network-endpoint \(note\) — --format json lists all$/);
    expect(lines[i + 1]).toMatch(/^ {4}host:host0\.example-api\.test, host:host1\.example-api\.test, /);
    expect(text).not.toContain('Endpoint host0.example-api.test');
    // A few notes of a rule are shown in full.
    const few = toText([{ ...cleanReport(), findings: endpointNotes(2) }]);
    expect(few).toContain('Endpoint host1.example-api.test (other)');
    expect(few).not.toContain('×');
  });

  it('caps warnings of one rule and counts the rest', () => {
    const many: Finding[] = Array.from({ length: 14 }, (_, i) => ({ ...HIDDEN, location: loc('a.js', i + 1, 1, i * 50, 'x'), facts: { key: `k${i}` } }));
    const out = toText([{ ...cleanReport(), findings: many }], { maxWarningsPerRule: 10 });
    expect(out.match(/▲ a\.js:/g)).toHaveLength(10);
    expect(out).toContain('… 4 more warnings of hidden-characters — --format json lists all');
  });

  it('is two lines for a clean package', () => {
    const clean = toText([cleanReport()]);
    expect(clean.trimEnd().split('\n')).toEqual([
      '✓ npm:tidy@1.0.0 — no findings',
      '  1 file (4.0 KB) scanned in 312 ms · 2026-03-01 12:00:00 UTC · telltale 0.1.0',
    ]);
  });

  it('stays short for a package with only notes', () => {
    const report: ScanReport = { ...cleanReport(), findings: endpointNotes(40) };
    const out = toText([report]).trimEnd().split('\n');
    expect(out[0]).toBe('✓ npm:tidy@1.0.0 — nothing covert found: 40 notes');
    expect(out.length).toBeLessThanOrEqual(6);
  });

  it('wraps to the width and keeps colour off unless asked', () => {
    for (const width of [60, 90]) {
      for (const line of toText([richReport()], { width }).split('\n')) expect([...line].length, line).toBeLessThanOrEqual(width);
    }
    expect(text).not.toMatch(ANSI);
    const coloured = toText([richReport()], { width: 90, color: true });
    expect(coloured).toMatch(ANSI);
    expect(plain(coloured)).toBe(text);
  });

  it('says when --fail-on makes the run fail', () => {
    expect(toText([richReport()], { failOn: 'error', width: 200 }).split('\n')[0]).toMatch(/: 2 errors, 2 warnings, 12 notes \(exit 1: --fail-on error\)$/);
    const notesOnly = { ...cleanReport(), findings: endpointNotes(1) };
    expect(toText([notesOnly], { failOn: 'warning' })).not.toContain('exit 1');
    expect(toText([notesOnly], { failOn: 'note' })).toContain('(exit 1: --fail-on note)');
  });

  it('renders several targets with a total verdict', () => {
    const out = toText([richReport(), cleanReport()], { width: 120 }).trimEnd().split('\n');
    expect(out.filter((l) => /^[✖▲✓] /.test(l)).map((l) => l.slice(0, 22))).toEqual(['✖ npm:@acme/agent@2.4.', '✓ npm:tidy@1.0.0 — no ', '✖ 2 targets — covert c']);
  });

  it('groups many skipped files by reason', () => {
    const report = cleanReport();
    report.skipped = Array.from({ length: 12 }, (_, i) => ({ path: `img/${i}.png`, reason: i < 10 ? 'image' : 'too large' }));
    const out = toText([report]);
    expect(out).toContain('  image (10): img/0.png, img/1.png,');
    expect(out).toContain('  too large (2): img/10.png, img/11.png');
  });

  it('shows a payload without a snippet mark when the detector gives no position', () => {
    const out = toText([{ ...cleanReport(), findings: [PAYLOAD, CHAIN] }]);
    const lines2 = out.split('\n');
    const i = indexOfLine(lines2, /│ …Zx=dec\("QUJDREVGR0hJSktM"\)…$/);
    expect(lines2[i + 1]).not.toMatch(/\^/);
  });
});

describe('terminal helpers', () => {
  it('colour only on a TTY with NO_COLOR unset or empty', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBe(100);
  });

  it('counts wide characters as two columns when wrapping', () => {
    const lines = wrapCells(toCells('漢字漢字漢字漢字漢字'), 8);
    expect(lines.map((l) => l.map((c) => c.text).join(''))).toEqual(['漢字漢字', '漢字漢字', '漢字']);
  });
});
