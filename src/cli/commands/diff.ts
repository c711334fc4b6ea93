/**
 * `telltale diff OLD NEW`: what an update changed, security-wise. Findings are
 * matched by behaviour (src/core/diff/), so renamed minified identifiers and moved
 * code are not "new". `--fail-on` looks at new (and more severe) findings only.
 */
import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { runDiff } from '../../diff/run-diff.js';
import { startProgress } from '../progress.js';
import { diffExitCode } from '../../diff/exit-code.js';
import { toDiffText } from '../../diff/render-text.js';
import { toDiffJson } from '../../diff/render-json.js';
import { toDiffSarifText } from '../../diff/render-sarif.js';
import { parseFailOn, parseFormat } from '../../report/exit-code.js';
import { terminalWidth, useColor } from '../../report/terminal.js';
import { writeReport } from '../../report/write.js';

interface DiffFlags {
  format?: string;
  output?: string;
  failOn?: string;
  progress?: boolean;
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description('what changed, security-wise, between two versions of a package: new and removed findings, endpoints, environment reads, hidden strings, install scripts')
    .argument('<old>', 'the baseline: npm:<name>@<version> (or @previous), a .tgz, a directory, a file, or a saved `scan --format json` report')
    .argument('<new>', 'the release to judge: same kinds of target (npm:<name>@latest works)')
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--output <file>', 'write the report to a file instead of standard output')
    .option('--fail-on <level>', 'exit 1 when a NEW (or more severe) finding is at or above: error, warning, note or none', 'error')
    .option('--no-progress', 'no progress line on the terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  telltale diff npm:@scope/agent@previous npm:@scope/agent@latest\n  telltale diff old.tgz new.tgz --format sarif --output diff.sarif --fail-on warning\n',
    )
    .action(async (oldTarget: string, newTarget: string, flags: DiffFlags) => {
      const format = parseFormat(flags.format);
      const failOn = parseFailOn(flags.failOn);
      const progress = flags.progress === false ? startProgress(process.stderr, Number.POSITIVE_INFINITY) : startProgress();
      let run;
      try {
        run = await runDiff(oldTarget, newTarget, { onProgress: (m) => progress.update(m) });
      } finally {
        progress.done();
      }
      const { result, timings } = run;
      const toFile = flags.output !== undefined && flags.output !== '-';
      const content =
        format === 'json'
          ? toDiffJson(result)
          : format === 'sarif'
            ? toDiffSarifText(result)
            : toDiffText(result, {
                color: !toFile && useColor(process.stdout),
                width: toFile ? 100 : terminalWidth(process.stdout),
                failOn,
                durationMs: timings.totalMs,
              });
      await writeReport(content, flags.output);
      for (const warning of result.warnings) if (format !== 'text' || toFile) process.stderr.write(`telltale: warning: ${warning}\n`);
      ctx.exitCode = diffExitCode(result, failOn);
    });
}
