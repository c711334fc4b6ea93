/**
 * TLS interception on real sockets: an agent that only honours HTTPS_PROXY opens a
 * CONNECT to its API's host; the guard answers the TLS itself with a leaf of its local
 * CA, inspects and records the decrypted requests like base-URL traffic, and forwards
 * them over a verified TLS connection to the (fake, HTTPS) upstream. Also: the CA on
 * disk (reuse, renewal, key permissions) and its name constraints.
 */
import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorityFrom, createTlsAuthority } from '../../src/capture/tls-authority.js';
import { loadOrCreateInterceptCa } from '../../src/guard/intercept-ca.js';
import { ConfigError } from '../../src/core/policy/config.js';
import { startFakeUpstream, type FakeUpstream } from './helpers/fake-upstream.js';
import { eventually, killSpawned, NODE, runCliAsync, startGuardProcess, tempDir, type GuardProcess } from './helpers/guard-process.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';

// Test data only: a fake token of GitHub's shape, planted to see it redacted inside the tunnel.
const FAKE_TOKEN = 'ghp_' + 'T3stOnlyN0tARealT0kenAbCdEfGhIjKlMn1';

/** The upstream's own CA (what a public CA is to api.anthropic.com), trusted by the guard via tls.upstreamCaFile. */
const upstreamAuthority = createTlsAuthority({ organization: 'telltale test upstream', commonName: 'test upstream CA' });

/** Server options for a certificate of `host` from `authority`. */
function serverCert(authority: { leafFor(host: string): { certPem: string; keyPem: string } }, host: string): { cert: string; key: string } {
  const leaf = authority.leafFor(host);
  return { cert: leaf.certPem, key: leaf.keyPem };
}

let up: FakeUpstream;
let guard: GuardProcess;
let caPem: string;
let work: string;
let opaque: tls.Server;
let opaquePort: number;

beforeAll(async () => {
  up = await startFakeUpstream({ tls: serverCert(upstreamAuthority, '127.0.0.1') });
  // Another allowed TLS host that is not a route: its tunnel must stay opaque.
  opaque = tls.createServer(serverCert(upstreamAuthority, '127.0.0.1'), (s) => s.end('opaque hello\n'));
  await new Promise<void>((r) => opaque.listen(0, '127.0.0.1', () => r()));
  opaquePort = (opaque.address() as net.AddressInfo).port;
  work = tempDir('telltale-intercept-');
  const upstreamCaFile = join(work, 'upstream-ca.pem');
  writeFileSync(upstreamCaFile, upstreamAuthority.caCertPem);
  guard = await startGuardProcess(`
routes:
  - prefix: /
    upstream: ${up.url}
    api: anthropic
egress:
  allow: ["127.0.0.1:${opaquePort}"]
inspect:
  secrets: redact
tls:
  intercept: true
  caDir: ${join(work, 'ca')}
  upstreamCaFile: ${upstreamCaFile}
audit:
  store: sqlite:{{DB}}
`);
  const caFile = (JSON.parse(guard.stdout().trim().split('\n')[0]!) as { caFile: string }).caFile;
  caPem = readFileSync(caFile, 'utf8');
});

afterAll(async () => {
  await guard?.stop();
  killSpawned();
  guard?.cleanup();
  await up?.close();
  opaque?.close();
});

/** CONNECT through the guard, then TLS to `port` on 127.0.0.1 trusting `ca`. */
async function tunnel(port: number, ca: string | undefined): Promise<tls.TLSSocket> {
  const req = http.request({ host: '127.0.0.1', port: guard.port, method: 'CONNECT', path: `127.0.0.1:${port}`, headers: { host: `127.0.0.1:${port}`, 'user-agent': 'intercept-test/1.0' } });
  req.end();
  const [res, socket] = (await once(req, 'connect')) as [http.IncomingMessage, net.Socket];
  expect(res.statusCode).toBe(200);
  const secure = tls.connect({ socket, host: '127.0.0.1', ...(ca ? { ca } : {}) });
  await once(secure, 'secureConnect');
  return secure;
}

