/**
 * The CLI shell: builds the command tree, turns user errors into one-line messages
 * and exit code 2, and never prints a stack trace unless --debug is given.
 */
import { Command, CommanderError } from 'commander';
import { isUserError } from './errors.js';
import { VERSION } from './version.js';

export interface CliContext {
  /** Set by a command: the process exit code (0 clean, 1 findings at/above --fail-on). */
  exitCode: number;
}

type Registrar = (program: Command, ctx: CliContext) => void;

/**
 * Command modules, loaded on demand: `telltale scan` should not pay for loading
 * the proxy, SQLite and probe code (startup is part of the scan benchmark).
 */
const COMMANDS: ReadonlyArray<[string, () => Promise<Registrar>]> = [
  ['scan', async () => (await import('./commands/scan.js')).registerScan],
  ['diff', async () => (await import('./commands/diff.js')).registerDiff],
  ['probe', async () => (await import('./commands/probe.js')).registerProbe],
  ['guard', async () => (await import('./commands/guard.js')).registerGuard],
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['audit', async () => (await import('./commands/audit.js')).registerAudit],
  ['inspect', async () => (await import('./commands/inspect.js')).registerInspect],
  ['ui', async () => (await import('./commands/ui.js')).registerUi],
];

/** The command tree; with `only`, just that command is loaded (the help lists all when it is absent). */
export async function buildProgram(ctx: CliContext, only?: string): Promise<Command> {
  const program = new Command('telltale')
    .description('Shows what an AI coding agent does with your environment and what it really sends, and stops what it must not send.')
    .version(VERSION)
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError('(run telltale --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const chosen = COMMANDS.filter(([name]) => only === undefined || name === only);
  for (const [, load] of chosen.length > 0 ? chosen : COMMANDS) (await load())(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const ctx: CliContext = { exitCode: 0 };
  // The first word that is not an option names the command (`telltale --debug scan x`).
  const first = argv.find((a) => !a.startsWith('-'));
  const program = await buildProgram(ctx, first === 'help' ? undefined : first);
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
