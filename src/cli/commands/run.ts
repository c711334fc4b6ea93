import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { UsageError } from '../errors.js';

export function registerRun(program: Command, _ctx: CliContext): void {
  program
    .command('run')
    .description('start a guard and run an agent through it (not built yet)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError("'run' is not built yet in this version");
    });
}
