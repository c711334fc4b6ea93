/**
 * The analysis side of a scan: analyse every loaded file by kind and assemble a
 * ScanReport; for big bundles, start work (oxc's outline, the worker thread) as soon as
 * the loader has read them (EarlyScan, driven by scanTarget in scan.ts). Analysis itself
 * is the pure core (src/core/analyze-js.ts); this file only moves data and measures time.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../core/findings.js';
import { Worker } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './portion-worker.js';
import { analyzeJavaScript, analyzePortion, chooseStatements, completeAnalysis, findAnchors, JS_RULES, type AnalyzeResult, type PortionResult } from '../core/analyze-js.js';
import { outlineStatementsAsync, type StatementOutline } from '../core/js/parse.js';
import { IdentifierIndex } from '../core/js/identifier-index.js';
import { convertBinaries, mergeConverted } from '../loading/collector.js';
import { binDependenciesOf, ownCodeBytes, platformPackageFor } from '../loading/platform.js';
import type { BinaryConversion, ConvertedBinaries, LoadedFile, LoadedPackage, SkippedFile, TextSegment } from '../loading/types.js';
import { VERSION } from '../cli/version.js';
import type { ScanReport, ScannedFileSummary } from './types.js';
import { mark } from './timing.js';
import * as networkEndpoint from '../core/detectors/network-endpoint.js';

/** The lifecycle scripts npm runs when it installs a package from the registry. */
const INSTALL_HOOKS = ['preinstall', 'install', 'postinstall'] as const;

/** Files above this size are outlined as soon as they are read (see analyze-js.ts). */
const EARLY_OUTLINE_CHARS = 1 << 20;

export interface ScanOptions {
  onProgress?: (message: string) => void;
  /**
   * Drop each file's text once it is analysed (the package is consumed): a
   * 100 MB package otherwise keeps every file's text alive to the end.
   */
  releaseText?: boolean;
  /** Outlines of big JavaScript files, made while the target was loading (by path). */
  outlines?: ReadonlyMap<string, { outline: StatementOutline; anchors?: number[]; identifierIndex?: IdentifierIndex }>;
  /** Files already analysed (in two threads, see analyzeInTwoThreads), by path. */
  analyzed?: ReadonlyMap<string, { result: AnalyzeResult; ms: number }>;
}

/**
 * This thread's share of a big bundle's anchored text. A little over half: the worker
 * starts later (it first receives a copy of the text, ~40 ms for 13 MB) and measured
 * ~0.1 s behind this thread's half on claude-code at an even split, while the
 * correlation waits for both.
 */
const LOCAL_SHARE = 0.56;

/** Bundles above this size are analysed in two threads (two cores are the minimum we plan for). */
const SPLIT_CHARS = 4 << 20;

/**
 * Collects this thread's garbage now, between two big files, when the binary runs with
 * `--expose-gc` (its shebang; a no-op elsewhere). The analysis of a big bundle leaves
 * hundreds of MB of dead syntax trees; V8 lets the heap grow rather than collect while
 * allocation is this fast, so a package of several big bundles piled them up: gemini-cli
 * 0.61 (five bundles of 8–17 MB) peaked at 1.41–1.66 GB, 1.04–1.08 GB collecting after
 * each (docs/performance.md). Little is alive between files: each collection takes
 * 20–50 ms. Not after the last big file: the scan is nearly done.
 */
function collectGarbage(): void {
  globalThis.gc?.();
}

/** A file whose analysis builds big syntax trees: more JavaScript than EARLY_OUTLINE_CHARS, as a file or inside a binary. */
function carriesBigCode(file: LoadedFile): boolean {
  return ownCodeBytes([file]) > EARLY_OUTLINE_CHARS;
}

/** The worker thread for big bundles (see portion-worker.ts), started early and reused. */
class PortionWorker {
  private readonly worker = new Worker(new URL('./portion-worker.js', import.meta.url));
  private failed = false;
  /** The worker answers in the order it is asked. */
  private readonly waiting: Array<(reply: WorkerReply) => void> = [];

  constructor() {
    this.worker.on('message', (reply: WorkerReply) => this.waiting.shift()?.(reply));
    this.worker.on('error', () => {
      this.failed = true;
      for (const resolve of this.waiting.splice(0)) resolve(null);
    });
    this.worker.on('exit', () => mark('worker exited'));
  }

