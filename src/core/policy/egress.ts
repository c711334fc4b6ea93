/**
 * Egress policy for the forward proxy: which host:port an agent may reach. Patterns are
 * exact host names or `*.example.com` (any subdomain, not the apex), optionally with
 * `:PORT`. Deny patterns win over allow patterns. Pure.
 */
import type { GuardConfig } from './config.js';

export interface EgressPolicy {
  defaultAction: 'deny' | 'allow';
  allow: string[];
  deny: string[];
}

export function egressPolicy(config: GuardConfig): EgressPolicy {
  // The configured upstreams are always reachable: the agent talks to them anyway.
  const upstreamHosts = config.routes.map((r) => new URL(r.upstream).hostname);
  return {
    defaultAction: config.egress.default,
    allow: [...new Set([...config.egress.allow, ...upstreamHosts])],
    deny: config.egress.deny,
  };
}

export function hostMatches(pattern: string, host: string, port: number): boolean {
  let hostPattern = pattern.toLowerCase();
  const colon = hostPattern.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(hostPattern.slice(colon + 1))) {
    if (Number(hostPattern.slice(colon + 1)) !== port) return false;
    hostPattern = hostPattern.slice(0, colon);
  }
  const h = host.toLowerCase().replace(/\.$/, '');
  if (hostPattern === '*') return true;
  if (hostPattern.startsWith('*.')) return h.endsWith(hostPattern.slice(1)) && h.length > hostPattern.length - 1;
  return h === hostPattern;
}

export type EgressDecision = { allowed: true; rule: string } | { allowed: false; rule: string };

export function decideEgress(policy: EgressPolicy, host: string, port: number): EgressDecision {
  const denied = policy.deny.find((p) => hostMatches(p, host, port));
  if (denied) return { allowed: false, rule: `egress.deny ${denied}` };
  const allowed = policy.allow.find((p) => hostMatches(p, host, port));
  if (allowed) return { allowed: true, rule: `egress.allow ${allowed}` };
  return policy.defaultAction === 'allow'
    ? { allowed: true, rule: 'egress.default allow' }
    : { allowed: false, rule: 'egress.default deny' };
}
