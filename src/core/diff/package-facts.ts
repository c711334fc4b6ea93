/**
 * The plain facts of an update, from file lists and manifests: files added,
 * removed or changed (by SHA-256 and size), install scripts, dependencies,
 * executables. Classic supply-chain signals that need no code analysis.
 */
import { createHash } from 'node:crypto';
import type { BinChange, ChangeState, DependencyChange, DiffInput, FileChange, FileFact, PackageChanges, ScriptChange } from './types.js';

/** Scripts npm runs when the package is installed (`prepare` also on git installs). */
export const INSTALL_SCRIPTS: ReadonlySet<string> = new Set([
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
]);

const BINARY_KINDS: ReadonlySet<string> = new Set(['executable', 'binary']);

type InputFile = DiffInput['files'][number];

function fileFact(f: InputFile): FileFact {
  const fact: FileFact = { path: f.path, kind: f.kind, size: f.size };
  if (f.sha256 !== undefined) fact.sha256 = f.sha256;
  return fact;
}

function byPath<T extends { path: string }>(list: readonly T[]): Map<string, T> {
  return new Map(list.map((f) => [f.path, f]));
}

function comparePaths(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Same content: equal SHA-256 when both are known, else equal size and kind. */
function sameContent(a: InputFile, b: InputFile): boolean {
  if (a.sha256 !== undefined && b.sha256 !== undefined) return a.sha256 === b.sha256;
  return a.size === b.size && a.kind === b.kind;
}

function mapChanges<T>(
  before: Record<string, string> | undefined,
  after: Record<string, string> | undefined,
  make: (name: string, state: ChangeState, b: string | undefined, a: string | undefined) => T,
): T[] {
  const b = before ?? {};
  const a = after ?? {};
  const names = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const out: T[] = [];
  for (const name of names) {
    const vb = Object.hasOwn(b, name) ? b[name] : undefined;
    const va = Object.hasOwn(a, name) ? a[name] : undefined;
    if (vb === va) continue;
    out.push(make(name, vb === undefined ? 'added' : va === undefined ? 'removed' : 'changed', vb, va));
  }
  return out;
}

function withValues<T extends object>(base: T, before: string | undefined, after: string | undefined): T & { before?: string; after?: string } {
  const out: T & { before?: string; after?: string } = { ...base };
  if (before !== undefined) out.before = before;
  if (after !== undefined) out.after = after;
  return out;
}

/** `bin` may be a string (one command named after the package) or a map. */
function binMap(bin: string | Record<string, string> | undefined, packageName: string | undefined): Record<string, string> {
  if (bin === undefined) return {};
  if (typeof bin === 'string') return { [packageName?.replace(/^@[^/]+\//, '') ?? '(default)']: bin };
  return bin;
}

export function diffPackages(before: DiffInput, after: DiffInput): PackageChanges {
  const oldFiles = byPath(before.files);
  const newFiles = byPath(after.files);
  const added: FileFact[] = [];
  const removed: FileFact[] = [];
  const changed: FileChange[] = [];
  const nativeBinaries: FileFact[] = [];
  let unchanged = 0;
  for (const f of after.files) {
    const o = oldFiles.get(f.path);
    if (!o) {
      added.push(fileFact(f));
      if (BINARY_KINDS.has(f.kind)) nativeBinaries.push(fileFact(f));
      continue;
    }
    if (sameContent(o, f)) {
      unchanged++;
      continue;
    }
    const c: FileChange = { path: f.path, kind: f.kind, previousSize: o.size, size: f.size, delta: f.size - o.size };
    if (o.kind !== f.kind) {
      c.previousKind = o.kind;
      if (BINARY_KINDS.has(f.kind) && !BINARY_KINDS.has(o.kind)) nativeBinaries.push(fileFact(f));
    }
    if (o.sha256 !== undefined) c.previousSha256 = o.sha256;
    if (f.sha256 !== undefined) c.sha256 = f.sha256;
    changed.push(c);
  }
  for (const f of before.files) if (!newFiles.has(f.path)) removed.push(fileFact(f));

  const oldSkipped = byPath(before.skipped);
  const newlySkipped = after.skipped.filter((s) => oldSkipped.get(s.path)?.reason !== s.reason).map((s) => ({ path: s.path, reason: s.reason }));

  const scripts = mapChanges(before.manifest?.scripts, after.manifest?.scripts, (name, state, b, a): ScriptChange =>
    withValues({ name, state, install: INSTALL_SCRIPTS.has(name) }, b, a),
  ).sort((x, y) => Number(y.install) - Number(x.install));
  const dependencies: DependencyChange[] = [
    ...mapChanges(before.manifest?.dependencies, after.manifest?.dependencies, (name, state, b, a): DependencyChange =>
      withValues({ name, field: 'dependencies' as const, state }, b, a),
    ),
    ...mapChanges(before.manifest?.optionalDependencies, after.manifest?.optionalDependencies, (name, state, b, a): DependencyChange =>
      withValues({ name, field: 'optionalDependencies' as const, state }, b, a),
    ),
  ];
  const bin = mapChanges(binMap(before.manifest?.bin, before.package?.name), binMap(after.manifest?.bin, after.package?.name), (name, state, b, a): BinChange =>
    withValues({ name, state }, b, a),
  );
  return {
    files: { added: added.sort(comparePaths), removed: removed.sort(comparePaths), changed: changed.sort(comparePaths), unchanged },
    nativeBinaries: nativeBinaries.sort(comparePaths),
    newlySkipped: newlySkipped.sort(comparePaths),
    scripts,
    dependencies,
    bin,
  };
}

/** SHA-256 over the sorted (path, sha256 or size) list: equal for identical file trees. */
export function treeDigest(files: DiffInput['files']): string {
  const h = createHash('sha256');
  for (const f of [...files].sort(comparePaths)) h.update(`${f.path}\u0000${f.sha256 ?? `size:${f.size}`}\n`);
  return h.digest('hex');
}
