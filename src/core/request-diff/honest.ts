/**
 * Honest variation: what legitimately differs between two runs of the same agent
 * and must not be reported. Request and session ids, UUIDs, random hex, clock
 * times and timestamps are replaced by placeholders; calendar dates are found
 * with their format so that "2026-11-21" vs "2026-11-22" (one day apart, the
 * timezone changed) is honest while "2026-11-21" vs "2026/11/21" is a format
 * change. Only ASCII shapes are recognised: a look-alike character inside an id
 * keeps it from being normalised away. Pure.
 */

const ID_PATTERNS: Array<[RegExp, string]> = [
  // ISO 8601 timestamps (date with a time) and RFC 7231 dates: clocks, not calendars.
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?\b/g, '<timestamp>'],
  [/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT\b/g, '<timestamp>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  // Prefixed ids: msg_…, req_…, toolu_…, chatcmpl-…, session-…
  [/\b[A-Za-z]{2,16}[_-][A-Za-z0-9]{12,}\b/g, '<id>'],
  [/\b[0-9a-f]{16,}\b/gi, '<hex>'],
  // Long random-looking tokens: letters and digits mixed, 20+ characters.
  [/\b(?=[A-Za-z0-9+/_=-]*\d)(?=[A-Za-z0-9+/_=-]*[A-Za-z])[A-Za-z0-9+/_-]{20,}={0,2}/g, '<token>'],
  // Unix epoch seconds or milliseconds (2001–2286).
  [/\b1\d{9}(?:\d{3})?\b/g, '<epoch>'],
  // Clock times: 10:32, 10:32:07, 10:32 PM.
  [/\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:\s?[AaPp]\.?[Mm]\.?)?\b/g, '<time>'],
  // Durations and elapsed times: 123ms, 1.5s.
  [/\b\d+(?:\.\d+)?\s?(?:ms|µs|ns)\b/g, '<duration>'],
];

/** Replaces ids, timestamps and clock times with placeholders. */
export function normalizeIds(text: string): string {
  let out = text;
  for (const [re, placeholder] of ID_PATTERNS) out = out.replace(re, placeholder);
  return out;
}

export interface DateMention {
  start: number;
  end: number;
  text: string;
  /** Day number since 1970-01-01 (UTC calendar). */
  day: number;
  /** The shape, digits abstracted: `YYYY-MM-DD`, `DD.MM.YYYY`, `Month D, YYYY`, `YYYY年M月D日` … */
  format: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_RE = '(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const WEEKDAY_RE = '(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?,?\\s)?';

function dayNumber(y: number, m: number, d: number): number | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200) return null;
  const t = Date.UTC(y, m - 1, d);
  const check = new Date(t);
  if (check.getUTCDate() !== d) return null;
  return Math.round(t / 86_400_000);
}

const pad = (s: string, letter: string): string => (s.length === 2 ? letter + letter : letter);

const DATE_RULES: Array<{ re: RegExp; read: (m: RegExpExecArray) => { y: number; m: number; d: number; format: string } | null }> = [
  {
    re: /\b(\d{4})([-/.])(\d{1,2})\2(\d{1,2})\b/g,
    read: (m) => ({ y: +m[1]!, m: +m[3]!, d: +m[4]!, format: `YYYY${m[2]}${pad(m[3]!, 'M')}${m[2]}${pad(m[4]!, 'D')}` }),
  },
  {
    re: /(\d{4})\s?年\s?(\d{1,2})\s?月\s?(\d{1,2})\s?[日号]/g,
    read: (m) => ({ y: +m[1]!, m: +m[2]!, d: +m[3]!, format: 'YYYY年M月D日' }),
  },
  {
    // 21.11.2026 / 21/11/2026 / 11/21/2026: day-first unless that is impossible.
    re: /\b(\d{1,2})([-/.])(\d{1,2})\2(\d{4})\b/g,
    read: (m) => {
      const a = +m[1]!;
      const b = +m[3]!;
      const sep = m[2]!;
      if (sep === '/' && a <= 12 && b > 12) return { y: +m[4]!, m: a, d: b, format: `${pad(m[1]!, 'M')}/${pad(m[3]!, 'D')}/YYYY` };
      if (sep === '/' && b <= 12 && a <= 12) return { y: +m[4]!, m: a, d: b, format: `${pad(m[1]!, 'M')}/${pad(m[3]!, 'D')}/YYYY` };
      return { y: +m[4]!, m: b, d: a, format: `${pad(m[1]!, 'D')}${sep}${pad(m[3]!, 'M')}${sep}YYYY` };
    },
  },
  {
    re: new RegExp(`\\b${WEEKDAY_RE}${MONTH_RE}\\.?\\s(\\d{1,2})(?:st|nd|rd|th)?,?\\s(\\d{4})\\b`, 'gi'),
    read: (m) => ({ y: +m[3]!, m: MONTHS.indexOf(m[1]!.slice(0, 3).toLowerCase()) + 1, d: +m[2]!, format: `${m[1]!.length > 3 ? 'Month' : 'Mon'} D, YYYY` }),
  },
  {
    re: new RegExp(`\\b${WEEKDAY_RE}(\\d{1,2})\\.?\\s${MONTH_RE}\\.?,?\\s(\\d{4})\\b`, 'gi'),
    read: (m) => ({ y: +m[3]!, m: MONTHS.indexOf(m[2]!.slice(0, 3).toLowerCase()) + 1, d: +m[1]!, format: `D ${m[2]!.length > 3 ? 'Month' : 'Mon'} YYYY` }),
  },
];

