import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { UsageError } from '../errors.js';

export function registerProbe(program: Command, _ctx: CliContext): void {
  program
    .command('probe')
    .description('run an agent under a matrix of environments and diff what it sends (not built yet)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError("'probe' is not built yet in this version");
    });
}
