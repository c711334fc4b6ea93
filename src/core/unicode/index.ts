export { RangeSet } from './range-set.js';
export * from './properties.js';
export { scriptOf, type ScriptName } from './scripts.js';
export { prototypeOf, skeleton, isAsciiLookalike, lookalikesOf, CONFUSABLES_ENTRIES, CONFUSABLES_VERSION } from './confusables.js';
export { characterName, formatCodePoint } from './names.js';
export * from './inspect-text.js';
