/**
 * The setup every real-socket test shares: a fake upstream and a real guard process in
 * front of it, started before the tests and always torn down after (guard stopped, any
 * stray process killed, temp files and the upstream closed).
 */
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { type GuardProcess, killSpawned, routesYaml, startGuardProcess } from './guard-process.js';

export interface GuardUnderTest {
  up: FakeUpstream;
  guard: GuardProcess;
}

/**
 * Starts the fake upstream, then a guard routed to it. `extraYaml` is appended to the
 * routes (a function gets the upstream first, to configure it or read its URL).
 */
export async function startGuardWithUpstream(
  extraYaml: string | ((up: FakeUpstream) => string | Promise<string>) = '',
  args?: string[],
  env?: Record<string, string>,
): Promise<GuardUnderTest> {
  const up = await startFakeUpstream();
  const extra = typeof extraYaml === 'function' ? await extraYaml(up) : extraYaml;
  const guard = await startGuardProcess(routesYaml(up.url, extra), args, env);
  return { up, guard };
}

export async function stopGuardWithUpstream(t: Partial<GuardUnderTest> | undefined): Promise<void> {
  try {
    await t?.guard?.stop();
  } finally {
    killSpawned();
    t?.guard?.cleanup();
    await t?.up?.close();
  }
}
