/** Hidden-string recovery: decode layered encodings and judge whether the result is real text. Pure, no I/O. */
export type { PayloadKind, RecoveredString, RecoveryHints } from './types.js';
export { recoverString, recoverCandidates, recoverBytes, recoverBytesCandidates, MAX_ATTEMPTS, PROBE_CHARS } from './recover.js';
export { scoreText, REPORT_THRESHOLD, type TextScore } from './score.js';
export { looksEncoded } from './prefilter.js';