  /** The text the worker holds ahead of its portion (the very string sent). */
  private ahead: { path: string; text: string } | undefined;
  /** Texts to send ahead once the worker has claimed the one it holds (see shareText). */
  private readonly queued: Array<{ path: string; text: string }> = [];

  /**
   * Sends a big file's text ahead of its portion: copying 26 MB of UTF-16 into a message
   * costs this thread ~50 ms, better spent while oxc outlines than when the halves start.
   * The worker keeps it until that portion is analysed. One text ahead at a time: a
   * package of several big bundles would otherwise have a copy of all of them in the
   * worker (~140 MB for gemini-cli); the next goes when a portion claims this one.
   */
  shareText(path: string, text: string): void {
    if (this.failed) return;
    if (this.ahead) {
      this.queued.push({ path, text });
      return;
    }
    this.ahead = { path, text };
    this.worker.postMessage({ type: 'text', path, text } satisfies WorkerRequest);
  }

  /** `collect`: the worker collects its garbage after this portion (more big files follow). */
  portion(path: string, text: string, outline: StatementOutline, chosen: number[], collect: boolean): Promise<PortionResult | null> {
    // The text goes along unless this very string was sent ahead.
    const sent = this.ahead?.path === path && this.ahead.text === text;
    if (this.ahead?.path === path) this.ahead = undefined;
    const waiting = this.queued.findIndex((q) => q.path === path);
    if (waiting >= 0) this.queued.splice(waiting, 1);
    const reply = this.ask({ type: 'portion', path, ...(sent ? {} : { text }), outline, chosen, collect }) as Promise<PortionResult | null>;
    const next = this.ahead ? undefined : this.queued.shift();
    if (next) this.shareText(next.path, next.text);
    return reply;
  }

  /**
   * Converts deferred binaries. Their bytes are copied, not transferred: if the worker
   * fails, this thread still has them and converts them itself.
   */
  binaries(conversion: BinaryConversion): Promise<ConvertedBinaries | null> {
    return this.ask({ type: 'binaries', conversion }) as Promise<ConvertedBinaries | null>;
  }

  private ask(request: WorkerRequest): Promise<WorkerReply> {
    if (this.failed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.worker.postMessage(request);
    });
  }

  /**
   * Ends the thread. Idle, it exits on its own (what it printed is flushed); with work in
   * flight (a failed scan) it is stopped at once.
   */
  close(): void {
    if (this.waiting.length === 0 && !this.failed) {
      this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
      this.worker.unref();
    } else void this.worker.terminate();
  }
}

/**
 * The anchored statements are split in two halves of equal text size; the
 * worker analyses one while this thread analyses the other, then the
 * correlation runs here over both. Undefined when anything fails: the caller
 * analyses the file in one piece instead.
 */
async function analyzeInTwoThreads(
  worker: PortionWorker,
  path: string,
  text: string,
  outline: StatementOutline,
  anchors: number[] | undefined,
  identifierIndex: IdentifierIndex | undefined,
  /** Queued for the worker right behind its portion (work for it while this thread correlates). */
  next?: () => void,
  /** More big files follow: the worker collects its garbage after its portion (see collectGarbage). */
  collect = false,
): Promise<AnalyzeResult | undefined> {
  const chosen = chooseStatements(path, text, outline, anchors);
  const size = (i: number) => outline.spans[i]![1] - outline.spans[i]![0];
  const total = chosen.reduce((n, i) => n + size(i), 0);
  let cut = 0;
  for (let acc = 0; cut < chosen.length && acc < total * LOCAL_SHARE; cut++) acc += size(chosen[cut]!);
  const mine = chosen.slice(0, cut);
  const theirs = chosen.slice(cut);
  if (mine.length === 0 || theirs.length === 0) return undefined;
  const remote = worker.portion(path, text, outline, theirs, collect);
  next?.();
  mark('analysis: start');
  const local = analyzePortion(path, text, outline, mine, identifierIndex ? { identifierIndex } : {});
  mark('analysis: own half done');
  const other = await remote;
  mark('analysis: both halves done');
  if (!local || !other) {
    mark('analysis: a half failed; the file is analysed in one thread');
    return undefined;
  }
  const result = completeAnalysis(path, text, outline, [local.result, other], {}, local.source);
  mark('analysis: correlated');
  return result;
}

