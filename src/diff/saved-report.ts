/**
 * A saved `telltale scan --format json` report can stand in for a target: a
 * scheduled job keeps the report of the release it last approved and diffs the
 * next release against it without scanning the old one again. Validated here, at
 * the edge; anything that is not a telltale scan report is scanned as a file.
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../cli/errors.js';
import type { DiffInput } from '../core/diff/types.js';

const level = z.enum(['error', 'warning', 'note']);
const category = z.enum(['env-fingerprint', 'region-targeting', 'obfuscated-payload', 'covert-channel', 'hidden-characters', 'network-endpoint', 'telemetry', 'data-collection']);
const location = z.looseObject({
  file: z.string(),
  line: z.number(),
  column: z.number(),
  offset: z.number(),
  length: z.number(),
  snippet: z.string(),
  byteOffset: z.number().optional(),
});
const finding = z.looseObject({
  ruleId: z.string(),
  level,
  category,
  message: z.string(),
  location,
  related: z.array(z.object({ message: z.string(), location })).optional(),
  decoded: z.string().optional(),
  encoding: z.string().optional(),
  codePoints: z.array(z.string()).optional(),
  facts: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
    .refine((facts) => typeof facts.key === 'string', 'facts.key must be a string'),
  shape: z.string().optional(),
});
const stringMap = z.record(z.string(), z.string());
const scanReport = z.looseObject({
  tool: z.object({ name: z.literal('telltale'), version: z.string() }),
  target: z.string(),
  package: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(),
  rules: z.array(z.looseObject({ id: z.string(), name: z.string(), shortDescription: z.string(), help: z.string(), category, maxLevel: level })),
  findings: z.array(finding),
  files: z.array(z.looseObject({ path: z.string(), kind: z.string(), size: z.number(), sha256: z.string().optional() })),
  skipped: z.array(z.looseObject({ path: z.string(), reason: z.string() })),
  notes: z.array(z.string()).optional(),
  manifest: z
    .object({
      scripts: stringMap.optional(),
      dependencies: stringMap.optional(),
      optionalDependencies: stringMap.optional(),
      bin: z.union([z.string(), stringMap]).optional(),
    })
    .optional(),
});

const MAX_REPORT_BYTES = 256 << 20;

function isTelltaleReport(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { tool?: { name?: unknown } }).tool?.name === 'telltale';
}

/**
 * The saved scan report at `path`, or undefined when `path` is not one (not a
 * `.json` file, or JSON that is not a telltale scan report: scan it instead).
 */
export async function readSavedReport(path: string): Promise<DiffInput | undefined> {
  if (!path.toLowerCase().endsWith('.json')) return undefined;
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size > MAX_REPORT_BYTES) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const reports = (data as { reports?: unknown }).reports;
  if (Array.isArray(reports) && reports.some(isTelltaleReport)) {
    throw new InputError(`${path} holds reports of several targets; save the scan of one target per file to diff it`);
  }
  if (!isTelltaleReport(data)) return undefined;
  const parsed = scanReport.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${path} looks like a telltale report but is not a valid scan report (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}); scan the package again`);
  }
  // Validated above; zod cannot express `{ key: string } & Record<…>` for facts.
  return parsed.data as unknown as DiffInput;
}