/** Calendar dates in a text, with their format; overlapping matches keep the first rule's. */
export function findDates(text: string): DateMention[] {
  const found: DateMention[] = [];
  for (const rule of DATE_RULES) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m; m = rule.re.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (found.some((f) => start < f.end && end > f.start)) continue;
      const parts = rule.read(m);
      if (!parts) continue;
      const day = dayNumber(parts.y, parts.m, parts.d);
      if (day === null) continue;
      found.push({ start, end, text: m[0], day, format: parts.format });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The text with every date replaced by `<date>` (format-blind). */
export function withoutDates(text: string, dates: DateMention[] = findDates(text)): string {
  let out = '';
  let at = 0;
  for (const d of dates) {
    out += `${text.slice(at, d.start)}<date>`;
    at = d.end;
  }
  return out + text.slice(at);
}

export interface DateComparison {
  /** Same dates in the same places (up to the allowed shift), formats aside. */
  sameDates: boolean;
  /** Some date is written in another format. */
  formatChanged: boolean;
  /** Some date moved (by at most the allowed shift). */
  shifted: boolean;
  baseline: DateMention[];
  variant: DateMention[];
}

/**
 * Compares the dates of two texts whose other content is equal (up to dates).
 * `maxShiftDays` is 1 when the timezone differs between the runs (today is
 * tomorrow in Shanghai), else 0.
 */
export function compareDates(baseline: string, variant: string, maxShiftDays: number): DateComparison | null {
  const a = findDates(baseline);
  const b = findDates(variant);
  if (a.length === 0 || a.length !== b.length) return null;
  if (withoutDates(baseline, a) !== withoutDates(variant, b)) return null;
  let sameDates = true;
  let formatChanged = false;
  let shifted = false;
  for (let i = 0; i < a.length; i++) {
    const delta = Math.abs(a[i]!.day - b[i]!.day);
    if (delta > maxShiftDays) sameDates = false;
    if (delta > 0) shifted = true;
    if (a[i]!.format !== b[i]!.format) formatChanged = true;
  }
  return { sameDates, formatChanged, shifted, baseline: a, variant: b };
}

/** The text with dates written as their format (`<date YYYY/MM/DD>`): equal for the same format on any day. */
export function datesAsFormats(text: string): string {
  let out = '';
  let at = 0;
  for (const d of findDates(text)) {
    out += `${text.slice(at, d.start)}<date ${d.format}>`;
    at = d.end;
  }
  return out + text.slice(at);
}

/** Key names whose numeric values legitimately change from run to run. */
export function isHonestNumberKey(pointer: string): boolean {
  const last = pointer.slice(pointer.lastIndexOf('/') + 1);
  return /tokens?|count|usage|seq(?:uence)?|time|timestamp|duration|latency|elapsed|uptime|_at$|_ms$|ms$|^ts$|^t$|id$|nonce|random|seed|pid|port/i.test(last);
}
