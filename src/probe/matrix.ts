/**
 * The probe matrix: environment factors, each with a baseline value and the
 * values to try. Built-in matrices (`default`, `quick`) and the YAML schema of
 * `--matrix FILE` (documented in docs/probe.md), validated at the edge.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export type FactorRole = 'timezone' | 'locale' | 'proxy' | 'api-host' | 'hostname' | 'custom';

export interface FactorValue {
  /** Short name shown in reports (`Asia/Shanghai`, `deepseek`). */
  label: string;
  /** Variables to set (string) or unset (null). */
  env: Record<string, string | null>;
  /** Kernel hostname (inside the sandbox) and HOSTNAME. */
  hostname?: string;
}

export interface Factor {
  name: string;
  role: FactorRole;
  baseline: FactorValue;
  values: FactorValue[];
}

export interface Matrix {
  name: string;
  factors: Factor[];
  /** `pairwise`: also run a covering array of every pair of non-baseline values. */
  interactions: 'pairwise' | 'none';
  repeat: number;
  /** Variables set in every run. */
  env: Record<string, string>;
}

const value = (label: string, env: Record<string, string | null>, hostname?: string): FactorValue =>
  hostname === undefined ? { label, env } : { label, env, hostname };

const inVars = (vars: string[], v: string | null, label = v ?? 'unset'): FactorValue =>
  value(label, Object.fromEntries(vars.map((name) => [name, v])));

const TZ_VARS = ['TZ'];
const LOCALE_VARS = ['LANG', 'LC_ALL'];
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];
const BASE_URL_VARS = ['ANTHROPIC_BASE_URL', 'OPENAI_BASE_URL'];

function proxyValue(label: string, url: string | null): FactorValue {
  const env: Record<string, string | null> = Object.fromEntries(PROXY_VARS.map((v) => [v, url]));
  env.NO_PROXY = url ? 'localhost,127.0.0.1' : null;
  env.no_proxy = url ? 'localhost,127.0.0.1' : null;
  return value(label, env);
}

function apiHost(label: string, anthropic: string | null, openai: string | null): FactorValue {
  return value(label, { ANTHROPIC_BASE_URL: anthropic, OPENAI_BASE_URL: openai });
}

const hostnameValue = (name: string): FactorValue => value(name, { HOSTNAME: name }, name);

/** Regions an agent vendor is most likely to single out, and neutral controls (marked). */
const TIMEZONES = {
  // China (mainland, Xinjiang, Hong Kong), Russia, Iran, North Korea; Cuba and Belarus for the
  // other export-restricted regions. Aliases (Asia/Chongqing, PRC) are left to --matrix files:
  // every value here costs a run per API host in the pairwise phase.
  targeted: ['Asia/Shanghai', 'Asia/Urumqi', 'Asia/Hong_Kong', 'Europe/Moscow', 'Asia/Tehran', 'Asia/Pyongyang', 'America/Havana', 'Europe/Minsk'],
  controls: ['UTC', 'Europe/Berlin'],
};

const LOCALES = {
  targeted: ['zh_CN.UTF-8', 'zh_HK.UTF-8', 'zh_TW.UTF-8', 'ru_RU.UTF-8', 'fa_IR.UTF-8', 'ko_KP.UTF-8'],
  controls: ['de_DE.UTF-8', 'ja_JP.UTF-8'],
};

/** API hosts of non-US model providers and resellers/gateways, and a neutral corporate gateway (control). */
const API_HOSTS: FactorValue[] = [
  apiHost('deepseek', 'https://api.deepseek.com/anthropic', 'https://api.deepseek.com/v1'),
  apiHost('moonshot', 'https://api.moonshot.cn/anthropic', 'https://api.moonshot.cn/v1'),
  apiHost('zhipu', 'https://open.bigmodel.cn/api/anthropic', 'https://open.bigmodel.cn/api/paas/v4'),
  apiHost('dashscope', 'https://dashscope.aliyuncs.com/apps/anthropic', 'https://dashscope.aliyuncs.com/compatible-mode/v1'),
  apiHost('minimax', 'https://api.minimaxi.com/anthropic', 'https://api.minimaxi.com/v1'),
  apiHost('openrouter', 'https://openrouter.ai/api', 'https://openrouter.ai/api/v1'),
  apiHost('relay-chatanywhere', 'https://api.chatanywhere.tech', 'https://api.chatanywhere.tech/v1'),
  apiHost('relay-one-api', 'http://oneapi.corp.example.cn:3000', 'http://oneapi.corp.example.cn:3000/v1'),
  apiHost('control-gateway', 'https://llm-gateway.corp.example.com/anthropic', 'https://llm-gateway.corp.example.com/v1'),
];

