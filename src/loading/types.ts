/**
 * What the loading shell hands to the scanner: the files of a package, each
 * classified, with text ready to analyse. Produced by src/loading/load-target.ts.
 */
import type { ExtractionLimits } from './executable.js';

export type FileKind =
  | 'javascript' // .js/.cjs/.mjs/.jsx, shebang scripts, bundles without extension
  | 'typescript' // .ts/.mts/.cts/.tsx sources
  | 'typescript-declaration' // .d.ts
  | 'json'
  | 'executable' // ELF / Mach-O / PE: embedded JavaScript is extracted into `segments`
  | 'binary' // other binary: printable strings are extracted into `segments`
  | 'text'; // anything else that decodes as UTF-8 text (README, .md, .txt, .yml …)

/** A piece of text taken out of a binary file. */
export interface TextSegment {
  /** Byte offset of the segment's first byte inside the binary. */
  byteOffset: number;
  /** The segment as text (UTF-8 decoded). */
  text: string;
  /** True when this looks like embedded JavaScript source (Bun/Deno/Node SEA payload); else printable strings. */
  javascript: boolean;
  /** Name of the embedded module when the container records one (e.g. Bun's `/$bunfs/root/cli`). */
  name?: string;
  /** Length of the segment in bytes inside the binary (the text may be shorter after decoding). */
  byteLength?: number;
  /**
   * Set when the text is not the bytes at `byteOffset` read as UTF-8: the asset was
   * zstd/gzip-compressed or UTF-16LE. Offsets inside the text then do not map to bytes.
   */
  decodedFrom?: 'zstd' | 'gzip' | 'utf-16le';
}

export interface LoadedFile {
  /** Path relative to the package root, forward slashes, no leading `./` or `package/`. */
  path: string;
  kind: FileKind;
  size: number;
  /** Decoded text for text-like kinds (javascript, typescript*, json, text). */
  text?: string;
  /** For executables and binaries: extracted text segments, with byte offsets. */
  segments?: TextSegment[];
  /** For executables: which runtime packed it, when recognisable ('bun', 'deno', 'node-sea'). */
  runtime?: string;
  /** SHA-256 of the file's bytes (hex): lets `diff` tell changed files without keeping the bytes. */
  sha256?: string;
}

/**
 * A file (or part of one) that was not analysed. A file that was analysed only in
 * part (invalid UTF-8 replaced, string extraction capped) is in `files` and also
 * here, with a reason that starts with "partly analysed:".
 */
export interface SkippedFile {
  path: string;
  /** One line: why it was not analysed (too large, symlink, invalid UTF-8 …). */
  reason: string;
}

export interface PackageManifest {
  name?: string;
  version?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bin?: string | Record<string, string>;
}

/** A binary read but not converted yet (see LoadOptions.deferBinaries): plain data, it may cross threads. */
export interface UnconvertedBinary {
  path: string;
  kind: 'executable' | 'binary';
  bytes: Uint8Array;
}

/** What converting binaries needs besides their bytes (the loading limits that apply). */
export interface BinaryConversion {
  items: UnconvertedBinary[];
  limits: ExtractionLimits;
}

/** Binaries once converted: their files, and notes on what was analysed only in part. */
export interface ConvertedBinaries {
  files: LoadedFile[];
  skipped: SkippedFile[];
}

/** What reading a target (archive, folder, file) yields, before the package is assembled. */
export interface ReadContents {
  files: LoadedFile[];
  skipped: SkippedFile[];
  /** With `deferBinaries`: the binaries left for the caller to convert. */
  unconverted?: BinaryConversion;
}

export interface LoadedPackage {
  /** The target as the user wrote it. */
  target: string;
  /** What kind of target it was. */
  source: 'npm' | 'tarball' | 'directory' | 'file';
  name?: string;
  version?: string;
  manifest?: PackageManifest;
  files: LoadedFile[];
  skipped: SkippedFile[];
  /**
   * Platform packages (optionalDependencies such as `@scope/agent-linux-x64`)
   * that hold the real code of this package, when its own files hold little code.
   */
  platformPackages: string[];
  /** With `deferBinaries`: binaries still to convert; `platformPackages` is known only after. */
  unconverted?: BinaryConversion;
}

/** Limits and settings of loadTarget; every field is optional (see DEFAULT_LOAD_OPTIONS). */
export interface LoadOptions {
  /** Most entries an archive or directory may hold (files, folders and links). */
  maxFiles?: number;
  /** Most bytes an archive may expand to, or a directory may hold in files read. */
  maxTotalBytes?: number;
  /** Largest text-like file (JavaScript, JSON, text) that is read. */
  maxFileBytes?: number;
  /** Largest executable or other binary that is read. */
  maxExecutableBytes?: number;
  /** Highest uncompressed/compressed ratio of a gzip archive (checked past `compressionRatioFloorBytes`). */
  maxCompressionRatio?: number;
  /** Uncompressed bytes below which the ratio is not checked: small packages of repetitive text compress well. */
  compressionRatioFloorBytes?: number;
  /** Shortest run of text (bytes) inside an executable that is taken as embedded JavaScript by the generic fallback. */
  minJavaScriptRunBytes?: number;
  /** Shortest printable string (bytes) extracted from a binary. */
  minStringBytes?: number;
  /** Most bytes of printable strings kept per binary file. */
  maxStringBytes?: number;
  /** Where npm tarballs are cached (default `$TELLTALE_CACHE_DIR`, else `$XDG_CACHE_HOME/telltale`, else `~/.cache/telltale`). */
  cacheDir?: string;
  /** The npm executable (default `npm`, from PATH). */
  npmCommand?: string;
  /** Time limit for one `npm pack` (ms). */
  npmTimeoutMs?: number;
  /**
   * Leave the binaries whose string extraction waits until the archive is read
   * unconverted, in `LoadedPackage.unconverted`, for the caller to convert
   * (convertBinaries) when a core is free. Default false: they are converted before
   * loadTarget returns.
   */
  deferBinaries?: boolean;
  /**
   * Called with each file as soon as it is read, before the whole target is
   * loaded: lets the scanner start parsing a big bundle while the rest of the
   * archive (native binaries) is still being read.
   */
  onFile?: (file: LoadedFile) => void;
}
