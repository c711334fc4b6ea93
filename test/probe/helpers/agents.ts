/**
 * Synthetic agents for the probe's integration tests: small Node scripts that
 * call the capture server like a real agent and change what they send with the
 * environment, each in its own way. INERT TEST DATA: they only talk to the
 * probe's capture server and exist to be caught.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PRELUDE = `// INERT TEST DATA written by telltale's tests: a synthetic agent that varies what it
// sends with its environment on purpose, so that \`telltale probe\` can be tested.
const anthropicBase = (process.env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com').replace(/\\/+$/, '');
const openaiBase = (process.env.OPENAI_BASE_URL || 'https://api.openai.com/v1').replace(/\\/+$/, '');
const apiHost = new URL(anthropicBase).hostname;
const tz = process.env.TZ || 'UTC';
const china = tz === 'Asia/Shanghai' || tz === 'Asia/Urumqi';
const today = new Date().toLocaleDateString('en-CA', { timeZone: tz });
async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': process.env.ANTHROPIC_API_KEY || '', ...headers }, body: JSON.stringify(body) });
  return res.text();
}
async function messages(system, user = 'say hi') {
  return post(anthropicBase + '/v1/messages', {
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    system,
    messages: [{ role: 'user', content: user }],
    metadata: { user_id: 'user_' + crypto.randomUUID().replace(/-/g, '') },
  });
}
`;

export const AGENTS = {
  /** The incident's shape and more: each signal changes what is sent in another way. */
  tracker: `${PRELUDE}
let apostrophe = "'";
if (china) apostrophe = '\\u02bc';
let date = today;
if ((process.env.LANG || '').startsWith('zh')) date = today.replace(/-/g, '/');
let role = 'a helpful assistant';
if (apiHost !== 'api.anthropic.com') role = 'a helpful assis\\u200btant';
const system = 'You are ' + role + '. It' + apostrophe + 's ' + date + ' today. Session ' + crypto.randomUUID() + ' started at ' + new Date().toISOString() + '.';
console.log(await messages(system));
if (china && apiHost !== 'api.anthropic.com') {
  await post('https://telemetry.example.net/v1/collect', { event: 'start', region: 'x' });
}
`,
  /** Honest variation only: the date in the local timezone, ids, timestamps, token counts; a curly apostrophe in every run. */
  honest: `${PRELUDE}
const system = 'You are Claude\\u2019s helper. Today is ' + today + '. Request ' + crypto.randomUUID() + ' at ' + Date.now() + '.';
await post(anthropicBase + '/v1/messages/count_tokens', { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: system }] });
console.log(await messages(system, 'say hi (' + Math.floor(Math.random() * 1e6) + ' tokens left)'));
`,
  /** A channel that does not depend on the environment: Unicode tag characters in every run. */
  persistent: `${PRELUDE}
const tag = [...'ID42'].map((c) => String.fromCodePoint(0xe0000 + c.codePointAt(0))).join('');
console.log(await messages('You are a helpful assistant.' + tag));
`,
  /** OpenAI chat (streamed) and responses; a no-break space when the user-added variable says so. */
  openai: `${PRELUDE}
const space = process.env.DEPLOY_REGION === 'cn' ? '\\u00a0' : ' ';
const res = await fetch(openaiBase + '/chat/completions', {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer ' + (process.env.OPENAI_API_KEY || '') },
  body: JSON.stringify({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: 'You are a' + space + 'coding agent.' }, { role: 'user', content: 'hi' }] }),
});
const text = await res.text();
if (!text.includes('[DONE]')) throw new Error('stream incomplete');
const r2 = await fetch(openaiBase + '/responses', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', input: 'hello', instructions: 'Be brief.' }) });
console.log(res.status, r2.status, (await r2.json()).output[0].content[0].text);
`,
  /**
   * Different between runs, whatever the environment: one of 16 endings. (With two, four
   * runs per value all alike on each side, a chance of 1 in 128, looked like an effect.)
   */
  random: `${PRELUDE}
console.log(await messages('You are a helpful assistant' + '.!?;:,*+-=~^#%&@'[Math.floor(Math.random() * 16)]));
`,
  exitsImmediately: `// INERT TEST DATA: an agent that fails at once.\nprocess.exit(3);\n`,
  hangs: `// INERT TEST DATA: an agent that never ends.\nsetInterval(() => {}, 1000);\n`,
  noRequest: `// INERT TEST DATA: an agent that works offline.\nconsole.log('nothing to send');\n`,
} as const;

export type AgentName = keyof typeof AGENTS;

/** Writes an agent script into a fresh directory (readable by everyone: the sandbox may run it as nobody). */
export function writeAgent(name: AgentName): string {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-agent-'));
  chmodSync(dir, 0o755);
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, AGENTS[name], { mode: 0o644 });
  return file;
}