const BASELINE_ENV: Record<string, string> = {
  ANTHROPIC_API_KEY: 'sk-ant-api03-telltale-probe-not-a-real-key-0000000000000000000000000000',
  OPENAI_API_KEY: 'sk-telltale-probe-not-a-real-key-000000000000000000000000',
};

function defaultFactors(): Factor[] {
  return [
    {
      name: 'tz',
      role: 'timezone',
      baseline: inVars(TZ_VARS, 'America/Los_Angeles'),
      values: [...TIMEZONES.targeted, ...TIMEZONES.controls].map((tz) => inVars(TZ_VARS, tz)),
    },
    {
      name: 'locale',
      role: 'locale',
      baseline: inVars(LOCALE_VARS, 'en_US.UTF-8'),
      values: [...LOCALES.targeted, ...LOCALES.controls].map((l) => inVars(LOCALE_VARS, l)),
    },
    {
      name: 'proxy',
      role: 'proxy',
      baseline: proxyValue('unset', null),
      values: [proxyValue('clash-7890', 'http://127.0.0.1:7890'), proxyValue('corporate', 'http://proxy.corp.example.com:3128')],
    },
    { name: 'apiHost', role: 'api-host', baseline: apiHost('official', null, null), values: API_HOSTS },
    {
      name: 'hostname',
      role: 'hostname',
      baseline: hostnameValue('devbox'),
      values: ['ws-0142.alibaba-inc.com', 'devbox.bytedance.net', 'ws-0142.corp.example.com'].map(hostnameValue),
    },
  ];
}

export function builtinMatrix(name: string): Matrix | null {
  if (name === 'default') return { name, factors: defaultFactors(), interactions: 'pairwise', repeat: 1, env: { ...BASELINE_ENV } };
  if (name === 'quick') {
    const pick = (f: Factor, labels: string[]): Factor => ({ ...f, values: f.values.filter((v) => labels.includes(v.label)) });
    const [tz, locale, proxy, host] = defaultFactors();
    return {
      name,
      factors: [
        pick(tz!, ['Asia/Shanghai', 'Asia/Urumqi', 'Europe/Moscow', 'Europe/Berlin']),
        pick(locale!, ['zh_CN.UTF-8']),
        pick(proxy!, ['clash-7890']),
        pick(host!, ['deepseek', 'moonshot', 'openrouter']),
      ],
      interactions: 'pairwise',
      repeat: 1,
      env: { ...BASELINE_ENV },
    };
  }
  if (name === 'none') return { name, factors: [], interactions: 'pairwise', repeat: 1, env: { ...BASELINE_ENV } };
  return null;
}

// --- YAML ------------------------------------------------------------------------------------

const valueSchema = z.union([
  z.string(),
  z.null(),
  z.object({
    label: z.string().min(1),
    env: z.record(z.string(), z.union([z.string(), z.null()])).default({}),
    hostname: z.string().min(1).optional(),
  }),
]);

const factorSchema = z
  .object({
    role: z.enum(['timezone', 'locale', 'proxy', 'api-host', 'hostname', 'custom']).optional(),
    vars: z.union([z.string(), z.array(z.string())]).optional(),
    hostname: z.boolean().optional(),
    baseline: valueSchema.optional(),
    values: z.array(valueSchema).optional(),
    add: z.array(valueSchema).optional(),
    remove: z.boolean().optional(),
  })
  .strict();

const matrixSchema = z
  .object({
    extends: z.enum(['default', 'quick', 'none']).optional(),
    interactions: z.enum(['pairwise', 'none']).optional(),
    repeat: z.number().int().min(1).max(20).optional(),
    env: z.record(z.string(), z.string()).optional(),
    factors: z.record(z.string(), factorSchema).optional(),
  })
  .strict();

