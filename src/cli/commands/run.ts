/**
 * `telltale run [--config F] -- AGENT_CMD…`: starts a guard on a free loopback port,
 * runs the agent with its base-URL and proxy variables pointing at the guard, prints a
 * summary when the agent exits, and exits with the agent's exit code.
 * docs/guard.md ("Per-agent setup") lists each agent's variables.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { InputError, UsageError } from '../errors.js';
import type { GuardConfig } from '../../core/policy/config.js';
import { loadConfig, startGuard } from '../../guard/start.js';
import { writeCombinedBundle, type InterceptCa } from '../../guard/intercept-ca.js';
import type { GuardStats } from '../../guard/stats.js';
import { asUserError, configPath } from './guard.js';
import { survive, writeStderr } from '../../guard/stdio.js';
import { displayStoreUrl } from '../../audit/store.js';

/** The environment an agent needs to send everything through the guard at `url`. */
/** How long an agent may take to exit after a forwarded signal before it is killed. */
const KILL_GRACE_MS = 10_000;

/** With TLS interception: the CA certificate, and the system bundle plus it (for agents that replace the store). */
export interface AgentTrust {
  caFile: string;
  bundleFile?: string;
}

export function agentEnvironment(config: GuardConfig, url: string, trust?: AgentTrust): Record<string, string> {
  const env: Record<string, string> = {};
  const routeUrl = (prefix: string) => url + (prefix === '/' ? '' : prefix.replace(/\/$/, ''));
  for (const r of config.routes) {
    const upstreamPath = new URL(r.upstream).pathname.replace(/\/$/, '');
    if (r.api === 'anthropic' && !env.ANTHROPIC_BASE_URL) env.ANTHROPIC_BASE_URL = routeUrl(r.prefix);
    if (r.api === 'openai' && !env.OPENAI_BASE_URL) env.OPENAI_BASE_URL = routeUrl(r.prefix) + (upstreamPath.endsWith('/v1') ? '' : '/v1');
    if (r.api === 'gemini' && !env.GOOGLE_GEMINI_BASE_URL) env.GOOGLE_GEMINI_BASE_URL = routeUrl(r.prefix);
  }
  // Everything else goes through the forward proxy; only loopback (the guard) is direct.
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'ALL_PROXY', 'all_proxy']) env[name] = url;
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost,::1';
  // Node >= 22.21 / 24: make fetch() and http honour the proxy variables too.
  env.NODE_USE_ENV_PROXY = '1';
  if (trust) {
    // The interception CA is trusted by this agent only, never by the system. Node (and Bun)
    // add NODE_EXTRA_CA_CERTS to their defaults; OpenSSL, Python and curl replace their store
    // with SSL_CERT_FILE & co., so those get the system bundle plus the CA.
    env.NODE_EXTRA_CA_CERTS = trust.caFile;
    if (trust.bundleFile) env.SSL_CERT_FILE = env.REQUESTS_CA_BUNDLE = env.CURL_CA_BUNDLE = trust.bundleFile;
  }
  return env;
}

function withBundle(ca: InterceptCa): { bundleFile?: string } {
  try {
    const bundleFile = writeCombinedBundle(ca);
    return bundleFile ? { bundleFile } : {};
  } catch {
    return {};
  }
}

