import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { UsageError } from '../errors.js';

export function registerScan(program: Command, _ctx: CliContext): void {
  program
    .command('scan')
    .description('static audit of a package (npm:<spec>, .tgz, directory or file) (not built yet)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError("'scan' is not built yet in this version");
    });
}
