/**
 * What the loading shell hands to the scanner: the files of a package, each
 * classified, with text ready to analyse. Produced by src/loading/load-target.ts.
 */

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
}

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
}
