/**
 * Fetches `npm:<name>[@<version|range|tag>]` with the user's own npm (`npm pack`),
 * so their registry, proxy and auth configuration apply, and caches the tarball
 * under `<cacheDir>/npm/` keyed by exact name and version: a second scan of a
 * pinned version runs offline. Only registry specs are accepted (no git, URL,
 * file or alias specs), and npm runs with --ignore-scripts: fetching must never
 * run the package's code.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UsageError } from '../cli/errors.js';
import type { ResolvedLoadOptions } from './limits.js';

export interface NpmSpec {
  name: string;
  /** Version, range or dist-tag; undefined means npm's default (`latest`). */
  range?: string;
}

export interface FetchedPackage {
  file: string;
  name: string;
  version: string;
  /** True when the tarball came from telltale's cache without running npm. */
  cached: boolean;
}

const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/i;
const RANGE = /^[A-Za-z0-9.^~<>=|*+ _-]+$/;
const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Parses the part after `npm:`; throws a UsageError for anything but a registry spec. */
export function parseNpmSpec(spec: string): NpmSpec {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  const name = at < 0 ? spec : spec.slice(0, at);
  const range = at < 0 ? undefined : spec.slice(at + 1).trim();
  if (!NAME.test(name) || (range !== undefined && (range === '' || !RANGE.test(range)))) {
    throw new UsageError(`npm:${spec} is not a registry package spec; write npm:<name>@<version> (for a git repo or folder, pass a directory or a .tgz)`);
  }
  return range === undefined ? { name } : { name, range };
}

export function cacheKey(name: string, version: string): string {
  // '+' cannot occur in a package name, so the scope separator maps to it without collisions.
  return `${name.replace('/', '+')}@${version}.tgz`;
}

export async function fetchNpmPackage(spec: string, limits: ResolvedLoadOptions): Promise<FetchedPackage> {
  const parsed = parseNpmSpec(spec);
  const dir = path.join(limits.cacheDir, 'npm');
  if (parsed.range && EXACT_VERSION.test(parsed.range)) {
    const file = path.join(dir, cacheKey(parsed.name, parsed.range));
    if (await isFile(file)) return { file, name: parsed.name, version: parsed.range, cached: true };
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new InputError(`cannot create the cache folder ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'}); set TELLTALE_CACHE_DIR to a writable folder`);
  }
  const staging = await mkdtemp(path.join(dir, '.staging-'));
  try {
    const fullSpec = parsed.range ? `${parsed.name}@${parsed.range}` : parsed.name;
    const run = await runNpm(limits.npmCommand, ['pack', fullSpec, '--json', '--ignore-scripts', '--pack-destination', staging], limits.npmTimeoutMs);
    const packed = parsePackOutput(run.stdout);
    if (run.code !== 0 || !packed) {
      throw await packError(spec, parsed, run, dir);
    }
    const file = path.join(dir, cacheKey(packed.name, packed.version));
    await rename(path.join(staging, packed.filename), file);
    return { file, name: packed.name, version: packed.version, cached: false };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

interface NpmRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError?: NodeJS.ErrnoException;
}

function runNpm(command: string, args: string[], timeoutMs: number): Promise<NpmRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32', windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: '', timedOut, spawnError: error });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

interface Packed {
  name: string;
  version: string;
  filename: string;
}

/** `npm pack --json` prints an array of {name, version, filename, …}; errors print {error: {code, summary}}. */
function parsePackOutput(stdout: string): Packed | undefined {
  const value = parseJsonLoose(stdout);
  const first: unknown = Array.isArray(value) ? value[0] : undefined;
  if (!first || typeof first !== 'object') return undefined;
  const { name, version, filename } = first as Record<string, unknown>;
  if (typeof name !== 'string' || typeof version !== 'string' || typeof filename !== 'string') return undefined;
  if (filename.includes('/') || filename.includes('\\') || !NAME.test(name)) return undefined;
  return { name, version, filename };
}

function parseJsonLoose(text: string): unknown {
  const start = text.search(/[[{]/);
  if (start < 0) return undefined;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
}

const UNREACHABLE = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ERR_SOCKET_TIMEOUT', 'EPROTO']);

async function packError(spec: string, parsed: NpmSpec, run: NpmRun, dir: string): Promise<InputError> {
  if (run.spawnError) {
    return new InputError(
      run.spawnError.code === 'ENOENT'
        ? `cannot fetch npm:${spec}: npm is not installed or not on PATH; install npm, or pass a .tgz made with npm pack`
        : `cannot fetch npm:${spec}: could not start npm (${run.spawnError.code ?? run.spawnError.message})`,
    );
  }
  if (run.timedOut) return new InputError(`cannot fetch npm:${spec}: npm pack did not finish in time; check the network, or download with npm pack and pass the .tgz`);
  const value = parseJsonLoose(run.stdout);
  const error = value && typeof value === 'object' && 'error' in value ? (value as { error: { code?: unknown; summary?: unknown } }).error : undefined;
  const code = typeof error?.code === 'string' ? error.code : (/npm (?:error|ERR!) code (\S+)/.exec(run.stderr)?.[1] ?? '');
  const summary = typeof error?.summary === 'string' ? error.summary : lastErrorLine(run.stderr);
  if (code === 'E404') return new InputError(`npm:${spec} was not found on the registry (E404); check the package name and version`);
  if (code === 'ETARGET') return new InputError(`npm:${spec}: no version of ${parsed.name} matches "${parsed.range ?? 'latest'}" (ETARGET); check the version with npm view ${parsed.name} versions`);
  if (code === 'E401' || code === 'E403' || code === 'ENEEDAUTH') {
    return new InputError(`npm:${spec}: the registry refused access (${code}); log in with npm login or check your .npmrc`);
  }
  if (UNREACHABLE.has(code) || /FetchError|network|socket|ENOTFOUND|ECONNREFUSED|EAI_AGAIN/i.test(summary)) {
    const cached = await cachedVersions(dir, parsed.name);
    const hint = cached.length > 0 ? `; cached versions you can scan offline: ${cached.map((v) => `npm:${parsed.name}@${v}`).join(', ')}` : '; check your network and npm proxy/registry settings';
    return new InputError(`cannot fetch npm:${spec}: the npm registry is unreachable (${code || 'network error'})${hint}`);
  }
  return new InputError(`cannot fetch npm:${spec}: npm pack failed${code ? ` (${code})` : ''}: ${summary || 'no message'}`);
}

function lastErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => /^npm (?:error|ERR!)/.test(l) && !/A complete log|^npm (?:error|ERR!)\s*$/.test(l));
  return (lines[0] ?? '').replace(/^npm (?:error|ERR!)\s*/, '').trim();
}

async function cachedVersions(dir: string, name: string): Promise<string[]> {
  const prefix = `${name.replace('/', '+')}@`;
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(prefix) && n.endsWith('.tgz')).map((n) => n.slice(prefix.length, -'.tgz'.length)).sort();
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
