/**
 * Request diff: align the requests of runs made under different environments,
 * compare them field by field, drop honest variation, classify what changed and
 * attribute it to the smallest set of environment factors. Pure (no I/O).
 */
export { analyzeRuns, type AnalyzeInput } from './analyze.js';
export { attribute, confirmationsFor, type Attribution, type Observation } from './attribute.js';
export { compareSegments, canonicalSegment, charChanges, isInvisibleCodePoint, type SegmentVerdict } from './classify.js';
export { identify, normalizePath, alignRequests, OFFICIAL_API_BASES } from './align.js';
export { normalizeIds, findDates, compareDates, isHonestNumberKey } from './honest.js';
export { diffTokens, tokenize } from './tokens.js';
export type * from './types.js';
