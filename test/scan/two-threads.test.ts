/**
 * Bundles over 4 MB are analysed in two threads (scan.ts): each parses and walks
 * half of the anchored statements, the correlation runs once over both. This
 * test builds a 5 MB bundle whose covert channel (inert, labelled TEST DATA) is
 * spread over both halves, and checks that the real CLI finds the same chain
 * and merges once-per-file findings across the halves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeJavaScript } from '../../src/core/analyze-js.js';

const BIN = resolve(__dirname, '../../dist/cli/bin.js');
let dir = '';
let bundle = '';

function filler(from: number, count: number): string {
  const out: string[] = [];
  for (let i = from; i < from + count; i++) {
    out.push(`function pad${i}(a,b){var c=a*${i}+b;for(var k=0;k<3;k++)c=(c<<1)^k;return c}`);
    // Anchored statements in both halves: the same host many times, and env reads.
    if (i % 500 === 0) out.push(`var link${i}="https://docs.example-vendor.net/page/${i}";`);
  }
  return out.join('\n');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'telltale-two-threads-'));
  // TEST DATA: a synthetic tracker split across the file — signal first, choice last.
  const head = 'var zoneMemo;function zone(){if(!zoneMemo)zoneMemo=Intl.DateTimeFormat().resolvedOptions().timeZone;return zoneMemo}';
  const middle = 'function far(){var z=zone();return z==="Europe/Minsk"||z==="America/Caracas"}';
  const tail = 'function quote(){return far()?"\\u2019":"\'"}\nexport function line(){return "It"+quote()+"s fine"}';
  bundle = [head, filler(0, 30_000), middle, filler(30_000, 30_000), tail].join('\n');
  writeFileSync(join(dir, 'bundle.js'), bundle);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('two-thread analysis of a big bundle', () => {
  it('finds a covert channel whose parts are in different halves, like the one-thread analysis', () => {
    expect(bundle.length).toBeGreaterThan(4 << 20);
    const r = spawnSync(process.execPath, [BIN, 'scan', join(dir, 'bundle.js'), '--format', 'json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(1);
    const two = JSON.parse(r.stdout) as { findings: Array<{ ruleId: string; level: string; message: string; facts: Record<string, unknown> }> };
    const channel = two.findings.find((f) => f.ruleId === 'TT007');
    expect(channel?.level).toBe('error');
    expect(channel?.facts.signals).toEqual(['timezone']);
    expect(channel?.facts.compared).toEqual(expect.arrayContaining(['Europe/Minsk', 'America/Caracas']));
    // One endpoint finding for the host, counting the references of both halves.
    const hosts = two.findings.filter((f) => f.ruleId === 'TT006' && f.facts.host === 'docs.example-vendor.net');
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.message).toContain('(120 references)');
    // Same findings as analysing the file in one piece (in this process).
    const one = analyzeJavaScript('bundle.js', bundle).findings;
    const keys = (fs: Array<{ ruleId: string; level: string; facts: Record<string, unknown> }>) => fs.map((f) => `${f.ruleId} ${f.level} ${String(f.facts.key)}`).sort();
    expect(keys(two.findings)).toEqual(keys(one));
  });
});
