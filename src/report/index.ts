/**
 * Reports of `telltale scan`: one call per output format, plus the exit-code and
 * output helpers the command needs. `diff` reuses the SARIF building blocks in
 * ./sarif.js and the terminal helpers in ./terminal.js.
 */
import type { ScanReport } from '../scan/types.js';
import type { ReportFormat } from './exit-code.js';
import { toJson } from './json.js';
import { toSarif } from './sarif.js';
import { toText, type TextOptions } from './text.js';

export { exitCodeFor, parseFailOn, parseFormat, DEFAULT_FAIL_ON, type FailOn, type ReportFormat } from './exit-code.js';
export { toJson, jsonReport, jsonScanReport, JSON_SCHEMA_VERSION, type JsonScanReport, type JsonScanSet } from './json.js';
export { toSarif } from './sarif.js';
export { toText, type TextOptions } from './text.js';
export { useColor, terminalWidth } from './terminal.js';
export { writeReport } from './write.js';

/** Renders scan reports in a format; `text` options (colour, width, fail-on) are ignored by the others. */
export function renderScan(format: ReportFormat, reports: readonly ScanReport[], options: TextOptions = {}): string {
  switch (format) {
    case 'json':
      return toJson(reports);
    case 'sarif':
      return JSON.stringify(toSarif(reports), null, 2) + '\n';
    case 'text':
      return toText(reports, options);
  }
}
