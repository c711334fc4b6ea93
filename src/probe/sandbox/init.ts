/**
 * The first process inside the probe sandbox (run by `unshare` in fresh network,
 * mount, UTS and PID namespaces). It
 *   1. brings up loopback — the namespace has no other interface, so no network;
 *   2. masks the host's /run, /tmp, home directories (empty tmpfs) and binds the
 *      run's throwaway HOME at a fixed path, so every run sees the same paths;
 *   3. points name resolution at itself: /etc/resolv.conf → a tiny DNS responder
 *      on 127.0.0.1:53 that answers every name with 127.0.0.1 (and reports it);
 *   4. installs the probe's CA in the system bundle;
 *   5. relays TCP 127.0.0.1:{80,443,proxy ports…} to the capture server's unix
 *      socket outside (unix sockets cross network namespaces);
 *   6. sets the hostname, runs the agent (as `nobody` when we are real root) and
 *      exits with its exit code.
 * Messages for the runner go to fd 3 as JSON lines. Self-contained on purpose
 * (node: built-ins only): Node runs this file directly, as .js or .ts.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface SandboxConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Drop to this uid/gid for the agent. */
  uid?: number;
  gid?: number;
  hostname: string;
  /** Host directory holding the capture server's socket (bound at /run/telltale). */
  socketDir: string;
  socketName: string;
  /** TCP ports on 127.0.0.1 relayed to the capture server. */
  ports: number[];
  resolvConf: string;
  hosts: string;
  /** PEM appended to the system CA bundle. */
  caPem: string;
  /** Directories covered with an empty tmpfs, in order. */
  mask: string[];
  /** Files and directories hidden (credentials under homes that could not be masked whole). */
  hide: string[];
  /** Bind the run's HOME (source, on the host) at this path (inside a masked /home). */
  home?: { source: string; target: string };
}

const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];
const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

