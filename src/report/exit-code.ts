/**
 * DESIGN.md's exit-code contract for `scan` and `diff`: 0 when nothing is at or
 * above `--fail-on` (default `error`), 1 otherwise (2, usage and input errors,
 * comes from UsageError in the CLI shell). Also the parsers for `--fail-on` and
 * `--format`, so every command rejects bad values with the same one-line message.
 */
import { atLeast, type Finding, type Level } from '../core/findings.js';
import { UsageError } from '../cli/errors.js';

export type FailOn = Level | 'none';
export type ReportFormat = 'text' | 'json' | 'sarif';

export const FAIL_ON_VALUES: readonly FailOn[] = ['error', 'warning', 'note', 'none'];
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'sarif'];
export const DEFAULT_FAIL_ON: FailOn = 'error';

export function exitCodeFor(findings: Iterable<Pick<Finding, 'level'>>, failOn: FailOn): 0 | 1 {
  if (failOn === 'none') return 0;
  for (const f of findings) if (atLeast(f.level, failOn)) return 1;
  return 0;
}

function listOf(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

function parseChoice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T {
  const normalised = (value ?? '').trim().toLowerCase();
  const found = allowed.find((a) => a === normalised);
  if (found !== undefined) return found;
  // The message must stay one line, whatever was typed.
  const printable = (value ?? '').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const shown = printable === '' ? 'nothing' : `'${printable}'`;
  throw new UsageError(`${flag} must be ${listOf(allowed)}, not ${shown}`);
}

/** Parses `--fail-on`; undefined (flag absent) gives the default, `error`. */
export function parseFailOn(value: string | undefined): FailOn {
  return value === undefined ? DEFAULT_FAIL_ON : parseChoice('--fail-on', value, FAIL_ON_VALUES);
}

/**
 * Parses `--format`; undefined gives `text`. `allowed` narrows the choice for
 * commands with fewer formats (`probe`: text or json).
 */
export function parseFormat<F extends ReportFormat = ReportFormat>(value: string | undefined, allowed: readonly F[] = REPORT_FORMATS as readonly F[]): F {
  if (value === undefined) {
    const fallback = allowed.find((a) => a === 'text') ?? allowed[0];
    if (fallback === undefined) throw new Error('parseFormat needs at least one allowed format');
    return fallback;
  }
  return parseChoice('--format', value, allowed);
}
