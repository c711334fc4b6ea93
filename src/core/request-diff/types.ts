/**
 * The vocabulary of the request diff: runs of an agent (each under one
 * assignment of environment factors) with the requests they made, in; the
 * differences the environment caused, out. This is the `probe --format json`
 * contract of DESIGN.md (`differences[]`), extended.
 */
import type { Level } from '../findings.js';

export type DifferenceKind =
  | 'confusable-swap'
  | 'invisible-char'
  | 'format-change'
  | 'whitespace-change'
  | 'text-change'
  | 'extra-request'
  | 'missing-request';

/** One request, as the diff needs it (a subset of the capture server's record). */
export interface RequestInput {
  method: string;
  host: string;
  path: string;
  endpoint: string;
  headers: Record<string, string>;
  body: string;
  json?: unknown;
}

export interface RunInput {
  id: string;
  /** Factor name → value label, for every factor (baseline values included). */
  assignment: Record<string, string>;
  /** The environment the agent got (only TZ is read, for the date rule). */
  env: Record<string, string>;
  /** Base URLs the agent was pointed at (their host + path prefix identify API requests). */
  apiBases: string[];
  /** Run-specific strings (sandbox paths, ports) to erase before comparing. */
  artifacts: string[];
  requests: RequestInput[];
}

export interface FactorInput {
  name: string;
  /** The baseline value's label. */
  baseline: string;
  /** What the factor is about: changes how differences are rated (a date format keyed on the locale is less suspicious). */
  role?: 'timezone' | 'locale' | 'proxy' | 'api-host' | 'hostname' | 'custom';
}

export interface CharChange {
  change: 'added' | 'removed' | 'swapped';
  /** `U+XXXX` of the character (for a swap: the new one). */
  cp: string;
  name: string;
  /** For a swap: the character it replaced. */
  from?: string;
  fromName?: string;
}

export interface FactorValue {
  factor: string;
  value: string;
  baselineValue: string;
}

export interface RequestRef {
  /** Index of the request in the run that shows the difference (variant run). */
  index: number;
  /** `POST /v1/messages`, relative to the API base URL for API requests. */
  endpoint: string;
  /** Alignment key (endpoint and occurrence). */
  key: string;
  host: string;
}

export interface Difference {
  /** Differences with the same cause and change share a group (one line of the text report). */
  group: number;
  /** The factor (or `a+b` for an interaction) and the value that triggers the change. */
  factor: string;
  value: string;
  baselineValue: string;
  /** The same, one entry per factor of the explaining set. */
  factors: FactorValue[];
  request: RequestRef;
  /** Which part of the request: body (JSON pointer into the body), headers (`/name`), url. */
  part: 'body' | 'headers' | 'url' | 'request';
  /** JSON pointer into `part`. */
  field: string;
  kind: DifferenceKind;
  level: Level;
  /** Short excerpts around the change. */
  baseline: string;
  variant: string;
  /** Just the changed text: what the baseline had, and what this value of the factor put there. */
  from: string;
  to: string;
  /** Changed characters, as `U+XXXX`. */
  codePoints: string[];
  characters: CharChange[];
  /** How many places in the request changed this way. */
  occurrences: number;
  /** Runs that show it. */
  runs: string[];
  /** Other factor sets that explain it equally well (attribution not unique). */
  alternatives?: string[][];
}

/** A hidden character present in every run (even the baseline): not caused by a factor, still a channel. */
export interface PersistentHiddenChar {
  request: RequestRef;
  part: 'body' | 'headers' | 'url';
  field: string;
  cp: string;
  name: string;
  kind: string;
  level: Level;
  count: number;
  excerpt: string;
  /** For tag characters: the ASCII they spell. */
  payload?: string;
}

/** A place that changes between runs with the same environment. */
export interface NondeterministicChange {
  request: RequestRef;
  part: string;
  field: string;
  kind: DifferenceKind;
  baseline: string;
  variant: string;
  runs: string[];
}

/** A change no factor set of up to three explains (and that is not plain nondeterminism). */
export interface UnexplainedChange extends NondeterministicChange {
  level: Level;
}

/** Runs the analysis wants in order to decide between explanations. */
export interface ConfirmationRequest {
  /** Factor → value; factors not named keep their baseline value. */
  assignment: Record<string, string>;
  reason: string;
}

export interface Analysis {
  differences: Difference[];
  persistent: PersistentHiddenChar[];
  nondeterministic: NondeterministicChange[];
  unexplained: UnexplainedChange[];
  /** Assignments worth running to resolve ambiguous attributions. */
  confirm: ConfirmationRequest[];
  /** The reference run everything is compared with. */
  reference: string;
}
