import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { UsageError } from '../errors.js';

export function registerGuard(program: Command, _ctx: CliContext): void {
  program
    .command('guard')
    .description('runtime egress guard: proxy that records, inspects and enforces policy (not built yet)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError("'guard' is not built yet in this version");
    });
}