/** An HTTP/1.1 request over an established TLS socket. */
async function httpOver(secure: tls.TLSSocket, path: string, body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; chunks: string[] }> {
  const req = http.request({
    createConnection: () => secure,
    method: 'POST',
    path,
    headers: { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': 'sk-test-not-a-real-key', 'user-agent': 'intercept-test/1.0' },
  });
  req.end(body);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const chunks: string[] = [];
  res.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  await once(res, 'end');
  return { status: res.statusCode ?? 0, headers: res.headers, chunks };
}

describe('TLS interception', () => {
  it('decrypts a CONNECT to a route upstream, inspects and redacts, forwards over verified TLS, and records both', async () => {
    const secure = await tunnel(up.port, caPem);
    // The certificate the agent sees is the guard's, for the host it asked for.
    expect(secure.getPeerCertificate().issuer.O).toBe('telltale guard (local interception)');
    const before = up.received.length;
    const body = JSON.stringify({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: `deploy with ${FAKE_TOKEN} please` }] });
    const reply = await httpOver(secure, '/v1/messages', body);
    secure.destroy();
    expect(reply.status).toBe(200);
    expect(reply.headers['x-fake-upstream']).toBe('1');
    expect(reply.headers['x-telltale-overhead-ms']).toBeDefined();
    const sent = up.received[before]!;
    expect(sent.url).toBe('/v1/messages');
    expect(sent.headers.host).toBe(`127.0.0.1:${up.port}`);
    expect(sent.body.toString()).not.toContain(FAKE_TOKEN);
    expect(sent.body.toString()).toContain('REDACTED');

    const request = await eventually(() => guard.records().find((r) => r.kind === 'request' && r.outcome === 'completed' && r.findings.some((f) => f.type === 'secret')));
    expect(request.action).toBe('redact');
    expect(request.upstream).toBe(up.url);
    expect(request.agent).toBe('intercept-test/1.0');
    const connect = await eventually(() => guard.records().find((r) => r.kind === 'connect' && r.port === up.port && r.outcome === 'tunnel-closed'));
    expect(connect.action).toBe('intercept');
    expect(connect.error).toBeNull();
    // Nothing of the token anywhere in the log.
    expect(JSON.stringify(guard.records())).not.toContain(FAKE_TOKEN);
  });

  it('passes a streamed response through chunk by chunk', async () => {
    up.eventGapMs = 40;
    try {
      const secure = await tunnel(up.port, caPem);
      const reply = await httpOver(secure, '/v1/messages', JSON.stringify({ model: 'claude-test', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
      secure.destroy();
      expect(reply.headers['content-type']).toBe('text/event-stream');
      const text = reply.chunks.join('');
      expect(text).toContain('event: message_start');
      expect(text).toContain('event: message_stop');
      // Events 40 ms apart arrive as they are sent, not as one buffered body.
      expect(reply.chunks.length).toBeGreaterThan(3);
    } finally {
      up.eventGapMs = 0;
    }
  });

  it('records a failed handshake when the agent does not trust the CA', async () => {
    const req = http.request({ host: '127.0.0.1', port: guard.port, method: 'CONNECT', path: `127.0.0.1:${up.port}`, headers: { host: `127.0.0.1:${up.port}`, 'user-agent': 'pinning-agent/2.0' } });
    req.end();
    const [, socket] = (await once(req, 'connect')) as [http.IncomingMessage, net.Socket];
    const secure = tls.connect({ socket, host: '127.0.0.1', ca: upstreamAuthority.caCertPem });
    const [error] = (await once(secure, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toMatch(/CERT|SIGNATURE|VERIFY/);
    const connect = await eventually(() => guard.records().find((r) => r.kind === 'connect' && r.agent === 'pinning-agent/2.0' && r.outcome !== 'pending'));
    expect(connect.action).toBe('intercept');
    expect(connect.outcome).toBe('client-aborted');
    expect(connect.error).toMatch(/TLS handshake with the agent failed/);
  });

  it('leaves tunnels to other allowed hosts opaque', async () => {
    // Only the host's real certificate (from the upstream CA) verifies: the guard is not in the middle.
    const secure = await tunnel(opaquePort, upstreamAuthority.caCertPem);
    const [line] = (await once(secure, 'data')) as [Buffer];
    secure.destroy();
    expect(line.toString()).toBe('opaque hello\n');
    const connect = await eventually(() => guard.records().find((r) => r.kind === 'connect' && r.port === opaquePort));
    expect(connect.action).toBe('allow');
  });
});

// An agent that ignores base URLs: it speaks HTTPS to its API host through HTTPS_PROXY,
// trusting what NODE_EXTRA_CA_CERTS names (as Node does), and reports what it got.
const PROXY_ONLY_AGENT = `
import http from 'node:http';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
const target = process.argv[2];
const proxy = new URL(process.env.HTTPS_PROXY);
const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target });
req.end();
req.on('connect', (res, socket) => {
  const secure = tls.connect({ socket, host: '127.0.0.1', ca: readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') }, () => {
    const body = JSON.stringify({ model: 'claude-test', max_tokens: 5, messages: [{ role: 'user', content: 'hello through the tunnel' }] });
    const api = http.request({ createConnection: () => secure, method: 'POST', path: '/v1/messages', headers: { host: target, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'proxy-only-agent/1.0' } }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => { console.log('STATUS ' + r.statusCode + ' ' + JSON.parse(text).type); secure.destroy(); process.exit(0); });
    });
    api.end(body);
  });
  secure.on('error', (e) => { console.log('TLS ' + e.code); process.exit(3); });
});
`;

describe('telltale run --intercept', () => {
  it('gives the agent the CA to trust and records its decrypted requests', async () => {
    const dir = tempDir('telltale-run-intercept-');
    writeFileSync(join(dir, 'agent.mjs'), PROXY_ONLY_AGENT);
    writeFileSync(join(dir, 'upstream-ca.pem'), upstreamAuthority.caCertPem);
    writeFileSync(
      join(dir, 'telltale.yaml'),
      `routes:\n  - prefix: /\n    upstream: ${up.url}\n    api: anthropic\ntls:\n  caDir: ${join(dir, 'ca')}\n  upstreamCaFile: ${join(dir, 'upstream-ca.pem')}\naudit:\n  store: sqlite:${join(dir, 'audit.db')}\n`,
    );
    const r = await runCliAsync(['run', '--intercept', '--config', 'telltale.yaml', '--', NODE, 'agent.mjs', `127.0.0.1:${up.port}`], { cwd: dir, timeoutMs: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toContain('STATUS 200 message');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/1 API request/);
    const store = new SqliteAuditStore(join(dir, 'audit.db'), { body: { mode: 'redacted', maxFieldChars: 65536 }, fsync: 'normal', readOnly: true });
    try {
      const records = store.list({ order: 'asc' });
      expect(records.find((x) => x.kind === 'connect')?.action).toBe('intercept');
      const request = records.find((x) => x.kind === 'request')!;
      expect(request.agent).toBe('proxy-only-agent/1.0');
      expect(request.path).toBe('/v1/messages');
    } finally {
      store.close();
    }
  });
});

describe('interception CA', () => {
  it('is created once with a private key, reused, and replaced when the hosts change', () => {
    const dir = join(tempDir('telltale-ca-'), 'ca');
    const first = loadOrCreateInterceptCa(dir, ['api.anthropic.com', 'API.openai.com']);
    expect(first.created).toBe(true);
    expect(first.hosts).toEqual(['api.anthropic.com', 'api.openai.com']);
    expect(statSync(join(dir, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    const again = loadOrCreateInterceptCa(dir, ['api.openai.com', 'api.anthropic.com']);
    expect(again.created).toBe(false);
    expect(again.authority.caCertPem).toBe(first.authority.caCertPem);
    const other = loadOrCreateInterceptCa(dir, ['api.anthropic.com']);
    expect(other.created).toBe(true);
    expect(other.authority.caCertPem).not.toBe(first.authority.caCertPem);
  });

  it('is renewed a month before it expires', () => {
    const dir = join(tempDir('telltale-ca-'), 'ca');
    const old = loadOrCreateInterceptCa(dir, ['api.anthropic.com'], new Date(Date.now() - 340 * 86_400_000));
    const now = loadOrCreateInterceptCa(dir, ['api.anthropic.com']);
    expect(now.created).toBe(true);
    expect(now.authority.caCertPem).not.toBe(old.authority.caCertPem);
  });

  it('refuses a private key other users can read', () => {
    const dir = join(tempDir('telltale-ca-'), 'ca');
    loadOrCreateInterceptCa(dir, ['api.anthropic.com']);
    chmodSync(join(dir, 'ca-key.pem'), 0o644);
    expect(() => loadOrCreateInterceptCa(dir, ['api.anthropic.com'])).toThrow(ConfigError);
    expect(() => loadOrCreateInterceptCa(dir, ['api.anthropic.com'])).toThrow(/chmod 600/);
  });

  it('cannot vouch for hosts outside its name constraints', async () => {
    const dir = join(tempDir('telltale-ca-'), 'ca');
    mkdirSync(dir, { recursive: true });
    const ca = loadOrCreateInterceptCa(dir, ['permitted.test', '127.0.0.1']);
    // Mint leaves directly with the CA key, as an attacker holding the key would.
    const authority = authorityFrom({ caCertPem: ca.authority.caCertPem, caKeyPem: readFileSync(join(dir, 'ca-key.pem'), 'utf8') });
    const handshake = async (host: string): Promise<string> => {
      const server = tls.createServer(serverCert(authority, host), (s) => s.end('ok'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const client = tls.connect({ port, host: '127.0.0.1', servername: net.isIP(host) ? undefined : host, ca: ca.authority.caCertPem, checkServerIdentity: () => undefined });
        const result = await new Promise<string>((resolve) => {
          client.once('secureConnect', () => resolve('trusted'));
          client.once('error', (e: NodeJS.ErrnoException) => resolve(`${e.code ?? ''} ${e.message}`));
        });
        client.destroy();
        return result;
      } finally {
        server.close();
      }
    };
    expect(await handshake('permitted.test')).toBe('trusted');
    expect(await handshake('127.0.0.1')).toBe('trusted');
    expect(await handshake('api.example.com')).toMatch(/permitted subtree violation/);
    expect(await handshake('10.0.0.1')).toMatch(/permitted subtree violation/);
  });
});
