/**
 * Which isolation this machine allows. Linux namespaces via `unshare`
 * (util-linux): network (nothing but loopback), mount (private /run, /tmp,
 * homes), UTS (hostname) and PID (every process of the run dies with it); as a
 * non-root user through a user namespace. Tried once with a self-test of the
 * sandbox init; otherwise the probe falls back to no isolation and says why.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type IsolationMode = 'namespaces' | 'none';

export interface Isolation {
  mode: IsolationMode;
  /** One line for the report: what is in force, or why not. */
  description: string;
  /** For `namespaces`: the unshare binary and its flags. */
  unshare?: { path: string; args: string[] };
}

/** The sandbox init script next to this file: compiled (.js) or source (.ts, run by Node's type stripping). */
export function initScriptPath(): string {
  const js = fileURLToPath(new URL('./init.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./init.ts', import.meta.url));
}

export function findExecutable(name: string, pathVar = process.env.PATH ?? ''): string | null {
  if (name.includes('/')) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      return null;
    }
  }
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

function selftest(unshare: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(unshare, [...args, '--', process.execPath, initScriptPath(), '--selftest'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const fd3 = child.stdio[3] as NodeJS.ReadableStream | null;
    fd3?.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(null);
      else {
        const setup = /"message":"([^"]*)"/.exec(err)?.[1];
        resolve(setup ?? (err.trim().split('\n').at(-1) || `self-test exited with code ${code}`));
      }
    });
  });
}

let cached: Isolation | undefined;

export async function detectIsolation(): Promise<Isolation> {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    cached = { mode: 'none', description: `not isolated: namespaces need Linux (this is ${process.platform})` };
    return cached;
  }
  const unshare = findExecutable('unshare', `${process.env.PATH ?? ''}${delimiter}/usr/bin${delimiter}/bin`);
  if (!unshare) {
    cached = { mode: 'none', description: "not isolated: 'unshare' (util-linux) not found" };
    return cached;
  }
  const root = process.getuid?.() === 0;
  const args = [...(root ? [] : ['--user', '--map-root-user']), '--net', '--mount', '--uts', '--pid', '--fork', '--kill-child=SIGKILL', '--mount-proc'];
  const failure = await selftest(unshare, args);
  if (failure) {
    cached = { mode: 'none', description: `not isolated: the namespace sandbox failed its self-test (${failure})` };
    return cached;
  }
  cached = {
    mode: 'namespaces',
    description: `network, mount, UTS and PID namespaces${root ? '' : ' (inside a user namespace)'}: no network but the capture server`,
    unshare: { path: unshare, args },
  };
  return cached;
}
