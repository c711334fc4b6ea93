/**
 * telltale runs secretlint's recommended preset through the rule API (src/core/secrets/scan.ts)
 * instead of `lintSource`. These tests hold it to `lintSource`'s own results over every kind
 * of secret the preset knows, alone, embedded in prose and code, and many to a text; and
 * check the one intended difference: in-band `secretlint-disable` comments are not honoured.
 *
 * Every "secret" here is FAKE TEST DATA, generated from a seeded counter: shaped like a real
 * credential so the rules fire, valid for nothing.
 */
import { describe, expect, it } from 'vitest';
import { lintSource } from '@secretlint/core';
import { creator as preset } from '@secretlint/secretlint-rule-preset-recommend';
import { holdsRuleKeyword, OMITTED_RULES, redactRanges, ruleKeywords, scanSecrets, secretTypeOf } from '../../../src/core/secrets/scan.js';

// ------------------------------------------------------------------ fake secrets
let seed = 7;
function chars(n: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    s += alphabet[seed % alphabet.length];
  }
  return s;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const B64 = `${ALNUM}+/`;
const alnum = (n: number) => chars(n, ALNUM);
const pem = (label: string, magic: string) => `-----BEGIN ${label}PRIVATE KEY-----\n${magic}${chars(60, B64)}\n${chars(64, B64)}\n${chars(40, B64)}==\n-----END ${label}PRIVATE KEY-----`;

/** Base64 of a JSON object whose length leaves its closing brace alone in the last group (`fQ==`). */
function onePasswordPayload(): string {
  let json = JSON.stringify({ email: `fake-${alnum(10)}@example.test`, secretKey: alnum(40), srpX: chars(64, HEX) });
  while (json.length % 3 !== 1) json = json.replace('{', '{ ');
  return Buffer.from(json).toString('base64');
}

/** Two samples of each kind the preset detects in text (fake; see above). */
function fakeSecrets(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of [1, 2]) {
    out[`aws-access-key-${n}`] = `${n === 1 ? 'AKIA' : 'ASIA'}${chars(16, UPPER_NUM)}`;
    out[`aws-secret-${n}`] = `aws_secret_access_key = ${chars(40, `${ALNUM}/+`)}`;
    out[`aws-account-${n}`] = `AWS_ACCOUNT_ID="${chars(12, '0123456789')}"`;
    out[`npm-${n}`] = `npm_${alnum(36)}`;
    out[`npmrc-${n}`] = `//registry.npmjs.org/:_authToken=${alnum(8)}-${alnum(4)}-${alnum(12)}`;
    out[`slack-${n}`] = `xoxb-${chars(10, '0123456789')}-${chars(13, '0123456789')}-${alnum(24)}`;
    out[`slack-webhook-${n}`] = `https://hooks.slack.com/services/T${chars(8, UPPER_NUM)}/B${chars(8, UPPER_NUM)}/${alnum(24)}`;
    out[`basic-auth-${n}`] = `https://deploy${n}:${alnum(14)}@example-${n}.internal.test/path`;
    out[`openai-${n}`] = `sk-proj-${chars(74, `${ALNUM}_-`)}T3BlbkFJ${chars(74, `${ALNUM}_-`)}`;
    out[`anthropic-${n}`] = `sk-ant-api03-${chars(93, `${ALNUM}_-`)}AA`;
    out[`groq-${n}`] = `gsk_${alnum(52)}`;
    out[`huggingface-${n}`] = `hf_${chars(34, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')}`;
    out[`linear-${n}`] = `lin_api_${alnum(40)}`;
    out[`notion-${n}`] = `ntn_${chars(11, '0123456789')}${alnum(35)}`;
    out[`private-key-${n}`] = pem(n === 1 ? 'RSA ' : '', 'MII');
    out[`openssh-key-${n}`] = pem('OPENSSH ', 'b3BlbnNzaC1rZXktdjE');
    out[`sendgrid-${n}`] = `SG.${alnum(22)}.${alnum(43)}`;
    out[`shopify-${n}`] = `shpat_${chars(32, HEX)}`;
    out[`github-${n}`] = `${n === 1 ? 'ghp' : 'gho'}_${alnum(36)}`;
    out[`github-fine-${n}`] = `github_pat_${chars(82, `${ALNUM}_`)}`;
    out[`gitlab-${n}`] = `glpat-${chars(20, `${ALNUM}_-`)}`;
    out[`grafana-${n}`] = `glc_${chars(48, B64)}`;
    out[`grafana-sa-${n}`] = `glsa_${alnum(32)}_${chars(8, HEX)}`;
    out[`onepassword-${n}`] = `ops_${onePasswordPayload()}`;
    out[`mongodb-${n}`] = `mongodb+srv://app${n}:${alnum(16)}@cluster${n}.example.test/db?retryWrites=true`;
    out[`postgres-${n}`] = `postgres://svc${n}:${alnum(16)}@db${n}.example.test:5432/app`;
    out[`mysql-${n}`] = `mysql://root:${alnum(16)}@mysql${n}.example.test:3306/app`;
    out[`vault-${n}`] = `hvs.${chars(100, `${ALNUM}_-`)}`;
    out[`vercel-${n}`] = `vcp_${alnum(24)}`;
    out[`databricks-${n}`] = `dapi${chars(32, HEX)}`;
    out[`docker-${n}`] = `dckr_pat_${chars(27, `${ALNUM}_-`)}`;
    out[`figma-${n}`] = `figd_${chars(43, `${ALNUM}_-`)}`;
  }
  return out;
}

