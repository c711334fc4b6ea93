/**
 * Audit records as OpenTelemetry log records, OTLP/JSON encoding (the body of an
 * `ExportLogsServiceRequest`, as POSTed to `/v1/logs`): one resource (`service.name`
 * = telltale), one scope, one LogRecord per audit record. Attribute names follow the
 * OpenTelemetry semantic conventions where one exists (http.*, url.*, server.*,
 * user_agent.*, gen_ai.*), `telltale.*` otherwise. Bodies are not exported.
 */
import type { AuditRecord } from './record.js';
import { VERSION } from '../cli/version.js';

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } };

interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: AnyValue;
  attributes: KeyValue[];
}

export interface OtlpLogsRequest {
  resourceLogs: {
    resource: { attributes: KeyValue[] };
    scopeLogs: { scope: { name: string; version: string }; logRecords: OtlpLogRecord[] }[];
  }[];
}

function attr(key: string, value: string | number | boolean | string[] | null | undefined): KeyValue | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return { key, value: { arrayValue: { values: value.map((v) => ({ stringValue: v })) } } };
  if (typeof value === 'boolean') return { key, value: { boolValue: value } };
  if (typeof value === 'number') return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
  return { key, value: { stringValue: value } };
}

function severity(r: AuditRecord): { n: number; text: string } {
  if (r.action === 'block' || r.action === 'deny') return { n: 13, text: 'WARN' };
  if (r.outcome !== 'completed' && r.outcome !== 'tunnel-closed' && r.outcome !== 'pending') return { n: 17, text: 'ERROR' };
  if (r.findings.length) return { n: 13, text: 'WARN' };
  return { n: 9, text: 'INFO' };
}

function summary(r: AuditRecord): string {
  const target = r.kind === 'request' ? `${r.method} ${r.path}` : `${r.method} ${r.upstream ?? ''}`;
  const findings = r.findings.length ? `; ${r.findings.length} finding(s): ${[...new Set(r.findings.map((f) => f.type))].join(', ')}` : '';
  return `${target} → ${r.status ?? '-'} ${r.outcome} (action ${r.action})${findings}`;
}

export function toOtlpLogRecord(r: AuditRecord): OtlpLogRecord {
  const nanos = `${BigInt(r.timeMs) * 1_000_000n}`;
  const sev = severity(r);
  const attributes = [
    attr('telltale.record.id', r.id),
    attr('telltale.record.kind', r.kind),
    attr('telltale.action', r.action),
    attr('telltale.outcome', r.outcome),
    attr('telltale.route', r.route),
    attr('http.request.method', r.method),
    attr('url.path', r.kind === 'request' ? r.path.split('?')[0] : null),
    attr('url.full', r.kind === 'request' && r.upstream ? r.upstream + r.path : null),
    attr('server.address', r.host ?? (r.upstream ? safeHost(r.upstream) : null)),
    attr('server.port', r.port),
    attr('http.response.status_code', r.status),
    attr('user_agent.original', r.agent),
    attr('gen_ai.request.model', r.model),
    attr('telltale.stream', r.stream),
    attr('telltale.latency_ms', r.latencyMs),
    attr('telltale.overhead_ms', r.overheadMs),
    attr('http.request.body.size', r.bytesIn),
    attr('http.response.body.size', r.bytesOut),
    attr('telltale.findings.count', r.findings.length),
    attr('telltale.findings.types', [...new Set(r.findings.map((f) => f.type))]),
    attr('telltale.findings.pointers', r.findings.map((f) => f.pointer).slice(0, 50)),
    attr('telltale.findings.code_points', [...new Set(r.findings.flatMap((f) => f.codePoints ?? []))]),
    attr('telltale.findings.secret_types', [...new Set(r.findings.flatMap((f) => (f.secretType ? [f.secretType] : [])))]),
    attr('error.type', r.error ? r.outcome : null),
    attr('telltale.error', r.error),
  ].filter((a): a is KeyValue => a !== null);
  return {
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    severityNumber: sev.n,
    severityText: sev.text,
    eventName: r.kind === 'request' ? 'telltale.guard.request' : 'telltale.guard.egress',
    body: { stringValue: summary(r) },
    attributes,
  };
}

function safeHost(upstream: string): string {
  try {
    return new URL(upstream).hostname;
  } catch {
    return upstream.split(':')[0] ?? upstream;
  }
}

export function toOtlpRequest(records: readonly AuditRecord[]): OtlpLogsRequest {
  return {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', 'telltale')!, attr('service.version', VERSION)!] },
        scopeLogs: [{ scope: { name: 'telltale.guard', version: VERSION }, logRecords: records.map(toOtlpLogRecord) }],
      },
    ],
  };
}
