/** Hidden-string recovery: the contract between decoders and detectors. Pure, no I/O. */

/** What a recovered text appears to be, from its structure. */
export type PayloadKind =
  | 'domain-list' // host names / domain suffixes, possibly comma/newline separated
  | 'timezone-list' // IANA time zone names
  | 'url'
  | 'keyword-list' // short words separated by , | ; or newlines
  | 'code' // JavaScript-looking text
  | 'text'; // other readable text

export interface RecoveredString {
  /** The decoded text. */
  decoded: string;
  /** Decoding chain, outermost first, e.g. `base64 > xor(0x5b)`. */
  encoding: string;
  /** 0..1: how much the result looks like real text of its kind. */
  score: number;
  kind: PayloadKind;
  /** For lists: the items. */
  items?: string[];
}

export interface RecoveryHints {
  /** XOR keys found in the code near the literal (a decode routine's constants). Each key is a byte sequence. */
  xorKeys?: number[][];
  /** Stop after this many decoding layers (default 4). */
  maxDepth?: number;
}
