/**
 * `telltale guard [--config telltale.yaml]`: runs the egress guard until interrupted.
 * Without --config, ./telltale.yaml is used when present, else the safe defaults.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { InputError, UsageError } from '../errors.js';
import { ConfigError } from '../../core/policy/config.js';
import { loadConfig, startGuard } from '../../guard/start.js';
import { survive, writeStderr, writeStdout } from '../../guard/stdio.js';
import { displayStoreUrl } from '../../audit/store.js';

export function configPath(option: string | undefined): string | undefined {
  if (option) return option;
  return existsSync('telltale.yaml') ? 'telltale.yaml' : undefined;
}

export function asUserError(error: unknown): unknown {
  return error instanceof ConfigError ? new InputError(error.message) : error;
}


export function registerGuard(program: Command, ctx: CliContext): void {
  program
    .command('guard')
    .description('runtime egress guard: a proxy between agents and their LLM APIs (and a forward proxy for all other egress) that records every request and logs, neutralizes, redacts or blocks per policy')
    .option('-c, --config <file>', 'telltale.yaml (default: ./telltale.yaml if present, else safe defaults)')
    .option('--listen <host:port>', 'override `listen` from the config')
    .option('-q, --quiet', 'no per-request log lines')
    .option('--intercept', 'decrypt CONNECTs to the routes\' https upstreams with a local CA (tls.intercept); prints the CA file agents must trust')
    .action(async (opts: { config?: string; listen?: string; quiet?: boolean; intercept?: boolean }) => {
      let config;
      try {
        config = loadConfig(configPath(opts.config));
      } catch (error) {
        throw asUserError(error);
      }
      if (opts.intercept) config = { ...config, tls: { ...config.tls, intercept: true } };
      let host: string | undefined;
      let port: number | undefined;
      if (opts.listen) {
        const m = /^(.+):(\d{1,5})$/.exec(opts.listen);
        if (!m) throw new UsageError(`--listen must be HOST:PORT, not '${opts.listen}'`);
        host = m[1]!.replace(/^\[|\]$/g, '');
        port = Number(m[2]);
      }
      const log = (line: string) => writeStderr(`telltale guard: ${line}\n`);
      let running;
      try {
        running = await startGuard({ config, log: opts.quiet ? () => {} : log, ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}) });
      } catch (error) {
        throw asUserError(error);
      }
      survive(log);
      const routes = config.routes.map((r) => `${r.prefix} → ${r.upstream} (${r.api})`).join(', ');
      writeStderr(`telltale guard: listening on ${running.url} — routes: ${routes}; egress ${config.egress.default} except ${config.egress.allow.length} allowed; audit ${displayStoreUrl(config.audit.store)}\n`);
      const ca = running.interceptCa;
      if (ca) {
        writeStderr(
          `telltale guard: TLS interception on for ${ca.hosts.join(', ')} with the CA ${ca.certFile}${ca.created ? ' (new)' : ''}; ` +
            `trust it for the agent only: NODE_EXTRA_CA_CERTS=${ca.certFile} (Node, Bun), SSL_CERT_FILE / REQUESTS_CA_BUNDLE (others; a bundle with the system CAs, as telltale run writes) — never system-wide\n`,
        );
      }
      // Machine-readable line for scripts and tests.
      writeStdout(`${JSON.stringify({ listening: running.url, port: running.address.port, ...(ca ? { caFile: ca.certFile } : {}) })}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.stop();
      ctx.exitCode = 0;
    });
}
