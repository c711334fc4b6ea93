#!/usr/bin/env node
/**
 * `npm run bench`: runs every bench/*.bench.mjs in its own process, one after the
 * other (they measure wall time, so never in parallel), and prints a summary of
 * bench/results/*.json at the end. `npm run bench -- scan diff` runs a subset.
 * Benchmarks report ratios against baselines measured in the same run; they are
 * never timed assertions in tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(DIR).filter((f) => f.endsWith('.bench.mjs')).sort();
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.startsWith(w))) : all;
if (chosen.length === 0) {
  console.error(`bench: nothing matches ${wanted.join(' ')}; available: ${all.map((f) => f.replace('.bench.mjs', '')).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const file of chosen) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, [join(DIR, file)], { stdio: 'inherit', cwd: resolve(DIR, '..') });
  if (r.status !== 0) {
    failed++;
    console.log(`bench: ${file} exited ${r.status ?? r.signal}`);
  }
}
console.log('\n=== results (bench/results/*.json) ===');
for (const file of chosen) {
  const name = file.replace('.bench.mjs', '');
  const path = join(DIR, 'results', `${name}.json`);
  if (existsSync(path)) console.log(`${name}: ${JSON.stringify(JSON.parse(readFileSync(path, 'utf8'))).slice(0, 400)}`);
}
process.exit(failed ? 1 : 0);
