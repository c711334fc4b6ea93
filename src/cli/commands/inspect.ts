/**
 * `telltale inspect FILE|-`: hidden-channel report for any text or captured
 * request. A JSON request body is walked field by field so each finding names its
 * JSON pointer; anything else is inspected as plain text.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { InputError, UsageError } from '../errors.js';
import { inspectText, type TextInspection } from '../../core/unicode/inspect-text.js';
import { jsonStringLeaves } from '../../core/json-pointer.js';
import { decodeUtf8Strict } from '../io.js';

interface FieldInspection {
  pointer: string;
  inspection: TextInspection;
}

async function readInput(file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? 'read error'}`);
  }
}

function inspectFields(text: string): FieldInspection[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const value: unknown = JSON.parse(text);
      return jsonStringLeaves(value)
        .map(({ pointer, value: s }) => ({ pointer, inspection: inspectText(s) }))
        .filter((f) => f.inspection.chars.length > 0 || f.inspection.mixedScriptWords.length > 0);
    } catch {
      // Not JSON after all: inspect as text.
    }
  }
  return [{ pointer: '', inspection: inspectText(text) }];
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('hidden-channel report for any text or captured request: every invisible, confusable or unusual character')
    .argument('<file>', "a file, or '-' for standard input")
    .option('--format <format>', 'text or json', 'text')
    .option('--all', 'also list characters that are part of legitimate sequences (emoji, flags, BOM)')
    .action(async (file: string, opts: { format: string; all?: boolean }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new UsageError(`--format must be text or json, not '${opts.format}'`);
      const text = decodeUtf8Strict(await readInput(file), file);
      const fields = inspectFields(text);
      const suspicious = fields.some((f) => !f.inspection.clean);
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify({ input: file, clean: !suspicious, fields }, null, 2) + '\n');
      } else {
        process.stdout.write(renderInspection(file, fields, opts.all ?? false));
      }
      ctx.exitCode = suspicious ? 1 : 0;
    });
}

function renderInspection(file: string, fields: FieldInspection[], all: boolean): string {
  const lines: string[] = [];
  let shown = 0;
  for (const { pointer, inspection } of fields) {
    const chars = inspection.chars.filter((c) => all || !c.legitimate);
    if (chars.length === 0 && inspection.mixedScriptWords.length === 0 && inspection.tagPayloads.length === 0) continue;
    if (pointer) lines.push(`${pointer}:`);
    for (const c of chars) {
      shown++;
      const proto = c.prototype ? ` looks like "${c.prototype}"` : '';
      lines.push(`  ${c.line}:${c.column}  ${c.cp}  ${c.name}  [${c.kind}]${proto}${c.legitimate ? ' (legitimate: ' + c.reason + ')' : ''}`);
    }
    for (const w of inspection.mixedScriptWords) lines.push(`  mixed-script word "${w.word}" (${w.scripts.join('+')}) reads as "${w.skeleton}"`);
    for (const t of inspection.tagPayloads) lines.push(`  tag characters at offset ${t.offset} spell out: ${JSON.stringify(t.text)}`);
  }
  const verdict = fields.some((f) => !f.inspection.clean)
    ? `${file}: hidden or look-alike characters found (${shown} listed)`
    : `${file}: no hidden channel characters found`;
  return [verdict, ...lines, ''].join('\n');
}