function report(message: Record<string, unknown>): void {
  try {
    writeSync(3, `${JSON.stringify(message)}\n`);
  } catch {
    // the runner went away: nothing to tell
  }
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function loopbackUp(): void {
  const ip = IP_CANDIDATES.find((p) => existsSync(p));
  if (!ip) throw new Error("'ip' (iproute2) not found: cannot bring up loopback in the network namespace");
  run(ip, ['link', 'set', 'lo', 'up']);
}

const mountTmpfs = (dir: string, mode = '755'): void => run('mount', ['-t', 'tmpfs', '-o', `mode=${mode},size=512m`, 'tmpfs', dir]);
const bind = (source: string, target: string): void => run('mount', ['--bind', source, target]);

/** Writes `content` where `path` is seen: bind over it, or (if it lives under our fresh /run) write it there. */
function placeFile(path: string, content: string, staging: string): void {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // dangling link (its target was under the host's /run): create the target
  }
  if (real.startsWith('/run/') || !existsSync(real)) {
    mkdirSync(dirname(real), { recursive: true });
    writeFileSync(real, content);
    return;
  }
  const staged = join(staging, real.replace(/\//g, '_'));
  writeFileSync(staged, content);
  bind(staged, real);
}

function prepareFilesystem(cfg: SandboxConfig): void {
  run('mount', ['--make-rprivate', '/']);
  const resolvTarget = (() => {
    try {
      return realpathSync('/etc/resolv.conf');
    } catch {
      return '/etc/resolv.conf';
    }
  })();
  const bundle = CA_BUNDLES.find((p) => existsSync(p));
  const bundleText = bundle ? readFileSync(bundle, 'utf8') : '';
  // A private /run: holds the socket directory and staged files, hides the host's.
  mountTmpfs('/run');
  const ipc = '/run/telltale';
  mkdirSync(ipc, { recursive: true });
  bind(cfg.socketDir, ipc);
  const staging = '/run/telltale-etc';
  mkdirSync(staging, { recursive: true });
  placeFile(resolvTarget.startsWith('/run/') ? resolvTarget : '/etc/resolv.conf', cfg.resolvConf, staging);
  placeFile('/etc/hosts', cfg.hosts, staging);
  if (bundle) placeFile(bundle, `${bundleText.trimEnd()}\n${cfg.caPem}`, staging);
  // The run's HOME lives under the host's /tmp: park it in /run before /tmp is masked.
  const parkedHome = '/run/telltale-home';
  if (cfg.home) {
    mkdirSync(parkedHome, { recursive: true });
    bind(cfg.home.source, parkedHome);
  }
  for (const dir of cfg.mask) if (existsSync(dir)) mountTmpfs(dir, dir === '/tmp' || dir === '/var/tmp' ? '1777' : '755');
  for (const path of cfg.hide) {
    if (!existsSync(path)) continue;
    try {
      if (statSync(path).isDirectory()) mountTmpfs(path, '700');
      else bind('/dev/null', path);
    } catch {
      // best effort: a path that cannot be hidden stays listed in the report as unmasked
    }
  }
  if (cfg.home) {
    mkdirSync(cfg.home.target, { recursive: true });
    bind(parkedHome, cfg.home.target);
    run('umount', [parkedHome]);
  }
}

function setHostname(name: string): void {
  writeFileSync('/proc/sys/kernel/hostname', name);
}

/** Answers every A query with 127.0.0.1 and everything else with an empty NOERROR; reports each name once. */
function startDns(): Promise<void> {
  const seen = new Set<string>();
  const server = createSocket('udp4');
  server.on('message', (msg, rinfo) => {
    if (msg.length < 17) return;
    let at = 12;
    const labels: string[] = [];
    while (at < msg.length && msg[at] !== 0 && labels.length < 64) {
      const len = msg[at]!;
      if (len > 63 || at + 1 + len > msg.length) return;
      labels.push(msg.subarray(at + 1, at + 1 + len).toString('latin1'));
      at += 1 + len;
    }
    at += 1;
    if (at + 4 > msg.length) return;
    const qtype = msg.readUInt16BE(at);
    const question = msg.subarray(12, at + 4);
    const name = labels.join('.').toLowerCase();
    const isA = qtype === 1;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(isA ? 1 : 0, 6);
    const answer = isA ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
    server.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
    if (name && !seen.has(name)) {
      seen.add(name);
      report({ type: 'dns', name });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.bind(53, '127.0.0.1', () => resolve());
  });
}

function startRelays(ports: number[], socketPath: string): Promise<void[]> {
  return Promise.all(
    ports.map(
      (port) =>
        new Promise<void>((resolve, reject) => {
          const server = createServer((client) => {
            const upstream = connect(socketPath);
            client.on('error', () => upstream.destroy());
            upstream.on('error', () => client.destroy());
            client.pipe(upstream).pipe(client);
          });
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => resolve());
        }),
    ),
  );
}

async function main(): Promise<void> {
  const [mode, configPath] = process.argv.slice(2);
  if (mode === '--selftest') {
    // Can this system give us what a real run needs? (Used once, to pick the isolation.)
    loopbackUp();
    mountTmpfs('/run');
    writeFileSync('/proc/sys/kernel/hostname', 'telltale-selftest');
    await startDns();
    process.exit(0);
  }
  if (mode !== '--run' || !configPath) throw new Error('usage: init --run CONFIG.json | --selftest');
  const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as SandboxConfig;
  loopbackUp();
  prepareFilesystem(cfg);
  setHostname(cfg.hostname);
  await startDns();
  await startRelays(cfg.ports, join('/run/telltale', cfg.socketName));
  report({ type: 'ready' });
  const child = spawn(cfg.command, cfg.args, {
    cwd: cfg.cwd,
    env: cfg.env,
    stdio: ['ignore', 'inherit', 'inherit'],
    ...(cfg.uid !== undefined ? { uid: cfg.uid } : {}),
    ...(cfg.gid !== undefined ? { gid: cfg.gid } : {}),
  });
  child.on('error', (error) => {
    report({ type: 'spawn-error', code: (error as NodeJS.ErrnoException).code ?? 'error', message: error.message });
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    report({ type: 'exit', code, signal });
    process.exit(code ?? 128);
  });
}

main().catch((error: unknown) => {
  report({ type: 'setup-error', message: error instanceof Error ? error.message.split('\n')[0] : String(error) });
  process.exit(125);
});