/** Near misses: shapes the rules must not take for secrets. */
const NEAR_MISSES = [
  'the key AKIA1234 is too short',
  'ghp_tooShort and gho_ and github_pat_x',
  'sk-ant-api03-short',
  '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
  'https://user:<password>@example.test/',
  'postgres://localhost:5432/app',
  'npm_ followed by nothing',
  'SG.',
];

const SECRETS = fakeSecrets();

/** The corpus: each secret alone, in prose, in code, in JSON; several to a text; near misses. */
function corpus(): string[] {
  const texts: string[] = [];
  const values = Object.values(SECRETS);
  values.forEach((v, i) => {
    texts.push(v);
    texts.push(`Here is the config you asked for: ${v} — keep it safe.`);
    texts.push(`const credential = "${v}";\nmodule.exports = { credential };\n`);
    texts.push(JSON.stringify({ env: { VALUE: v }, note: `entry ${i}` }));
  });
  for (let i = 0; i < values.length; i += 5) texts.push(values.slice(i, i + 5).join('\n\nsome text between\n'));
  texts.push(...NEAR_MISSES);
  texts.push('plain prose with no credentials at all, and ünïcödé text, and emoji 👩‍💻');
  return texts;
}

// ------------------------------------------------------------------ the reference
const REFERENCE_CONFIG = {
  // Each rule of the preset configured on its own, minus the omitted ones: the same rules
  // telltale runs, through secretlint's own runner.
  rules: preset.rules.filter((r) => !OMITTED_RULES.has(r.meta.id)).map((rule) => ({ id: rule.meta.id, rule })),
};

async function reference(text: string): Promise<{ ruleId: string; start: number; end: number; type: string }[]> {
  const result = await lintSource({
    source: { content: text, filePath: '/telltale/request.txt', ext: '.txt', contentType: 'text' },
    options: { config: REFERENCE_CONFIG, maskSecrets: false, noPhysicFilePath: true },
  });
  return result.messages.map((m) => ({ ruleId: m.ruleId, start: m.range[0], end: m.range[1], type: secretTypeOf(m.ruleId, m.messageId) }));
}

