/**
 * A PostgreSQL server for the tests of the fleet store: `TELLTALE_TEST_POSTGRES_URL` when
 * set (a server of your own; each test gets a database of its own on it), else a throwaway
 * cluster this helper creates with the machine's `initdb` (Debian: package `postgresql`)
 * in a temporary directory, listening on 127.0.0.1 and a Unix socket there. As root, the
 * server runs as the `postgres` user (PostgreSQL refuses root), through util-linux's setpriv. When neither is possible,
 * `startTestPostgres` says why, and the tests skip with that message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** A URL for a new, empty database on the server. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

function findBin(name: string): string | undefined {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', name))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0]!, 'bin', name) : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited (${server.exitCode}): ${log()}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 20 s: ${String(error)}; ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let counter = 0;

function onServer(adminUrl: string, stop: () => Promise<void>): TestPostgres {
  return {
    async newDatabase() {
      const name = `telltale_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const u = new URL(adminUrl);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop,
  };
}

export async function startTestPostgres(): Promise<TestPostgres | { skip: string }> {
  const external = process.env.TELLTALE_TEST_POSTGRES_URL;
  if (external) return onServer(external, async () => {});

  const initdb = findBin('initdb');
  const postgres = findBin('postgres');
  if (!initdb || !postgres) return { skip: 'no PostgreSQL server here (initdb not found; Debian: apt-get install postgresql), and TELLTALE_TEST_POSTGRES_URL is not set' };
  const asRoot = process.getuid?.() === 0;
  let runAs: string[] = [];
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) return { skip: 'running as root, and there is no postgres user to run the PostgreSQL server as (PostgreSQL refuses root)' };
    owner = { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
    // setpriv execs the server itself (no parent in between): signals reach it directly.
    runAs = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups'];
  }

  const dir = mkdtempSync(join(tmpdir(), 'telltale-pg-'));
  chmodSync(dir, 0o700);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  /** A command line as the server's user: [program, args]. */
  const asServerUser = (cmd: string[]): [string, string[]] => (runAs.length ? [runAs[0]!, [...runAs.slice(1), ...cmd]] : [cmd[0]!, cmd.slice(1)]);
  const init = spawnSync(...asServerUser([initdb, '-D', data, '-U', 'telltale', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']), { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `initdb failed: ${(init.stderr || init.stdout).trim().split('\n').slice(-2).join(' ')}` };
  }
  const port = await freePort();
  let log = '';
  // fsync off: the tests kill guards, never this server; what a commit guarantees on the
  // server's disk is PostgreSQL's own business.
  const server = spawn(...asServerUser([postgres, '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100']), { stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const kill = () => {
    // SIGQUIT: PostgreSQL's immediate shutdown.
    if (server.exitCode === null) server.kill('SIGQUIT');
  };
  process.once('exit', kill);
  const stop = async () => {
    kill();
    if (server.exitCode === null) await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  };
  const adminUrl = `postgres://telltale@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(adminUrl, server, () => log);
  } catch (error) {
    await stop();
    return { skip: `could not start a PostgreSQL server: ${String(error)}` };
  }
  return onServer(adminUrl, stop);
}