/** Maps UTF-16 offsets in a segment's text to byte offsets in its binary (computed lazily per finding). */
function byteMapper(segment: TextSegment): (offset: number) => number {
  return (offset) => segment.byteOffset + Buffer.byteLength(segment.text.slice(0, offset), 'utf8');
}

function analyzeFile(file: LoadedFile, skipped: SkippedFile[], notes: string[], early?: { outline: StatementOutline; anchors?: number[]; identifierIndex?: IdentifierIndex }, done?: AnalyzeResult): Finding[] {
  switch (file.kind) {
    case 'javascript':
    case 'typescript': {
      if (file.text === undefined && !done) return [];
      const result = done ?? analyzeJavaScript(file.path, file.text!, early ?? {});
      if (result.parseErrors.length > 0 && result.stats.statements === 0) {
        skipped.push({ path: file.path, reason: `not parseable as JavaScript: ${result.parseErrors[0]}` });
      } else if (result.parseErrors.length > 0) {
        notes.push(`${file.path}: parsed with ${result.parseErrors.length} syntax error(s), analysed what could be recovered`);
      }
      return result.findings;
    }
    case 'executable':
    case 'binary': {
      const findings: Finding[] = networkEndpoint.detectInNativeStrings(file.path, (file.segments ?? []).filter((s) => !s.javascript));
      for (const segment of file.segments ?? []) {
        if (!segment.javascript) continue;
        const result = analyzeJavaScript(file.path, segment.text, { byteOffsetOf: byteMapper(segment) });
        // Not silently: text that looked like JavaScript but does not parse was not analysed.
        if (result.parseErrors.length > 0 && result.stats.statements === 0) {
          skipped.push({ path: file.path, reason: `embedded text at byte ${segment.byteOffset} (${segment.text.length} characters) looked like JavaScript but is not parseable: ${result.parseErrors[0]}` });
        }
        findings.push(...result.findings);
      }
      return findings;
    }
    default:
      // JSON, declarations and prose are listed but carry no executable behaviour.
      return [];
  }
}

