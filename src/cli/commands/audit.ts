import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { UsageError } from '../errors.js';

export function registerAudit(program: Command, _ctx: CliContext): void {
  program
    .command('audit')
    .description('read the audit log (list, show, export) (not built yet)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError("'audit' is not built yet in this version");
    });
}
