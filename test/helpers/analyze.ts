import { analyzeJavaScript } from '../../src/core/analyze-js.js';
import type { Finding } from '../../src/core/findings.js';

/** Analyses a snippet and returns its findings, optionally only one rule's. */
export function findingsOf(code: string, rule?: string, options: { big?: boolean } = {}): Finding[] {
  const findings = analyzeJavaScript('fixture.js', code, options.big ? { fullWalkBelow: 0 } : {}).findings;
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
