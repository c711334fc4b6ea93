/**
 * The CLI shell: builds the command tree, turns user errors into one-line messages
 * and exit code 2, and never prints a stack trace unless --debug is given.
 */
import { Command, CommanderError } from 'commander';
import { isUserError } from './errors.js';
import { registerScan } from './commands/scan.js';
import { registerDiff } from './commands/diff.js';
import { registerProbe } from './commands/probe.js';
import { registerGuard } from './commands/guard.js';
import { registerRun } from './commands/run.js';
import { registerAudit } from './commands/audit.js';
import { registerInspect } from './commands/inspect.js';
import { registerUi } from './commands/ui.js';
import { VERSION } from './version.js';

export interface CliContext {
  /** Set by a command: the process exit code (0 clean, 1 findings at/above --fail-on). */
  exitCode: number;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('telltale')
    .description('Shows what an AI coding agent does with your environment and what it really sends, and stops what it must not send.')
    .version(VERSION)
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError('(run telltale --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerScan(program, ctx);
  registerDiff(program, ctx);
  registerProbe(program, ctx);
  registerGuard(program, ctx);
  registerRun(program, ctx);
  registerAudit(program, ctx);
  registerInspect(program, ctx);
  registerUi(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const ctx: CliContext = { exitCode: 0 };
  const program = buildProgram(ctx);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isUserError(error)) {
      process.stderr.write(`telltale: ${error.message}\n`);
      if (debug) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`telltale: internal error: ${message.split('\n')[0]} (rerun with --debug for details)\n`);
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 2;
  }
}
