/**
 * V8 heap settings for the guard's process: a long-running proxy whose load comes in bursts.
 *
 * With V8's own heuristics a guard process fell, at random and for good, into one of two
 * slow states that doubled its CPU per request at 32 clients (docs/guard.md, Performance,
 * "Stop 19"; 9 of 12 guards in interleaved runs, none of 10 with these flags or variants):
 * - a marking storm: V8 set the main isolate's old-generation limit only 5–12 MB above
 *   its live ~25 MB (the growing factor it derives from measured GC and allocation
 *   speeds), and started a new major GC as soon as the last one ended (49–59 per 4 s
 *   instead of 1–3; the GC helper threads used ~120–176 µs per request each, against ~12);
 * - a shrunken young generation on the audit writer's thread: shrunk while idle, it grew
 *   back only slowly (a writer allocates little that survives), and scavenged three times
 *   as often (helper threads ~35–46 µs per request each).
 * `--heap-growing-percent` fixes the growing factor (the old generation may grow to three
 * times its live size before a major GC; V8 itself goes up to four on machines with much
 * memory); `--min-semi-space-size` keeps the young generation of the isolates created
 * after it (the writer's and the checkpointer's) from shrinking below 8 MB. Both are read
 * by V8 at run time (the first at every major GC, the second when an isolate is created),
 * so setting them here works however the process was started (the `telltale` binary,
 * `node dist/cli/bin.js`, an npm shim on Windows).
 */
import { setFlagsFromString } from 'node:v8';

/** The flags, as V8 spells them. */
export const PROXY_HEAP_FLAGS: readonly string[] = ['--heap-growing-percent=200', '--min-semi-space-size=8'];

/**
 * The flags to set: PROXY_HEAP_FLAGS less those the user set already (on the command line
 * or in NODE_OPTIONS), whose choice wins. V8 accepts `_` for `-` in flag names.
 */
export function heapFlagsToApply(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const name = (flag: string) => flag.replace(/^--/, '').split('=')[0]!.replaceAll('_', '-');
  const given = new Set([...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter((a) => a.startsWith('--')).map(name));
  return PROXY_HEAP_FLAGS.filter((f) => !given.has(name(f)));
}

let applied: string[] | undefined;

/** Sets the guard's heap flags once per process; returns those it set. Call before starting worker threads. */
export function tuneHeapForProxy(): readonly string[] {
  if (applied) return applied;
  applied = heapFlagsToApply(process.execArgv, process.env.NODE_OPTIONS);
  for (const flag of applied) setFlagsFromString(flag);
  return applied;
}
