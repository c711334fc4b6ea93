/**
 * Gathers the files and skip notes of one target as a reader produces them, and
 * enforces the limits that span files (entry count, total bytes).
 */
import { InputError } from '../cli/errors.js';
import { convertBinary, sizeVerdict, sniffKind, toLoadedFile, SNIFF_BYTES } from './classify.js';
import { platformPackagesOf } from './platform.js';
import { mib, type ResolvedLoadOptions } from './limits.js';
import type { BinaryConversion, ConvertedBinaries, FileKind, LoadedFile, LoadedPackage, ReadContents, SkippedFile } from './types.js';

/**
 * Binaries whose string extraction may wait until the archive is read, in bytes.
 * Packages often list native binaries before their JavaScript (claude-code: 27 MB
 * of ripgrep before a 13 MB cli.js); reading ahead hands the bundle to the
 * parser's thread ~0.3 s sooner, and the extraction then overlaps the parse.
 * Bounded so that a package of many big executables is not held in memory whole.
 */
const DEFERRED_BINARY_BYTES = 64 << 20;

export class Collector {
  private readonly files = new Map<string, LoadedFile>();
  private readonly deferred = new Map<string, { kind: FileKind; bytes: Buffer }>();
  private deferredBytes = 0;
  private readonly skippedList: SkippedFile[] = [];
  private entries = 0;
  private bytes = 0;

  constructor(
    readonly limits: ResolvedLoadOptions,
    /** How the target is named in error messages. */
    private readonly display: string,
    /** "archive" or "directory", for messages. */
    private readonly noun: string,
  ) {}

  /** Counts one entry (file, folder or link) against maxFiles. */
  countEntry(): void {
    this.entries++;
    if (this.entries > this.limits.maxFiles) {
      throw new InputError(`${this.display}: ${this.noun} holds more than ${this.limits.maxFiles} entries; raise --max-files if you trust it`);
    }
  }

  /** Counts bytes read against maxTotalBytes. */
  countBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxTotalBytes) {
      throw new InputError(`${this.display}: ${this.noun} expands beyond ${mib(this.limits.maxTotalBytes)}; raise --max-bytes if you trust it`);
    }
  }

  skip(path: string, reason: string): void {
    this.skippedList.push({ path, reason });
  }

  /**
   * Decides from a file's head and size whether to read it. Returns the kind when
   * it should be read; records the skip and returns undefined otherwise.
   */
  admit(path: string, head: Uint8Array, size: number): FileKind | undefined {
    const kind = sniffKind(path, head.subarray(0, SNIFF_BYTES));
    const tooLarge = sizeVerdict(kind, size, this.limits);
    if (tooLarge) {
      this.skip(path, tooLarge);
      return undefined;
    }
    return kind;
  }

  add(path: string, kind: FileKind, bytes: Buffer): void {
    const pending = this.deferred.get(path);
    const earlier = this.files.get(path) ?? (pending ? { kind: pending.kind, size: pending.bytes.length } : undefined);
    if (earlier) {
      // Tar semantics (and npm's): a later entry of the same path replaces the earlier one.
      this.skip(path, `an earlier entry of this path (${earlier.kind}, ${earlier.size} bytes) is replaced by a later one, as npm would install it; only the later one is analysed`);
      if (pending) {
        this.deferred.delete(path);
        this.deferredBytes -= pending.bytes.length;
      }
      this.files.delete(path);
    }
    if ((kind === 'executable' || kind === 'binary') && this.deferredBytes + bytes.length <= DEFERRED_BINARY_BYTES) {
      this.deferred.set(path, { kind, bytes });
      this.deferredBytes += bytes.length;
      return;
    }
    this.convert(path, kind, bytes);
  }

  private convert(path: string, kind: FileKind, bytes: Buffer): void {
    const { file, partial } = toLoadedFile(path, kind, bytes, this.limits);
    this.files.set(path, file);
    this.skippedList.push(...partial);
    this.limits.onFile?.(file);
  }

  result(): ReadContents {
    let unconverted: BinaryConversion | undefined;
    if (this.limits.deferBinaries && this.deferred.size > 0) {
      const { minJavaScriptRunBytes, maxFileBytes, minStringBytes, maxStringBytes } = this.limits;
      unconverted = {
        items: [...this.deferred].map(([path, { kind, bytes }]) => ({ path, kind: kind as 'executable' | 'binary', bytes })),
        limits: { minJavaScriptRunBytes, maxFileBytes, minStringBytes, maxStringBytes },
      };
    } else {
      for (const [path, { kind, bytes }] of this.deferred) this.convert(path, kind, bytes);
    }
    this.deferred.clear();
    this.deferredBytes = 0;
    const files = [...this.files.values()].sort(byPath);
    return { files, skipped: this.skippedList, ...(unconverted ? { unconverted } : {}) };
  }

  get bytesCounted(): number {
    return this.bytes;
  }
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Converts binaries left unconverted by `deferBinaries` (string extraction, embedded
 * JavaScript) and merges them into the package: files in path order, partial-analysis
 * notes in `skipped`, platform packages decided now that all code is known. Runs on
 * any thread (the scanner's worker does it while the main thread correlates).
 */
export function convertBinaries(conversion: BinaryConversion): ConvertedBinaries {
  const files: LoadedFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const item of conversion.items) {
    const bytes = Buffer.from(item.bytes.buffer, item.bytes.byteOffset, item.bytes.byteLength);
    const { file, partial } = convertBinary(item.path, item.kind, bytes, conversion.limits);
    files.push(file);
    skipped.push(...partial);
  }
  return { files, skipped };
}

/** Adds converted binaries to a package loaded with `deferBinaries`. */
export function mergeConverted(pkg: LoadedPackage, converted: ConvertedBinaries): void {
  pkg.files = [...pkg.files, ...converted.files].sort(byPath);
  pkg.skipped.push(...converted.skipped);
  pkg.platformPackages = platformPackagesOf(pkg.manifest, pkg.files);
  delete pkg.unconverted;
}