export class MatrixError extends Error {}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function toValue(raw: z.infer<typeof valueSchema>, vars: string[], hostname: boolean, where: string): FactorValue {
  if (raw === null || typeof raw === 'string') {
    if (vars.length === 0 && !hostname) throw new MatrixError(`${where}: a plain value needs 'vars' (the variables it is written to)`);
    const v = inVars(vars, raw);
    if (hostname && raw !== null) return { ...v, env: { ...v.env, HOSTNAME: raw }, hostname: raw };
    return v;
  }
  for (const name of Object.keys(raw.env)) if (!VAR_NAME.test(name)) throw new MatrixError(`${where}: '${name}' is not a valid variable name`);
  return raw.hostname === undefined ? { label: raw.label, env: raw.env } : { label: raw.label, env: raw.env, hostname: raw.hostname };
}

/** Reads a matrix file (YAML). Throws MatrixError with a one-line message on invalid input. */
export function parseMatrix(text: string, source: string): Matrix {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new MatrixError(`${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = matrixSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MatrixError(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const spec = parsed.data;
  const base = builtinMatrix(spec.extends ?? 'none')!;
  const factors = [...base.factors];
  for (const [name, f] of Object.entries(spec.factors ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) throw new MatrixError(`${source}: factor name '${name}' must be letters, digits, - or _`);
    const at = factors.findIndex((x) => x.name === name);
    const existing = at >= 0 ? factors[at] : undefined;
    if (f.remove) {
      if (at >= 0) factors.splice(at, 1);
      continue;
    }
    const vars = f.vars === undefined ? [] : Array.isArray(f.vars) ? f.vars : [f.vars];
    for (const v of vars) if (!VAR_NAME.test(v)) throw new MatrixError(`${source}: factors.${name}.vars: '${v}' is not a valid variable name`);
    const isHost = f.hostname ?? existing?.role === 'hostname';
    const effectiveVars = vars.length > 0 ? vars : existing ? Object.keys(existing.baseline.env) : [];
    const where = `${source}: factors.${name}`;
    const baseline = f.baseline !== undefined ? toValue(f.baseline, effectiveVars, isHost, `${where}.baseline`) : existing?.baseline ?? inVars(effectiveVars, null);
    let values = f.values !== undefined ? f.values.map((v, i) => toValue(v, effectiveVars, isHost, `${where}.values[${i}]`)) : existing?.values ?? [];
    if (f.add) values = [...values, ...f.add.map((v, i) => toValue(v, effectiveVars, isHost, `${where}.add[${i}]`))];
    const labels = new Set<string>([baseline.label]);
    for (const v of values) {
      if (labels.has(v.label)) throw new MatrixError(`${where}: value '${v.label}' appears twice (or equals the baseline)`);
      labels.add(v.label);
    }
    if (values.length === 0) throw new MatrixError(`${where}: no values to try`);
    const factor: Factor = { name, role: f.role ?? existing?.role ?? (isHost ? 'hostname' : 'custom'), baseline, values };
    if (at >= 0) factors[at] = factor;
    else factors.push(factor);
  }
  if (factors.length === 0) throw new MatrixError(`${source}: no factors (add 'factors:' or 'extends: default')`);
  return {
    name: source,
    factors,
    interactions: spec.interactions ?? base.interactions,
    repeat: spec.repeat ?? base.repeat,
    env: { ...base.env, ...(spec.env ?? {}) },
  };
}

/** Adds a factor from `--vary NAME=v1,v2` (baseline: unset). */
export function addVaryFactor(matrix: Matrix, spec: string): Matrix {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(spec);
  if (!m) throw new MatrixError(`--vary expects NAME=VALUE1,VALUE2 (got '${spec}')`);
  const name = m[1]!;
  const values = [...new Set(m[2]!.split(',').map((v) => v.trim()).filter(Boolean))];
  if (matrix.factors.some((f) => f.name === name)) throw new MatrixError(`--vary ${name}: a factor of that name exists already`);
  return {
    ...matrix,
    factors: [...matrix.factors, { name, role: 'custom', baseline: inVars([name], null), values: values.map((v) => inVars([name], v)) }],
  };
}

export { BASE_URL_VARS, PROXY_VARS };
