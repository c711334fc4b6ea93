/**
 * Terminal text that cannot lie: hidden characters become visible `<U+XXXX>`
 * marks (a bidi control printed raw would reorder the report itself — Trojan
 * Source), widths count East Asian wide characters as two columns, and long
 * lines wrap at the terminal width. Colour is opt-in.
 */
import { classifyCodePoint, MARK } from '../core/unicode/index.js';

export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
  magenta(s: string): string;
}

function sgr(open: number, close: number): (s: string) => string {
  return (s) => (s === '' ? s : `\x1b[${open}m${s}\x1b[${close}m`);
}

const identity = (s: string): string => s;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    return { enabled, bold: identity, dim: identity, red: identity, yellow: identity, cyan: identity, green: identity, magenta: identity };
  }
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    green: sgr(32, 39),
    magenta: sgr(35, 39),
  };
}

/** Colour only for a person at a terminal: a TTY, NO_COLOR unset or empty (no-color.org), and a terminal that can. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!stream.isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** Terminal width for wrapping: the stream's columns on a TTY, else 100 (files and CI logs). */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number {
  const columns = stream.isTTY ? stream.columns : undefined;
  return columns && columns > 0 ? columns : 100;
}

/** One displayed unit: a character, or the visible mark standing for a hidden one. */
export interface Cell {
  text: string;
  width: number;
  /** UTF-16 index of the source character in the input text (-1 for decoration). */
  index: number;
  /** UTF-16 length of the source character. */
  length: number;
  /** True when `text` is a mark standing for an invisible or look-alike character. */
  escaped: boolean;
  space: boolean;
}

// East Asian Wide and Fullwidth blocks and emoji: two columns in every common terminal.
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff], [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
  for (const [lo, hi] of WIDE) if (cp >= lo && cp <= hi) return true;
  return false;
}

function isHidden(cp: number, confusables: boolean): boolean {
  const kind = classifyCodePoint(cp);
  return kind !== null && (confusables || kind !== 'confusable');
}

const CONTROL_ESCAPES: Readonly<Record<number, string>> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };

export function codePointLabel(cp: number): string {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Splits text into display cells, replacing every character a person could not
 * see with `<U+XXXX>`, and look-alikes too unless `confusables` is false (for
 * telltale's own prose, whose dashes and quotes are not evidence).
 */
export function toCells(text: string, confusables = true): Cell[] {
  const cells: Cell[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const length = cp > 0xffff ? 2 : 1;
    const control = CONTROL_ESCAPES[cp];
    const loneSurrogate = cp >= 0xd800 && cp <= 0xdfff;
    if (control !== undefined) {
      cells.push({ text: control, width: control.length, index: i, length, escaped: true, space: true });
    } else if (loneSurrogate || isHidden(cp, confusables)) {
      const mark = `<${codePointLabel(cp)}>`;
      cells.push({ text: mark, width: mark.length, index: i, length, escaped: true, space: false });
    } else {
      const ch = text.slice(i, i + length);
      const width = cp < 0x300 ? 1 : MARK.has(cp) ? 0 : isWide(cp) ? 2 : 1;
      cells.push({ text: ch, width, index: i, length, escaped: false, space: ch === ' ' });
    }
    i += length;
  }
  return cells;
}

export function cellsWidth(cells: readonly Cell[]): number {
  let w = 0;
  for (const c of cells) w += c.width;
  return w;
}

export function renderCells(cells: readonly Cell[], style: Style): string {
  let out = '';
  let run = '';
  for (const c of cells) {
    if (c.escaped) {
      out += run + style.magenta(c.text);
      run = '';
    } else run += c.text;
  }
  return out + run;
}

/** Text made safe and visible for a terminal, on one line. */
export function visible(text: string, style: Style, confusables = true): string {
  return renderCells(toCells(text, confusables), style);
}

/**
 * Wraps cells into lines at most `width` columns wide. Breaks after a space
 * (dropped) or a comma (kept) in the last third of the line; minified code often
 * has neither nearby, so a line then breaks mid-token rather than run past the edge.
 */
export function wrapCells(cells: readonly Cell[], width: number): Cell[][] {
  const max = Math.max(8, width);
  const lines: Cell[][] = [];
  let line: Cell[] = [];
  let used = 0;
  for (const cell of cells) {
    if (used + cell.width > max && line.length > 0) {
      let cut = -1;
      for (let k = line.length - 1, w = 0; k > 0 && w < max / 3; k--) {
        const c = line[k]!;
        if (!c.escaped && (c.space || c.text === ',')) {
          cut = k;
          break;
        }
        w += c.width;
      }
      if (cut > 0) {
        const keep = line[cut]!.space ? cut : cut + 1;
        lines.push(line.slice(0, keep));
        line = line.slice(cut + 1);
      } else {
        lines.push(line);
        line = [];
      }
      used = cellsWidth(line);
    }
    if (line.length === 0 && cell.space && lines.length > 0 && !cell.escaped) continue;
    line.push(cell);
    used += cell.width;
  }
  if (line.length > 0 || lines.length === 0) lines.push(line);
  return lines;
}

/** Cuts cells to `width` columns, ending with `…` when something was cut. */
export function truncateCells(cells: readonly Cell[], width: number): Cell[] {
  if (cellsWidth(cells) <= width) return [...cells];
  const out: Cell[] = [];
  let used = 0;
  for (const c of cells) {
    if (used + c.width > width - 1) break;
    out.push(c);
    used += c.width;
  }
  out.push(decoration('…'));
  return out;
}

/** Wraps telltale's prose (messages, notes) to `width`, each line prefixed by `indent`; hidden characters still show. */
export function wrapText(text: string, width: number, indent: string, style: Style): string[] {
  return wrapCells(toCells(text, false), width - indent.length).map((line) => indent + renderCells(line, style));
}

/** A cell that stands for no input character (quotes, ellipses). */
export function decoration(text: string): Cell {
  return { text, width: text.length, index: -1, length: 0, escaped: false, space: false };
}
