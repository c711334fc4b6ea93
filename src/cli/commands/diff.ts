import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { UsageError } from '../errors.js';

export function registerDiff(program: Command, _ctx: CliContext): void {
  program
    .command('diff')
    .description('what changed, security-wise, between two versions of a package (not built yet)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError("'diff' is not built yet in this version");
    });
}
