/**
 * The guard's interception CA, persisted so an agent trusts it across runs: created
 * once in the CA directory (default `$XDG_CONFIG_HOME/telltale/ca`, else
 * `~/.config/telltale/ca`), name-constrained to the hosts the guard intercepts, valid
 * one year. A new CA replaces it when the host set changes or it is about to expire
 * (agents started by `telltale run` pick up the new file by themselves).
 *
 * Files: `ca.pem` (certificate, what the agent trusts), `ca-key.pem` (private key,
 * mode 0600; refused if group- or world-readable), `ca.json` (hosts and validity).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { authorityFrom, createAuthorityMaterial, type TlsAuthority } from '../capture/tls-authority.js';
import { ConfigError } from '../core/policy/config.js';

export interface InterceptCa {
  authority: TlsAuthority;
  dir: string;
  /** The CA certificate file to hand to agents (NODE_EXTRA_CA_CERTS). */
  certFile: string;
  hosts: string[];
  /** True when this call made a new CA (first use, new host set, near expiry). */
  created: boolean;
}

const CA_VALIDITY_DAYS = 365;
/** The organization named in the CA's subject and in the subject of every leaf it signs. */
const CA_ORGANIZATION = 'telltale guard (local interception)';
const RENEW_BEFORE_MS = 30 * 86_400_000;

export function defaultCaDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'telltale', 'ca');
}

/** `~/x` → the home directory's x; other paths resolved against the working directory. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(2)) : resolve(path);
}

interface Metadata {
  hosts: string[];
  notAfter: string;
  created: string;
}

function writeAtomically(path: string, text: string, mode: number): void {
  // Write beside, then rename: a reader never sees half a key, and two guards starting
  // at once each leave a complete file.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function loadOrCreateInterceptCa(dir: string, hosts: readonly string[], now = new Date()): InterceptCa {
  const wanted = [...new Set(hosts.map((h) => h.toLowerCase()))].sort();
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  const metaFile = join(dir, 'ca.json');
  if (existsSync(keyFile) && existsSync(certFile) && existsSync(metaFile)) {
    const mode = statSync(keyFile).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new ConfigError(`${keyFile} is readable by other users (mode ${mode.toString(8)}); run chmod 600 ${keyFile}, or delete the directory to make a new CA`);
    }
    let meta: Metadata | undefined;
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Metadata;
    } catch {
      meta = undefined;
    }
    const sameHosts = meta !== undefined && Array.isArray(meta.hosts) && meta.hosts.join('\n') === wanted.join('\n');
    const fresh = meta !== undefined && Date.parse(meta.notAfter) - now.getTime() > RENEW_BEFORE_MS;
    if (sameHosts && fresh) {
      const material = { caCertPem: readFileSync(certFile, 'utf8'), caKeyPem: readFileSync(keyFile, 'utf8') };
      return { authority: authorityFrom(material, CA_ORGANIZATION), dir, certFile, hosts: wanted, created: false };
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const material = createAuthorityMaterial({
    organization: CA_ORGANIZATION,
    commonName: `telltale guard CA for ${wanted.length} host${wanted.length === 1 ? '' : 's'}`,
    permittedHosts: wanted,
    validityDays: CA_VALIDITY_DAYS,
    now,
  });
  writeAtomically(keyFile, material.caKeyPem, 0o600);
  writeAtomically(certFile, material.caCertPem, 0o644);
  const meta: Metadata = { hosts: wanted, notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * 86_400_000).toISOString(), created: now.toISOString() };
  writeAtomically(metaFile, JSON.stringify(meta, null, 2) + '\n', 0o644);
  return { authority: authorityFrom(material, CA_ORGANIZATION), dir, certFile, hosts: wanted, created: true };
}

/** System CA bundles, first found is used for the combined bundle given to non-Node agents. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/ssl/ca-bundle.pem'];

/**
 * The system bundle plus the interception CA, written beside it (`bundle.pem`), for
 * agents that read SSL_CERT_FILE / REQUESTS_CA_BUNDLE (they replace, not extend, the
 * system store). Undefined when no system bundle is found.
 */
export function writeCombinedBundle(ca: InterceptCa): string | undefined {
  const system = SYSTEM_BUNDLES.find((p) => existsSync(p));
  if (!system) return undefined;
  const file = join(ca.dir, 'bundle.pem');
  writeAtomically(file, `${readFileSync(system, 'utf8').trimEnd()}\n${ca.authority.caCertPem}`, 0o644);
  return file;
}
