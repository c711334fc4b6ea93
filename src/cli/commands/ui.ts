import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { UsageError } from '../errors.js';

export function registerUi(program: Command, _ctx: CliContext): void {
  program
    .command('ui')
    .description('web dashboard over audit log, probe results and scan reports (not built yet)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError("'ui' is not built yet in this version");
    });
}
