/**
 * Agents shipped as native executables publish one npm package per platform and
 * list them as optionalDependencies of a thin launcher package. Scanning the
 * launcher alone finds nothing: these helpers name the platform packages and pick
 * the one for this machine.
 */
import type { LoadedFile, LoadedPackage, PackageManifest } from './types.js';

const OS_TOKENS: Readonly<Record<string, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  macos: 'darwin',
  mac: 'darwin',
  osx: 'darwin',
  apple: 'darwin',
  win32: 'win32',
  windows: 'win32',
  win: 'win32',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
  sunos: 'sunos',
  aix: 'aix',
  android: 'android',
};

const ARCH_TOKENS: Readonly<Record<string, string>> = {
  x64: 'x64',
  amd64: 'x64',
  x86_64: 'x64',
  arm64: 'arm64',
  aarch64: 'arm64',
  ia32: 'ia32',
  x86: 'ia32',
  i386: 'ia32',
  i686: 'ia32',
  arm: 'arm',
  armv7: 'arm',
  armv7l: 'arm',
  riscv64: 'riscv64',
  ppc64: 'ppc64',
  ppc64le: 'ppc64',
  s390x: 's390x',
  loong64: 'loong64',
};

/** Below this much JavaScript the package is taken as a launcher whose code lives elsewhere. */
export const LITTLE_CODE_BYTES = 512 * 1024;

interface PlatformTags {
  os?: string;
  arch?: string;
  musl: boolean;
  /** Fallback builds (e.g. Bun's `-baseline` for CPUs without AVX2): chosen only when nothing better fits. */
  fallback: boolean;
}

function tagsOf(packageName: string): PlatformTags | undefined {
  const bare = packageName.slice(packageName.lastIndexOf('/') + 1).toLowerCase();
  // x86_64 contains the separator '_', so it is matched before splitting.
  const tokens = bare.replace(/x86_64/g, 'x64').split(/[-_.]/);
  let os: string | undefined;
  let arch: string | undefined;
  let musl = false;
  let fallback = false;
  for (const t of tokens) {
    if (OS_TOKENS[t]) os = OS_TOKENS[t];
    else if (ARCH_TOKENS[t]) arch = ARCH_TOKENS[t];
    else if (t === 'musl' || t === 'alpine') musl = true;
    else if (t === 'baseline' || t === 'legacy') fallback = true;
  }
  if (!os && !arch) return undefined;
  return { ...(os ? { os } : {}), ...(arch ? { arch } : {}), musl, fallback };
}

/**
 * optionalDependencies that look per-platform, as specs `npm pack` (and so `telltale scan
 * npm:…`) accepts: `name@version`, or the target of an npm alias. Codex lists
 * `"@openai/codex-linux-x64": "npm:@openai/codex@0.169.0-linux-x64"`: the package to fetch
 * is `@openai/codex@0.169.0-linux-x64`, and no package is called `@openai/codex-linux-x64`.
 */
export function platformDependencies(manifest: PackageManifest | undefined): string[] {
  const deps = manifest?.optionalDependencies ?? {};
  return Object.entries(deps)
    .filter(([name]) => tagsOf(name) !== undefined)
    .map(([name, version]) => fetchableSpec(name, version));
}

/** What `npm pack` fetches for a dependency entry: `name@version`, or an npm alias's target. */
function fetchableSpec(name: string, version: string): string {
  return version.startsWith('npm:') ? version.slice(4) : `${name}@${version}`;
}

/** The platform tags of a spec: from its name, else (an alias target such as `@openai/codex@0.169.0-linux-x64`) from its version. */
function tagsOfSpec(spec: string): PlatformTags | undefined {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return tagsOf(spec);
  return tagsOf(spec.slice(0, at)) ?? tagsOf(spec.slice(at + 1));
}

/** JavaScript bytes a package carries itself: files and segments extracted from its executables. */
export function ownCodeBytes(files: readonly LoadedFile[]): number {
  let total = 0;
  for (const f of files) {
    // The file's size, not its text: a scan drops the text of a big bundle once it is analysed.
    if (f.kind === 'javascript' || f.kind === 'typescript') total += f.size;
    for (const s of f.segments ?? []) if (s.javascript) total += s.text.length;
  }
  return total;
}

/**
 * Dependencies the package's `bin` entries point into (`node_modules/<dependency>/…`), as
 * specs `npm pack` fetches: a thin wrapper whose command is another package's program
 * (`@sourcegraph/amp` runs `node_modules/@ampcode/cli/bin/amp.exe`). Only when the package's
 * own code is thin, like platformPackagesOf.
 */
export function binDependenciesOf(manifest: PackageManifest | undefined, files: readonly LoadedFile[]): { command: string; target: string; spec: string }[] {
  const bins = typeof manifest?.bin === 'string' ? { [manifest.name ?? 'bin']: manifest.bin } : (manifest?.bin ?? {});
  const versions = { ...manifest?.dependencies, ...manifest?.optionalDependencies };
  const out: { command: string; target: string; spec: string }[] = [];
  for (const [command, target] of Object.entries(bins)) {
    const m = /^(?:\.\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(target);
    if (!m) continue;
    const name = m[1]!;
    const version = versions[name];
    out.push({ command, target, spec: version === undefined ? name : fetchableSpec(name, version) });
  }
  return out.length > 0 && ownCodeBytes(files) < LITTLE_CODE_BYTES ? out : [];
}

/** The platform packages to report: only when there are some and the package's own code is thin. */
export function platformPackagesOf(manifest: PackageManifest | undefined, files: readonly LoadedFile[]): string[] {
  const candidates = platformDependencies(manifest);
  if (candidates.length === 0) return [];
  return ownCodeBytes(files) < LITTLE_CODE_BYTES ? candidates : [];
}

export interface Host {
  platform: string;
  arch: string;
  /** 'musl' or 'glibc' on Linux. */
  libc?: 'musl' | 'glibc';
}

export function currentHost(): Host {
  const host: Host = { platform: process.platform, arch: process.arch };
  if (process.platform === 'linux') {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    host.libc = report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
  }
  return host;
}

/**
 * The platform package (as `name@version`) that matches this machine, or one
 * given `host`; undefined when none fits. A package must not contradict the
 * host's OS or CPU; among the rest, a matching libc beats a mismatched one and a
 * regular build beats a fallback build.
 */
export function platformPackageFor(pkg: LoadedPackage, host: Host = currentHost()): string | undefined {
  const specs = pkg.platformPackages.length > 0 ? pkg.platformPackages : platformDependencies(pkg.manifest);
  let best: { spec: string; score: number } | undefined;
  for (const spec of specs) {
    const tags = tagsOfSpec(spec);
    if (!tags) continue;
    if (tags.os && tags.os !== host.platform) continue;
    if (tags.arch && tags.arch !== host.arch) continue;
    let score = (tags.os ? 4 : 0) + (tags.arch ? 4 : 0);
    if (host.platform === 'linux') score += tags.musl === (host.libc === 'musl') ? 2 : 0;
    else if (tags.musl) continue;
    if (!tags.fallback) score += 1;
    if (!best || score > best.score) best = { spec, score };
  }
  return best?.spec;
}
