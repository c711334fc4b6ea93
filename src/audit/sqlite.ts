/**
 * Loads `node:sqlite` without its one-time ExperimentalWarning on stderr (users read
 * telltale's stderr; the warning says nothing they can act on). Other warnings pass.
 */
import { createRequire } from 'node:module';
import type * as Sqlite from 'node:sqlite';

let loaded: typeof Sqlite | undefined;

export function sqlite(): typeof Sqlite {
  if (loaded) return loaded;
  const original = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (original as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as typeof Sqlite;
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}
