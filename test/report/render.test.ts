import { describe, expect, it } from 'vitest';
import { renderScan } from '../../src/report/index.js';
import { richReport } from './fixtures.js';

describe('renderScan', () => {
  it('renders each format from the same reports', () => {
    const reports = [richReport()];
    expect((JSON.parse(renderScan('sarif', reports)) as { version: string }).version).toBe('2.1.0');
    expect((JSON.parse(renderScan('json', reports)) as { schemaVersion: number }).schemaVersion).toBe(1);
    expect(renderScan('text', reports, { width: 90 }).split('\n')[0]).toMatch(/^✖ npm:@acme\/agent@2\.4\.1 — covert channel/);
    for (const format of ['sarif', 'json', 'text'] as const) expect(renderScan(format, reports).endsWith('\n')).toBe(true);
  });
});
