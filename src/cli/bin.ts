#!/usr/bin/env -S node --max-semi-space-size=32 --expose-gc
/**
 * Entry point of the `telltale` binary. telltale needs Node >= 22.19 (node:sqlite, undici 8,
 * oxc-parser raw transfer). The package depends on the `node@22` npm package, so
 * when an older system Node starts this file we re-run it under that Node instead
 * of failing. `--max-semi-space-size=32`: parsing a 13 MB bundle allocates
 * millions of short-lived AST objects; a larger young generation makes the
 * scavenger run less often. 32 MB (not 64) keeps two analysis threads well
 * under the 1 GB memory target (bench/scan.bench.mjs). `--expose-gc`: a scan
 * collects the dead syntax trees of one big bundle before the next (collectGarbage
 * in scan/analysis.ts); nothing else calls it.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  const require = createRequire(import.meta.url);
  let bundled: string | undefined;
  try {
    bundled = require.resolve('node/bin/node');
  } catch {
    bundled = undefined;
  }
  if (!bundled || process.env.TELLTALE_REEXEC) {
    process.stderr.write(`telltale: needs Node >= 22.19 (this is ${process.versions.node}); install it or run 'npm install' in the telltale package\n`);
    process.exit(2);
  }
  const result = spawnSync(bundled, ['--max-semi-space-size=32', '--expose-gc', process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TELLTALE_REEXEC: '1' },
  });
  process.exit(result.status ?? 1);
}
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