export function renderSummary(stats: GuardStats, audit: string): string {
  const lines: string[] = [];
  const findings = [...stats.findings.values()].reduce((a, b) => a + b, 0);
  const byType = [...stats.findings].map(([t, n]) => `${t}: ${n}`).join(', ');
  const actions = [...stats.actions].map(([a, n]) => `${a}: ${n}`).join(', ');
  lines.push(`telltale run: ${stats.requests} API request${stats.requests === 1 ? '' : 's'}, ${findings} finding${findings === 1 ? '' : 's'}${byType ? ` (${byType}; actions ${actions})` : ''}, ${stats.blocked} blocked`);
  const denied = [...stats.deniedHosts].sort((a, b) => b[1] - a[1]);
  if (denied.length) lines.push(`  egress refused: ${denied.map(([h, n]) => `${h} (${n})`).join(', ')}`);
  const allowed = [...stats.allowedHosts].sort((a, b) => b[1] - a[1]);
  if (allowed.length) lines.push(`  egress allowed: ${allowed.map(([h, n]) => `${h} (${n})`).join(', ')}`);
  if (audit !== 'none') lines.push(`  audit log: ${audit} — telltale audit list`);
  return lines.join('\n') + '\n';
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('start a guard on a free port and run an agent through it (base-URL and proxy variables set), then print a summary')
    .option('-c, --config <file>', 'telltale.yaml (default: ./telltale.yaml if present, else safe defaults)')
    .option('--agent-name <name>', 'agent name recorded when requests carry no User-Agent (default: the command name)')
    .option('--summary <format>', 'summary at exit: text, json or none', 'text')
    .option('--intercept', 'decrypt the agent\'s HTTPS to the routes\' upstreams through HTTPS_PROXY with a local CA the agent is told to trust (tls.intercept)')
    .argument('<agent...>', 'the agent command and its arguments, after --')
    .action(async (agentCmd: string[], opts: { config?: string; agentName?: string; summary: string; intercept?: boolean }) => {
      if (!['text', 'json', 'none'].includes(opts.summary)) throw new UsageError(`--summary must be text, json or none, not '${opts.summary}'`);
      const [command, ...args] = agentCmd;
      if (!command) throw new UsageError('give the agent command after --, e.g. telltale run -- claude');
      let config: GuardConfig;
      try {
        config = loadConfig(configPath(opts.config));
      } catch (error) {
        throw asUserError(error);
      }
      if (opts.intercept) config = { ...config, tls: { ...config.tls, intercept: true } };
      const log = (line: string) => {
        if (process.env.TELLTALE_DEBUG) writeStderr(`telltale guard: ${line}\n`);
      };
      let running;
      try {
        running = await startGuard({ config, host: '127.0.0.1', port: 0, agentName: opts.agentName ?? basename(command), log });
      } catch (error) {
        throw asUserError(error);
      }
      survive(log);
      const ca = running.interceptCa;
      const trust = ca ? { caFile: ca.certFile, ...withBundle(ca) } : undefined;
      const env = { ...process.env, ...agentEnvironment(config, running.url, trust) };
      const child = spawn(command, args, { stdio: 'inherit', env });
      // Signals go to the agent; telltale stays up to record its last requests. An agent
      // that ignores them is killed after a grace period, and a second signal kills it at once.
      let signalled = 0;
      let grace: NodeJS.Timeout | undefined;
      const forward = (signal: NodeJS.Signals) => () => {
        signalled++;
        if (signalled > 1) return void child.kill('SIGKILL');
        child.kill(signal);
        grace = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
        grace.unref();
      };
      const onInt = forward('SIGINT');
      const onTerm = forward('SIGTERM');
      const onHup = forward('SIGHUP');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      process.on('SIGHUP', onHup);
      const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
        child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      if (grace) clearTimeout(grace);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      await running.stop();
      if (result.error) {
        throw new InputError(`cannot run '${command}': ${result.error.code === 'ENOENT' ? 'no such command' : result.error.code ?? result.error.message}`);
      }
      const stats = running.guard.ctx.stats;
      if (opts.summary === 'text') writeStderr(renderSummary(stats, displayStoreUrl(config.audit.store)));
      else if (opts.summary === 'json') {
        writeStderr(`${JSON.stringify({
          requests: stats.requests,
          blocked: stats.blocked,
          findings: Object.fromEntries(stats.findings),
          actions: Object.fromEntries(stats.actions),
          deniedHosts: Object.fromEntries(stats.deniedHosts),
          allowedHosts: Object.fromEntries(stats.allowedHosts),
          exitCode: result.code,
        })}\n`);
      }
      const signals: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
      ctx.exitCode = result.code ?? 128 + (result.signal ? signals[result.signal] ?? 1 : 1);
    });
}
