/**
 * Fallback when no namespace sandbox is available: a Node preload (loaded with
 * NODE_OPTIONS=--import) that sends every TCP connection of a Node agent to the
 * capture server and resolves every name to 127.0.0.1. The agent keeps its own
 * idea of the host (Host header, TLS server name), so the base-URL host still
 * is what it believes. Limits: only Node agents (and their Node children) are
 * covered; code that removes the hook, or a native agent, is not contained —
 * which is why this mode is reported as "not isolated".
 */

/** Source of the preload module for a capture server on 127.0.0.1:`port`. */
export function preloadSource(port: number): string {
  return `// telltale probe: route this process's network connections to the local capture server.
import net from 'node:net';
import dns from 'node:dns';
const PORT = ${JSON.stringify(port)};
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = args[0];
  if (Array.isArray(first)) return originalConnect.apply(this, args);
  if (first !== null && typeof first === 'object') {
    if (typeof first.path === 'string' && first.port === undefined) return originalConnect.apply(this, args);
    const options = { ...first, host: '127.0.0.1', port: PORT };
    delete options.lookup;
    delete options.autoSelectFamily;
    return originalConnect.call(this, options, ...args.slice(1));
  }
  if (typeof first === 'string' && !/^\\d+$/.test(first)) return originalConnect.apply(this, args);
  const callback = args.find((a) => typeof a === 'function');
  return originalConnect.call(this, { host: '127.0.0.1', port: PORT }, ...(callback ? [callback] : []));
};
const answer = (hostname, options, callback) => {
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
};
dns.lookup = answer;
dns.promises.lookup = async (hostname, options) =>
  typeof options === 'object' && options !== null && options.all ? [{ address: '127.0.0.1', family: 4 }] : { address: '127.0.0.1', family: 4 };
`;
}
