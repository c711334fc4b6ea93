/**
 * The published `@anthropic-ai/claude-code` bundle for end-to-end tests (guard
 * and probe run it for real): fetched once with `npm pack` into .cache/agents/.
 * Test files run in parallel, so each download goes to its own folder and is
 * renamed into place; the first to finish wins, the others use its copy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const AGENT_CACHE = join(ROOT, '.cache/agents');

/** Path of the unpacked cli.js of that version, or a one-line reason why it is not available. */
export function ensureClaudeCode(version = '2.1.91'): { cliJs: string; skipReason: string | null } {
  const target = join(AGENT_CACHE, `claude-code-${version}`);
  const cliJs = join(target, 'package/cli.js');
  if (existsSync(cliJs)) return { cliJs, skipReason: null };
  mkdirSync(AGENT_CACHE, { recursive: true });
  const work = mkdtempSync(join(AGENT_CACHE, `.download-${version}-`));
  try {
    const pack = spawnSync('npm', ['pack', `@anthropic-ai/claude-code@${version}`, '--silent'], { cwd: work, encoding: 'utf8', timeout: 180_000 });
    if (pack.status !== 0) {
      return { cliJs, skipReason: `npm pack @anthropic-ai/claude-code@${version} failed (registry unreachable?): ${(pack.stderr || pack.error?.message || '').split('\n')[0]}` };
    }
    const tgz = join(work, pack.stdout.trim().split('\n').pop()!);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    const untar = spawnSync('tar', ['xzf', tgz, '-C', unpacked], { encoding: 'utf8' });
    if (untar.status !== 0 || !existsSync(join(unpacked, 'package/cli.js'))) return { cliJs, skipReason: `cannot unpack ${tgz}: ${untar.stderr}` };
    try {
      renameSync(unpacked, target);
    } catch {
      // Another test file finished first: use its copy.
    }
    return existsSync(cliJs) ? { cliJs, skipReason: null } : { cliJs, skipReason: `no ${cliJs} after download` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