export function scanLoaded(pkg: LoadedPackage, options: ScanOptions = {}): ScanReport {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const findings: Finding[] = [];
  const files: ScannedFileSummary[] = [];
  const skipped = [...pkg.skipped];
  const notes: string[] = [];
  // Bundlers emit byte-identical chunks under several names: analyse each content once.
  const byContent = new Map<string, { path: string; findings: Finding[] }>();
  // The last file whose analysis is heavy (big JavaScript, or binaries with embedded code):
  // garbage is collected after each heavy file before it (see collectGarbage).
  const heavy = (f: LoadedFile) => !options.analyzed?.has(f.path) && carriesBigCode(f);
  let lastHeavy = -1;
  pkg.files.forEach((f, i) => heavy(f) && (lastHeavy = i));
  for (const [index, file] of pkg.files.entries()) {
    const t0 = performance.now();
    let elapsed: number | undefined;
    // The loader hashes the bytes as it reads them; hash the text only for files made without it.
    const sha256 = file.sha256 ?? (file.text !== undefined ? createHash('sha256').update(file.text).digest('hex') : undefined);
    const twin = sha256 !== undefined ? byContent.get(sha256) : undefined;
    let found: Finding[];
    if (twin) {
      found = twin.findings.map((f) => relocate(f, file.path));
      if (found.length > 0) notes.push(`${file.path} is identical to ${twin.path}; its findings are listed under both`);
    } else {
      if (file.size > 1 << 20) options.onProgress?.(`analysing ${file.path} (${(file.size / 1048576).toFixed(1)} MB)`);
      const done = options.analyzed?.get(file.path);
      found = analyzeFile(file, skipped, notes, options.outlines?.get(file.path), done?.result);
      if (done) elapsed = done.ms;
      if (sha256 !== undefined) byContent.set(sha256, { path: file.path, findings: found });
    }
    findings.push(...found);
    const wasHeavy = index < lastHeavy && !twin && heavy(file);
    if (options.releaseText) {
      delete file.text;
      delete file.segments;
    }
    if (wasHeavy) collectGarbage();
    const summary: ScannedFileSummary = { path: file.path, kind: file.kind, size: file.size, findings: found.length, ms: Math.round(elapsed ?? performance.now() - t0) };
    if (sha256 !== undefined) summary.sha256 = sha256;
    files.push(summary);
  }
  if (pkg.platformPackages.length > 0) {
    const here = platformPackageFor(pkg);
    notes.push(
      `the code of this package lives in platform packages: ${pkg.platformPackages.join(', ')}; ` +
        (here ? `scan the one for this machine with: telltale scan npm:${here}` : `scan one with: telltale scan npm:<one of them>`),
    );
  }
  // Install hooks run code the package may not contain (Crush's postinstall downloads its Go
  // program from GitHub): say that the scan saw only the installer.
  const scripts = pkg.manifest?.scripts ?? {};
  const hooks = INSTALL_HOOKS.filter((hook) => typeof scripts[hook] === 'string' && scripts[hook].trim() !== '');
  if (hooks.length > 0) {
    notes.push(`npm runs ${hooks.map((hook) => `${hook} ${JSON.stringify(scripts[hook])}`).join(', ')} when it installs this package: what that fetches or builds is not in the package and was not scanned`);
  }
  for (const { command, target, spec } of binDependenciesOf(pkg.manifest, pkg.files)) {
    notes.push(`the code of this package lives in its dependency ${spec} (its command ${command} runs ${target}); scan it with: telltale scan npm:${spec}`);
  }
  const report: ScanReport = {
    tool: { name: 'telltale', version: VERSION },
    target: pkg.target,
    startedAt,
    durationMs: 0,
    rules: JS_RULES,
    findings: findings.sort(compareFindings),
    files,
    skipped,
    notes,
  };
  if (pkg.name !== undefined || pkg.version !== undefined) report.package = { name: pkg.name, version: pkg.version };
  if (pkg.manifest) {
    const { scripts, dependencies, optionalDependencies, bin } = pkg.manifest;
    report.manifest = { scripts, dependencies, optionalDependencies, bin };
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/** The same finding in an identical copy of a file. */
function relocate(finding: Finding, file: string): Finding {
  const related = finding.related?.map((r) => (r.location.file === finding.location.file ? { ...r, location: { ...r.location, file } } : r));
  return { ...finding, location: { ...finding.location, file }, ...(related ? { related } : {}) };
}

const RANK = { error: 0, warning: 1, note: 2 } as const;
function compareFindings(a: Finding, b: Finding): number {
  return RANK[a.level] - RANK[b.level] || a.location.file.localeCompare(b.location.file) || a.location.offset - b.location.offset;
}

/** What starts as soon as a big bundle is read: oxc's outline on its own thread. */
interface EarlyWork {
  text: string;
  outline: Promise<StatementOutline | undefined>;
}

/**
 * Work on big bundles that starts while the loader reads the rest of the archive (oxc's
 * outline on its own thread, the worker thread and the text it will need), then the
 * analysis of everything once the package is loaded. scanTarget (scan.ts) drives it.
 */
export class EarlyScan {
  private readonly pending = new Map<string, EarlyWork>();
  /** The worker for two-thread analysis: started with the first big bundle, so its start-up overlaps the loading. */
  private pool: PortionWorker | undefined;
  /** One native outline at a time: each holds a buffer several times the file's size, and a package can hold many big bundles. */
  private queue: Promise<unknown> = Promise.resolve();

  /** A file the loader has just read (in archive order). */
  onFile(file: LoadedFile): void {
    if (file.kind !== 'javascript' || file.text === undefined || file.text.length <= EARLY_OUTLINE_CHARS) return;
    const { path, text } = file;
    mark(`read ${path}`);
    const outline = this.queue.then(() => outlineStatementsAsync(path, text)).then((o) => (mark(`outlined ${path}`), o)).catch(() => undefined);
    this.queue = outline;
    // Not the anchors: on two cores, finding them in the worker while this thread reads
    // and oxc outlines made all three slower (measured: analysis started ~0.2 s later).
    if (text.length >= SPLIT_CHARS) {
      this.pool ??= new PortionWorker();
      this.pool.shareText(path, text);
    }
    this.pending.set(path, { text, outline });
  }

  close(): void {
    this.pool?.close();
    this.pool = undefined;
  }

  /**
   * Analyses the loaded package (loaded with `deferBinaries`: binaries, up to 64 MiB of
   * them, see collector.ts, wait unconverted — extracting their strings while oxc outlines,
   * ~0.3 s for claude-code's 27 MB of ripgrep, slowed the outline by ~0.2 s on two cores).
   */
  async finish(pkg: LoadedPackage, options: ScanOptions, started: number): Promise<ScanReport> {
    const pending = this.pending;
    const worker = () => this.pool;
    mark('loaded');
    const outlines = new Map<string, { outline: StatementOutline; anchors: number[]; identifierIndex?: IdentifierIndex }>();
    const deferred = pkg.unconverted;
    let converting: Promise<ConvertedBinaries | null> | undefined;
    for (const file of pkg.files) {
      const early = pending.get(file.path);
      // Only for the very text that was outlined (a later archive entry may replace a path).
      if (!early || early.text !== file.text) continue;
      let outlined = false;
      void early.outline.then(() => (outlined = true));
      // The anchors need only the text: find them while oxc is still outlining.
      const anchors = findAnchors(early.text);
      mark('anchors found');
      // The worker waits for its portion until the outline is done: it converts the deferred
      // binaries meanwhile (not earlier: with this thread finding anchors and oxc outlining,
      // a third busy thread on two cores slowed the outline).
      const pool = worker();
      if (pool && deferred && !converting) converting = pool.binaries(deferred);
      // Still outlining (its completion would be queued by now): this thread has nothing else
      // to do, so it builds the identifier index the correlation's name searches use (~0.13 s
      // on a 13 MB bundle; built lazily, it ran on the scan's critical path, after both halves).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const identifierIndex = !outlined && early.text.length >= SPLIT_CHARS ? IdentifierIndex.build(early.text) : undefined;
      if (identifierIndex) mark('identifier index built');
      const outline = await early.outline;
      if (outline) outlines.set(file.path, { outline, anchors, ...(identifierIndex ? { identifierIndex } : {}) });
    }
    const analyzed = new Map<string, { result: AnalyzeResult; ms: number }>();
    // In the order the loader read them (the order their texts went to the worker, see shareText).
    const readOrder = new Map([...pending.keys()].map((path, i) => [path, i]));
    const split = pkg.files
      .filter((f) => outlines.has(f.path) && f.text !== undefined && f.text.length >= SPLIT_CHARS)
      .sort((a, b) => readOrder.get(a.path)! - readOrder.get(b.path)!);
    // Big files still to analyse after each split one (see collectGarbage).
    let bigLeft = pkg.files.filter(carriesBigCode).length;
    for (const file of split) {
      bigLeft--;
      const early = outlines.get(file.path)!;
      options.onProgress?.(`analysing ${file.path} (${(file.size / 1048576).toFixed(1)} MB)`);
      const pool = worker();
      // Deferred binaries not sent yet go to the worker behind its last portion: it converts
      // them while this thread runs the correlation.
      const next = pool && deferred && !converting && file === split[split.length - 1] ? () => void (converting = pool.binaries(deferred)) : undefined;
      const t0 = performance.now();
      const result = pool ? await analyzeInTwoThreads(pool, file.path, file.text!, early.outline, early.anchors, early.identifierIndex, next, bigLeft > 0).catch(() => undefined) : undefined;
      if (result) {
        analyzed.set(file.path, { result, ms: performance.now() - t0 });
        // Analysed: its text and index are not needed any more (scanLoaded only reports it).
        if (options.releaseText !== false) {
          file.sha256 ??= createHash('sha256').update(file.text!).digest('hex');
          delete file.text;
        }
        delete early.identifierIndex;
      }
      if (bigLeft > 0) collectGarbage();
    }
    if (deferred) {
      mergeConverted(pkg, (converting ? await converting : null) ?? convertBinaries(deferred));
      mark('binaries converted');
    }
    // The worker has nothing more to do: its heap (the ASTs of its portions, hundreds of MB
    // on a package of several big bundles) goes now, not after the rest of the package.
    this.close();
    const report = scanLoaded(pkg, { releaseText: true, outlines, analyzed, ...options });
    mark('scanned');
    report.durationMs = Math.round(performance.now() - started);
    return report;
  }
}
