import { expect } from 'vitest';
import { analyzeJavaScript } from '../../src/core/analyze-js.js';
import type { Finding } from '../../src/core/findings.js';

const summary = (f: Finding) => `${f.ruleId} ${f.level} @${f.location.offset}+${f.location.length} ${f.message}`;

/**
 * Analyses a snippet and returns its findings, optionally only one rule's.
 * Every snippet is also analysed the way big bundles are (textual anchors
 * select the statements to parse and walk, see analyze-js.ts), and both must
 * find the same: a detector whose findings have no anchor would pass its unit
 * tests and miss in real bundles.
 */
export function findingsOf(code: string, rule?: string, options: { big?: boolean } = {}): Finding[] {
  const whole = analyzeJavaScript('fixture.js', code, {}).findings;
  const anchored = analyzeJavaScript('fixture.js', code, { fullWalkBelow: 0 }).findings;
  if (process.env.TELLTALE_TEST_ANCHORS !== '0') expect(anchored.map(summary), 'findings of the anchored (big-file) analysis').toEqual(whole.map(summary));
  const findings = options.big ? anchored : whole;
  return rule ? findings.filter((f) => f.ruleId === rule || f.facts.rule === rule) : findings;
}

/** Inert, clearly-labelled synthetic test data: base64 of `text` XOR-ed with a repeating key. */
export function xorBase64(text: string, key: number[]): string {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.from(bytes.map((b, i) => b ^ key[i % key.length]!)).toString('base64');
}

export function xorHex(text: string, key: number[]): string {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.from(bytes.map((b, i) => b ^ key[i % key.length]!)).toString('hex');
}