describe('secret scan (secretlint preset through the rule API)', () => {
  it('finds exactly what secretlint lintSource finds, text by text', async () => {
    const texts = corpus();
    let compared = 0;
    for (const text of texts) {
      const expected = await reference(text);
      const actual = (await scanSecrets([text])).map(({ ruleId, start, end, type }) => ({ ruleId, start, end, type }));
      expect(actual, text.slice(0, 80)).toEqual(expected);
      compared += expected.length;
    }
    // The corpus really exercises the rules (not an empty comparison).
    expect(compared).toBeGreaterThan(200);
  });

  it('covers every text rule of the preset that it runs', async () => {
    const found = new Set<string>();
    for (const text of corpus()) for (const m of await scanSecrets([text])) found.add(m.ruleId);
    const runnable = preset.rules
      .map((r) => r.meta.id)
      // GCP's rule reads service-account .json and .p12 files only, never text.
      .filter((id) => !OMITTED_RULES.has(id) && id !== '@secretlint/secretlint-rule-gcp');
    expect([...found].sort()).toEqual([...runnable].sort());
  });

  it('maps matches of many texts scanned in one pass back to each text', async () => {
    const texts = corpus();
    const joined = await scanSecrets(texts);
    const separate = (await Promise.all(texts.map((t) => scanSecrets([t])))).flatMap((ms, index) => ms.map((m) => ({ ...m, index })));
    expect(joined).toEqual(separate);
  });

  it('does not honour in-band secretlint-disable comments (outgoing text is untrusted)', async () => {
    const token = SECRETS['github-1']!;
    const texts = ['secretlint-disable', `leaked ${token}`, `secretlint-disable-next-line\n${SECRETS['npm-1']}`];
    const found = await scanSecrets(texts);
    expect(found.map((m) => [m.index, m.type])).toEqual([
      [1, 'GITHUB_TOKEN'],
      [2, 'NPM_ACCESS_TOKEN'],
    ]);
    // secretlint's own runner, with the preset as configured by default, would have let both through.
    const withComments = await lintSource({
      source: { content: texts.join('\n\n'), filePath: '/telltale/request.txt', ext: '.txt', contentType: 'text' },
      options: { config: { rules: [{ id: preset.meta.id, rule: preset }] }, maskSecrets: false, noPhysicFilePath: true },
    });
    expect(withComments.messages).toEqual([]);
  });

  it('redacts with typed placeholders and finds nothing in clean text', async () => {
    const text = `token=${SECRETS['gitlab-1']} and db ${SECRETS['postgres-2']}`;
    const matches = await scanSecrets([text]);
    const redacted = redactRanges(text, matches);
    expect(redacted).not.toContain(SECRETS['gitlab-1']);
    expect(redacted).toContain('[REDACTED:');
    expect(await scanSecrets(['nothing to see here', 'const x = 1;'])).toEqual([]);
  });

  it('runs each rule only over texts holding one of its keywords, lower-cased, and knows every rule', () => {
    // Rules that always run: GCP reads only .json/.p12 files (never text), so it has no keywords.
    const alwaysRun = new Set(['@secretlint/secretlint-rule-gcp']);
    for (const rule of preset.rules) {
      const id = rule.meta.id;
      if (OMITTED_RULES.has(id) || alwaysRun.has(id)) continue;
      const keywords = ruleKeywords(id);
      // A rule the table does not know (a new preset) would run always: safe, but the pin says review it.
      expect(keywords, id).toBeDefined();
      expect(keywords!.length, id).toBeGreaterThan(0);
      // Matching is on the lower-cased text: an upper-case keyword would never match.
      for (const k of keywords!) expect(k, id).toBe(k.toLowerCase());
    }
  });

  it('knows in one pass whether a text holds any rule\u2019s keyword, each one exactly (no pattern characters)', () => {
    const filler = 'export function handler(req, res) { return forward(body, { timeoutMs: 1000 }); }\n'.repeat(40);
    expect(holdsRuleKeyword(filler)).toBe(false);
    for (const rule of preset.rules) {
      for (const k of ruleKeywords(rule.meta.id) ?? []) {
        expect(holdsRuleKeyword(`${filler}${k}${filler}`), k).toBe(true);
        // `.` and `-` are literal: `sg.` is not `sgx`, `hvs.` not `hvsx`.
        if (/[.-]/.test(k)) expect(holdsRuleKeyword(`${filler}${k.replace(/[.-]/g, 'x')}${filler}`), k).toBe(false);
      }
    }
  });

  it('still finds a secret whose keyword is written in capitals', async () => {
    // AWS_SECRET_ACCESS_KEY: the keyword `secret` is found in the lower-cased text.
    const text = `export AWS_SECRET_ACCESS_KEY=${'Xq7/Zr2+'.repeat(5).slice(0, 39)}k`;
    expect((await scanSecrets([text])).map((m) => m.ruleId)).toEqual(['@secretlint/secretlint-rule-aws']);
  });
});
