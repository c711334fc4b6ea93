import { describe, expect, it } from 'vitest';
import { exitCodeFor, parseFailOn, parseFormat } from '../../src/report/exit-code.js';
import { UsageError } from '../../src/cli/errors.js';
import type { Level } from '../../src/core/findings.js';

const of = (...levels: Level[]): Array<{ level: Level }> => levels.map((level) => ({ level }));

describe('exitCodeFor', () => {
  it('fails only on findings at or above the threshold', () => {
    expect(exitCodeFor(of('error'), 'error')).toBe(1);
    expect(exitCodeFor(of('warning', 'note'), 'error')).toBe(0);
    expect(exitCodeFor(of('warning'), 'warning')).toBe(1);
    expect(exitCodeFor(of('note'), 'warning')).toBe(0);
    expect(exitCodeFor(of('note'), 'note')).toBe(1);
    expect(exitCodeFor(of('error'), 'note')).toBe(1);
    expect(exitCodeFor(of('error', 'warning', 'note'), 'none')).toBe(0);
    expect(exitCodeFor([], 'note')).toBe(0);
  });
});

describe('parseFailOn and parseFormat', () => {
  it('accept the documented values, any case, and default when absent', () => {
    expect(parseFailOn(undefined)).toBe('error');
    expect(parseFailOn('Warning')).toBe('warning');
    expect(parseFailOn('none')).toBe('none');
    expect(parseFormat(undefined)).toBe('text');
    expect(parseFormat('SARIF')).toBe('sarif');
    expect(parseFormat('json', ['text', 'json'])).toBe('json');
  });

  it('reject anything else with a one-line UsageError naming the choices', () => {
    const attempt = (fn: () => unknown): UsageError => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return error as UsageError;
      }
      throw new Error('expected a UsageError');
    };
    expect(attempt(() => parseFailOn('high')).message).toBe("--fail-on must be error, warning, note or none, not 'high'");
    expect(attempt(() => parseFormat('xml')).message).toBe("--format must be text, json or sarif, not 'xml'");
    expect(attempt(() => parseFormat('sarif', ['text', 'json'])).message).toBe("--format must be text or json, not 'sarif'");
    expect(attempt(() => parseFailOn('')).message).toMatch(/not nothing$/);
    expect(attempt(() => parseFormat('xml')).exitCode).toBe(2);
    expect(attempt(() => parseFormat('x\ny')).message).toBe("--format must be text, json or sarif, not 'x\\x0ay'");
  });
});
