/**
 * `telltale scan` on real agent packages from the npm registry, through the real
 * CLI: the release named in the public incident must show the covert channel at
 * `error` without being told what to look for; its predecessor and another agent
 * must not produce any `error`. Packages are fetched with `npm pack` into
 * .cache/telltale/ once; without registry access each test is skipped with a
 * message saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'dist/cli/bin.js');
const CACHE = process.env.TELLTALE_CACHE_DIR ?? join(ROOT, '.cache', 'telltale');

interface JsonFinding {
  ruleId: string;
  level: string;
  decoded?: string;
  related?: Array<{ message: string }>;
  facts: Record<string, unknown>;
}

let reachable: Promise<string | undefined> | undefined;
function registryProblem(): Promise<string | undefined> {
  reachable ??= (async () => {
    let registry = 'https://registry.npmjs.org/';
    try {
      registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', timeout: 15_000 }).trim() || registry;
      const res = await fetch(new URL('@anthropic-ai%2fclaude-code', registry.endsWith('/') ? registry : `${registry}/`), { method: 'HEAD', signal: AbortSignal.timeout(8000) });
      return res.status < 500 ? undefined : `registry answered ${res.status}`;
    } catch (error) {
      return `the npm registry (${registry}) is unreachable: ${(error as Error).message}`;
    }
  })();
  return reachable;
}

function scanJson(target: string): { status: number | null; findings: JsonFinding[]; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'scan', target, '--format', 'json'], {
    encoding: 'utf8',
    timeout: 400_000,
    maxBuffer: 1 << 28,
    env: { ...process.env, TELLTALE_CACHE_DIR: CACHE },
  });
  const findings = r.stdout ? (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings : [];
  return { status: r.status, findings, stderr: r.stderr };
}

describe('real agent packages from the npm registry', () => {
  it('@anthropic-ai/claude-code@2.1.91 (the incident release): covert channel at error, with its chain', { timeout: 420_000 }, async (ctx) => {
    const problem = await registryProblem();
    if (problem) return ctx.skip(`skipped: ${problem}`);
    const r = scanJson('npm:@anthropic-ai/claude-code@2.1.91');
    expect(r.status, r.stderr).toBe(1);
    const channels = r.findings.filter((f) => f.ruleId === 'TT007' && f.level === 'error');
    expect(channels.length).toBeGreaterThanOrEqual(1);
    const signals = new Set(channels.flatMap((f) => f.facts.signals as string[]));
    expect(signals).toEqual(new Set(['api-base-url', 'timezone']));
    // The hidden lists are decoded and feed the chain; the decoded text is in the report.
    const payloads = r.findings.filter((f) => f.ruleId === 'TT003' && f.level === 'error');
    expect(payloads.some((f) => f.facts.kind === 'domain-list' && (f.decoded ?? '').split(',').length > 50)).toBe(true);
    expect(channels[0]!.related!.length).toBeGreaterThanOrEqual(4);
  });

  it.for(['npm:@anthropic-ai/claude-code@2.1.90', 'npm:@google/gemini-cli@0.61.0'])('%s: no error, a short list of warnings', { timeout: 420_000 }, async (target, ctx) => {
    const problem = await registryProblem();
    if (problem) return ctx.skip(`skipped: ${problem}`);
    const r = scanJson(target);
    expect(r.status, r.stderr).toBe(0);
    expect(r.findings.filter((f) => f.level === 'error')).toEqual([]);
    expect(r.findings.filter((f) => f.level === 'warning').length).toBeLessThanOrEqual(10);
  });

  it('opencode-linux-x64@1.18.33 (a 177 MB Bun executable): its embedded JavaScript is scanned, offsets point into the binary', { timeout: 600_000 }, async (ctx) => {
    const problem = await registryProblem();
    if (problem) return ctx.skip(`skipped: ${problem}`);
    const r = spawnSync(process.execPath, [BIN, 'scan', 'npm:opencode-linux-x64@1.18.33', '--format', 'json'], {
      encoding: 'utf8',
      timeout: 580_000,
      maxBuffer: 1 << 28,
      env: { ...process.env, TELLTALE_CACHE_DIR: CACHE },
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { files: Array<{ path: string; kind: string; findings: number }>; findings: Array<JsonFinding & { location: { file: string; byteOffset?: number } }> };
    const exe = report.files.find((f) => f.kind === 'executable');
    expect(exe?.findings).toBeGreaterThan(100);
    const inBinary = report.findings.filter((f) => f.location.file === exe!.path);
    expect(inBinary.every((f) => typeof f.location.byteOffset === 'number')).toBe(true);
    expect(report.findings.filter((f) => f.level === 'error')).toEqual([]);
    // Endpoints inside the binary's JavaScript are found like in a bundle.
    expect(inBinary.some((f) => f.ruleId === 'TT006')).toBe(true);
  });

  it('@openai/codex@0.169.0: a launcher whose platform packages are npm aliases; the one for this machine is native code whose LLM API URLs are found', { timeout: 600_000 }, async (ctx) => {
    const problem = await registryProblem();
    if (problem) return ctx.skip(`skipped: ${problem}`);
    const launcher = spawnSync(process.execPath, [BIN, 'scan', 'npm:@openai/codex@0.169.0', '--format', 'json'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TELLTALE_CACHE_DIR: CACHE } });
    expect(launcher.status, launcher.stderr).toBe(0);
    const note = (JSON.parse(launcher.stdout) as { notes: string[] }).notes.find((n) => n.includes('platform packages'));
    // The alias targets, which npm pack can fetch: no package is called @openai/codex-linux-x64.
    expect(note).toContain('@openai/codex@0.169.0-linux-x64');
    const here = /telltale scan (npm:\S+)$/.exec(note ?? '')?.[1];
    if (!here) return ctx.skip('skipped: Codex 0.169.0 publishes no build for this machine');
    const r = spawnSync(process.execPath, [BIN, 'scan', here, '--format', 'json'], { encoding: 'utf8', timeout: 580_000, maxBuffer: 1 << 28, env: { ...process.env, TELLTALE_CACHE_DIR: CACHE } });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { findings: Array<JsonFinding & { location: { byteOffset?: number } }> };
    // Compiled Rust keeps its string constants back to back: `…responseshttps://api.openai.com/v1…`.
    const api = report.findings.find((f) => f.ruleId === 'TT006' && f.facts.host === 'api.openai.com');
    expect(api?.facts).toMatchObject({ class: 'llm-api', native: true });
    expect(api?.location.byteOffset).toBeGreaterThan(0);
    expect(report.findings.filter((f) => f.level === 'error')).toEqual([]);
  });
});
