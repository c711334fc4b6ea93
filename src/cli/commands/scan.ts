/**
 * `telltale scan TARGET…`: static audit of agent packages. Each target is
 * loaded (npm spec, tarball, directory, file), analysed by the pure core and
 * rendered as text, JSON or SARIF. Exit 1 when a finding is at or above
 * --fail-on, 2 when a target cannot be read.
 */
import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { startProgress } from '../progress.js';
import { scanTarget } from '../../scan/scan.js';
import { mark } from '../../scan/timing.js';
import type { ScanReport } from '../../scan/types.js';
import { exitCodeFor, parseFailOn, parseFormat } from '../../report/exit-code.js';

interface ScanFlags {
  format?: string;
  output?: string;
  failOn?: string;
  progress?: boolean;
}

export function registerScan(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description('static audit of agent packages: environment reads, region targeting, hidden strings, look-alike and invisible characters, format switches, endpoints, covert channels')
    .argument('<targets...>', 'npm:<name>@<version> (fetched with npm pack), a .tgz, a directory or a single file')
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--output <file>', 'write the report to a file instead of standard output')
    .option('--fail-on <level>', 'exit 1 when a finding is at or above: error, warning, note or none', 'error')
    .option('--no-progress', 'no progress line on the terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  telltale scan npm:@anthropic-ai/claude-code@2.1.91\n  telltale scan ./agent.tgz ./dist --format sarif --output telltale.sarif\n  telltale scan bundle.js --fail-on warning\n',
    )
    .action(async (targets: string[], flags: ScanFlags) => {
      // Validate flags before any slow work, so a typo fails at once.
      const format = parseFormat(flags.format);
      const failOn = parseFailOn(flags.failOn);
      const progress = flags.progress === false ? startProgress(process.stderr, Number.POSITIVE_INFINITY) : startProgress();
      const reports: ScanReport[] = [];
      try {
        for (const target of targets) reports.push(await scanTarget(target, { onProgress: (m) => progress.update(m) }));
      } finally {
        progress.done();
      }
      // The renderers (and the Unicode tables of the text one) load once there is something
      // to render: before, they delayed the start of the archive's reading.
      const { renderScan, terminalWidth, useColor, writeReport } = await import('../../report/index.js');
      const toFile = flags.output !== undefined && flags.output !== '-';
      const content = renderScan(format, reports, {
        color: !toFile && useColor(process.stdout),
        width: toFile ? 100 : terminalWidth(process.stdout),
        failOn,
      });
      await writeReport(content, flags.output);
      mark('report written');
      ctx.exitCode = exitCodeFor(
        reports.flatMap((r) => r.findings),
        failOn,
      );
    });
}
