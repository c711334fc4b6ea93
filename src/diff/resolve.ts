/**
 * Turns `diff`'s two targets into something to scan. `npm:x@previous` and
 * `npm:x@latest` are resolved to exact versions with one `npm view` (the user's
 * own npm configuration applies), so the report names real versions and two
 * spellings of the same release are recognised as the same target.
 */
import { execFile } from 'node:child_process';
import { InputError } from '../cli/errors.js';
import { parseNpmTarget, previousVersion, type RegistryVersions } from '../core/diff/versions.js';

/** Dist-tag words this module resolves; any other spec is passed to the scanner as written. */
const RESOLVED_TAGS = new Set(['latest', 'previous']);

export type RegistryLookup = (name: string) => Promise<RegistryVersions>;

function npmCommand(): string {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** The telling line of npm's error output (its `code EXXX` line says little on its own). */
function npmReason(text: string): string {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() && !/^npm warn/i.test(l))
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => !/^(A complete log|Log files|code [A-Z0-9]+$|errno|syscall)/.test(l));
  return lines[0] ?? 'unknown error';
}

/** `npm view NAME versions time dist-tags --json`. */
export const npmViewVersions: RegistryLookup = (name) =>
  new Promise((resolve, reject) => {
    execFile(
      npmCommand(),
      ['view', name, 'versions', 'time', 'dist-tags', '--json'],
      { maxBuffer: 64 << 20, timeout: 120_000, shell: process.platform === 'win32' },
      (error, stdout, stderr) => {
        if (error) {
          const output = String(stderr);
          reject(
            new InputError(
              /\bE404\b/.test(output)
                ? `${name} is not in the npm registry; check the package name`
                : `cannot look up the versions of ${name} with npm view: ${npmReason(output || error.message)}`,
            ),
          );
          return;
        }
        try {
          const data = JSON.parse(String(stdout)) as { versions?: unknown; time?: unknown; 'dist-tags'?: { latest?: unknown } };
          const versions = Array.isArray(data.versions) ? data.versions.filter((v): v is string => typeof v === 'string') : typeof data.versions === 'string' ? [data.versions] : [];
          const latest = typeof data['dist-tags']?.latest === 'string' ? data['dist-tags'].latest : versions[versions.length - 1];
          if (latest === undefined) throw new Error('no versions');
          const time = data.time && typeof data.time === 'object' ? (data.time as Record<string, string>) : {};
          resolve({ versions, time, latest });
        } catch {
          reject(new InputError(`npm view ${name} returned no version list; check the package name`));
        }
      },
    );
  });

const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/**
 * The target with `@latest`/`@previous` replaced by an exact version; other
 * targets unchanged. `@previous` is the release before `relativeTo` when given
 * (the version NEW names), else the release before `latest`.
 */
export async function resolveTarget(
  target: string,
  lookup: RegistryLookup = npmViewVersions,
  cache = new Map<string, Promise<RegistryVersions>>(),
  relativeTo?: string,
): Promise<string> {
  const npm = parseNpmTarget(target);
  if (!npm || npm.spec === undefined || !RESOLVED_TAGS.has(npm.spec)) return target;
  let info = cache.get(npm.name);
  if (!info) {
    info = lookup(npm.name);
    cache.set(npm.name, info);
  }
  const versions = await info;
  if (npm.spec === 'latest') return `npm:${npm.name}@${versions.latest}`;
  const base = relativeTo ?? versions.latest;
  if (relativeTo !== undefined && !versions.versions.includes(relativeTo)) {
    throw new InputError(`${npm.name} has no version ${relativeTo} in the registry; check the NEW target`);
  }
  const previous = previousVersion({ ...versions, latest: base });
  if (previous === undefined) throw new InputError(`${npm.name} has no release before ${base}; name two versions instead`);
  return `npm:${npm.name}@${previous}`;
}

/**
 * Resolves both targets, sharing one registry lookup per package name. OLD
 * `npm:x@previous` with NEW `npm:x@<version>` (or `@latest`) means the release
 * just before NEW.
 */
export async function resolveTargets(oldTarget: string, newTarget: string, lookup: RegistryLookup = npmViewVersions): Promise<[string, string]> {
  const cache = new Map<string, Promise<RegistryVersions>>();
  const newResolved = await resolveTarget(newTarget, lookup, cache);
  const oldNpm = parseNpmTarget(oldTarget);
  const newNpm = parseNpmTarget(newResolved);
  const relativeTo = oldNpm && newNpm && oldNpm.name === newNpm.name && newNpm.spec !== undefined && EXACT_VERSION.test(newNpm.spec) ? newNpm.spec : undefined;
  return [await resolveTarget(oldTarget, lookup, cache, relativeTo), newResolved];
}
