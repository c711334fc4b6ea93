/**
 * What each finding category means to a reader, and how code scanning should
 * weigh it. One table, so SARIF rule metadata, the text report and docs/formats.md
 * say the same thing.
 */
import type { Category } from '../core/findings.js';

export const CATEGORIES: readonly Category[] = [
  'covert-channel',
  'obfuscated-payload',
  'region-targeting',
  'env-fingerprint',
  'hidden-characters',
  'data-collection',
  'telemetry',
  'network-endpoint',
];

export const CATEGORY_DESCRIPTION: Readonly<Record<Category, string>> = {
  'covert-channel': 'environment-derived data reaching outgoing content through characters or formats a person cannot see, or through hidden egress',
  'obfuscated-payload': 'a string hidden from text search (base64, hex, XOR, character codes, …) and recovered',
  'region-targeting': 'an environment signal compared with specific regions, timezones, locales or domains',
  'env-fingerprint': 'the code reads an environment signal that can identify or locate the user',
  'hidden-characters': 'look-alike or invisible characters in string literals',
  'data-collection': 'the code gathers user or machine data',
  telemetry: 'a telemetry, analytics or error-reporting endpoint',
  'network-endpoint': 'a host the code can contact',
};

/** The verdict's words for an `error` in each category (errors are rare: covert channels and payloads that feed them). */
export const CATEGORY_VERDICT: Readonly<Record<Category, string>> = {
  'covert-channel': 'covert channel',
  'obfuscated-payload': 'hidden payload for environment checks',
  'region-targeting': 'region targeting',
  'env-fingerprint': 'environment fingerprinting',
  'hidden-characters': 'hidden characters',
  'data-collection': 'data collection',
  telemetry: 'telemetry',
  'network-endpoint': 'network endpoint',
};

/**
 * SARIF `precision` (how often a rule's results are true positives): a URL
 * literal is certainly there; a look-alike character is often legitimate
 * typography; a correlated chain is strong but inferred.
 */
export const CATEGORY_PRECISION: Readonly<Record<Category, 'very-high' | 'high' | 'medium' | 'low'>> = {
  'covert-channel': 'high',
  'obfuscated-payload': 'high',
  'region-targeting': 'high',
  'env-fingerprint': 'very-high',
  'hidden-characters': 'medium',
  'data-collection': 'high',
  telemetry: 'very-high',
  'network-endpoint': 'very-high',
};

/** CWE tags GitHub code scanning understands, where one fits without stretching. */
export const CATEGORY_CWE: Readonly<Partial<Record<Category, string>>> = {
  'covert-channel': 'external/cwe/cwe-515', // Covert Storage Channel
  'hidden-characters': 'external/cwe/cwe-1007', // Insufficient Visual Distinction of Homoglyphs
  'data-collection': 'external/cwe/cwe-359', // Exposure of Private Personal Information
  telemetry: 'external/cwe/cwe-359',
};
