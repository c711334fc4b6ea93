/**
 * Version conveniences for `diff`: `npm:x@previous` is the release published
 * just before the one tagged `latest`: the highest lower version published
 * before it (prereleases skipped unless `latest` is one itself).
 */

export interface RegistryVersions {
  versions: readonly string[];
  /** Publish times by version (npm's `time` field; also holds `created`/`modified`). */
  time: Readonly<Record<string, string>>;
  latest: string;
}

function isPrerelease(version: string): boolean {
  return /^\d+\.\d+\.\d+-/.test(version);
}

function parts(version: string): { nums: number[]; pre: string } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-([^+]*))?/.exec(version);
  return m ? { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ?? '' } : undefined;
}

/** Semver precedence (build metadata ignored; prerelease compared as plain text). */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 3; i++) if (pa.nums[i] !== pb.nums[i]) return pa.nums[i]! - pb.nums[i]!;
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === '') return 1;
  if (pb.pre === '') return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

/**
 * The release before `latest`: the highest version below it that was published
 * before it (a backport to an old line, published later, is not "previous").
 * When no lower version has a publish time before it (registry mirrors rewrite
 * times), the highest lower version.
 */
export function previousVersion(info: RegistryVersions): string | undefined {
  const latestTime = Date.parse(info.time[info.latest] ?? '');
  const allowPre = isPrerelease(info.latest);
  let best: string | undefined;
  let bestByNumber: string | undefined;
  for (const v of info.versions) {
    if (compareVersions(v, info.latest) >= 0 || (!allowPre && isPrerelease(v))) continue;
    if (bestByNumber === undefined || compareVersions(v, bestByNumber) > 0) bestByNumber = v;
    const at = Date.parse(info.time[v] ?? '');
    if (!Number.isNaN(latestTime) && !Number.isNaN(at) && at > latestTime) continue;
    if (best === undefined || compareVersions(v, best) > 0) best = v;
  }
  return best ?? bestByNumber;
}

/** Splits `npm:<name>@<spec>` (scoped names included); undefined for other targets. */
export function parseNpmTarget(target: string): { name: string; spec: string | undefined } | undefined {
  if (!target.startsWith('npm:')) return undefined;
  const rest = target.slice(4);
  const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0);
  if (at < 0) return { name: rest, spec: undefined };
  return { name: rest.slice(0, at), spec: rest.slice(at + 1) };
}
