/**
 * The loading shell of `telltale scan`: turns a TARGET as the user wrote it
 * (`npm:<spec>`, a .tgz/.tar.gz/.tar, a directory, or a single file) into a
 * LoadedPackage of classified files, with everything not analysed listed in
 * `skipped` and a reason. User mistakes and bad input throw UsageError/InputError.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UsageError } from '../cli/errors.js';
import { readDirectory, readSingleFile } from './directory.js';
import { resolveLoadOptions } from './limits.js';
import { fetchNpmPackage } from './npm.js';
import { platformPackagesOf } from './platform.js';
import { readTarball } from './tarball.js';
import type { LoadedPackage, LoadOptions, PackageManifest, ReadContents } from './types.js';

export { DEFAULT_LOAD_OPTIONS, defaultCacheDir, resolveLoadOptions } from './limits.js';
export { platformPackageFor, currentHost, type Host } from './platform.js';

const TARBALL = /\.(?:tgz|tar\.gz|tar)$/i;

export async function loadTarget(target: string, options?: LoadOptions): Promise<LoadedPackage> {
  if (target.trim() === '') throw new UsageError('empty scan target; give npm:<name>@<version>, a .tgz, a directory or a file');
  const limits = resolveLoadOptions(options);

  if (target.startsWith('npm:')) {
    const fetched = await fetchNpmPackage(target.slice('npm:'.length), limits);
    const contents = await readTarball(fetched.file, target, limits);
    return assemble(target, 'npm', contents, { name: fetched.name, version: fetched.version });
  }

  let info;
  try {
    info = await stat(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = /^(?:@[\w.-]+\/)?[\w.-]+@[\w.^~<>=*-]+$/.test(target) ? ` (did you mean npm:${target}?)` : '';
    throw new InputError(
      code === 'ENOENT'
        ? `${target}: no such file or directory${hint}; give npm:<name>@<version>, a .tgz, a directory or a file`
        : `${target}: cannot read (${code ?? 'error'})`,
    );
  }
  if (info.isDirectory()) return assemble(target, 'directory', await readDirectory(target, target, limits));
  if (!info.isFile()) throw new InputError(`${target}: not a regular file or directory`);
  if (TARBALL.test(target)) return assemble(target, 'tarball', await readTarball(target, target, limits));
  return assemble(target, 'file', await readSingleFile(target, path.basename(target), target, limits));
}

function assemble(
  target: string,
  source: LoadedPackage['source'],
  contents: ReadContents,
  identity: { name?: string; version?: string } = {},
): LoadedPackage {
  const skipped = [...contents.skipped];
  const manifestFile = source === 'file' ? undefined : contents.files.find((f) => f.path === 'package.json');
  let manifest: PackageManifest | undefined;
  if (manifestFile?.text !== undefined) {
    manifest = parseManifest(manifestFile.text);
    if (!manifest) skipped.push({ path: 'package.json', reason: 'partly analysed: not a valid JSON object, so name, scripts and dependencies are unknown' });
  }
  const name = identity.name ?? manifest?.name;
  const version = identity.version ?? manifest?.version;
  return {
    target,
    source,
    ...(name !== undefined ? { name } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(manifest ? { manifest } : {}),
    files: contents.files,
    skipped,
    platformPackages: platformPackagesOf(manifest, contents.files),
    ...(contents.unconverted ? { unconverted: contents.unconverted } : {}),
  };
}

/** The manifest fields telltale uses, validated: anything of the wrong shape is left out. */
export function parseManifest(text: string): PackageManifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const manifest: PackageManifest = {};
  if (typeof raw.name === 'string') manifest.name = raw.name;
  if (typeof raw.version === 'string') manifest.version = raw.version;
  for (const key of ['scripts', 'dependencies', 'optionalDependencies'] as const) {
    const map = stringMap(raw[key]);
    if (map) manifest[key] = map;
  }
  if (typeof raw.bin === 'string') manifest.bin = raw.bin;
  else {
    const bin = stringMap(raw.bin);
    if (bin) manifest.bin = bin;
  }
  return manifest;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
