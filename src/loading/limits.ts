/** Default limits of the loading shell and how options are resolved against them. */
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../cli/errors.js';
import type { LoadOptions } from './types.js';

export type ResolvedLoadOptions = Required<Omit<LoadOptions, 'onFile'>> & Pick<LoadOptions, 'onFile'>;

const MiB = 1024 * 1024;

export const DEFAULT_LOAD_OPTIONS: Readonly<Omit<ResolvedLoadOptions, 'cacheDir'>> = {
  maxFiles: 20_000,
  maxTotalBytes: 2048 * MiB,
  maxFileBytes: 64 * MiB,
  maxExecutableBytes: 600 * MiB,
  // Minified JavaScript compresses 4–8x, executables 2–4x; gzip's ceiling is ~1032x.
  maxCompressionRatio: 100,
  compressionRatioFloorBytes: 32 * MiB,
  minJavaScriptRunBytes: 4096,
  minStringBytes: 6,
  maxStringBytes: 16 * MiB,
  npmCommand: 'npm',
  npmTimeoutMs: 10 * 60_000,
  deferBinaries: false,
};

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TELLTALE_CACHE_DIR) return path.resolve(env.TELLTALE_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'telltale');
  return path.join(os.homedir(), '.cache', 'telltale');
}

export function resolveLoadOptions(options: LoadOptions = {}): ResolvedLoadOptions {
  const resolved: ResolvedLoadOptions = { ...DEFAULT_LOAD_OPTIONS, cacheDir: options.cacheDir ?? defaultCacheDir() };
  for (const [key, value] of Object.entries(options) as Array<[keyof LoadOptions, unknown]>) {
    if (value === undefined) continue;
    if (key === 'onFile') {
      if (typeof value !== 'function') throw new UsageError('load option onFile must be a function');
      resolved.onFile = value as LoadOptions['onFile'];
    } else if (key === 'deferBinaries') {
      if (typeof value !== 'boolean') throw new UsageError('load option deferBinaries must be true or false');
      resolved.deferBinaries = value;
    } else if (key === 'cacheDir' || key === 'npmCommand') {
      if (typeof value !== 'string' || value === '') throw new UsageError(`load option ${key} must be a non-empty string`);
      resolved[key] = value;
    } else {
      if (typeof value !== 'number' || !(value > 0)) throw new UsageError(`load option ${key} must be a positive number, got ${String(value)}`);
      resolved[key] = value;
    }
  }
  return resolved;
}

export function mib(bytes: number): string {
  const v = bytes / MiB;
  return `${v >= 10 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} MiB`;
}
