/**
 * Request bodies for bench/guard.bench.mjs: ~100 KB Anthropic Messages requests shaped
 * like a coding agent's (system prompt, 16 tool definitions, 12 tool round trips with
 * file contents). Deterministic.
 *
 * Caching must not be trivially perfect, so the bodies model what an agent really sends:
 * - SESSIONS conversations run side by side (distinct histories, the same system prompt
 *   and tools, as one agent in several terminals); request n belongs to session n % SESSIONS;
 * - every request is unique: its history is the session's (unchanged bytes, as an agent
 *   resends it) followed by a new round trip never sent before — an assistant turn with a
 *   tool call and a ~4 KB tool result (a file read) whose text embeds the request number
 *   throughout, then the user's next message. About 5% of each body is new.
 * Bodies are built by concatenating a precomputed session head with the new turn, so the
 * load generator spends no more per request than for a fixed body.
 */
export const SESSIONS = 8;

function lorem(n, seed) {
  const words = ['the', 'function', 'returns', 'a', 'promise', 'that', 'resolves', 'when', 'every', 'request', 'is', 'recorded', 'in', 'audit', 'log', 'config', 'value', 'parse', 'error', 'stream', 'buffer', 'handler', 'route', 'test', 'fails', 'because', 'upstream', 'closed'];
  let s = '';
  let x = seed;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += words[x % words.length] + (x % 11 === 0 ? '. ' : ' ');
  }
  return s.slice(0, n);
}

function codeFile(n, seed) {
  let s = '';
  let i = 0;
  while (s.length < n) {
    s += `export function handler${seed}_${i}(req, res) {\n  const body = JSON.parse(req.body ?? '{}');\n  if (!body.model) return res.status(400).json({ error: 'model is required' });\n  return forward(body, { timeoutMs: ${1000 + i} });\n}\n\n`;
    i++;
  }
  return s.slice(0, n);
}

const MARK = '\u0000NEW_TURN\u0000';

function sessionParts(session, stream) {
  const tools = Array.from({ length: 16 }, (_, i) => ({
    name: `Tool${i}`,
    description: lorem(1400, i + 1),
    input_schema: { type: 'object', properties: { file_path: { type: 'string', description: 'The absolute path to the file' }, limit: { type: 'number' } }, required: ['file_path'] },
  }));
  const s = session * 1000;
  const messages = [{ role: 'user', content: [{ type: 'text', text: '<system-reminder>\nAs you answer the user\'s questions, you can use the following context:\n' + lorem(2000, 99 + s) + '\n</system-reminder>' }, { type: 'text', text: `Fix the failing test in src/handler${session}.js` }] }];
  for (let i = 0; i < 11; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: lorem(300, 200 + i + s) }, { type: 'tool_use', id: `toolu_${session}_${i}`, name: 'Read', input: { file_path: `/home/dev/project${session}/src/file${i}.js` } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${session}_${i}`, content: codeFile(4700, i + s) }] });
  }
  const text = JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    stream,
    system: [{ type: 'text', text: 'You are Claude Code, Anthropic\'s official CLI for Claude.' }, { type: 'text', text: lorem(9000, 7) }],
    tools,
    messages: [...messages, MARK],
    metadata: { user_id: `user_bench_session_${session}` },
  });
  const at = text.indexOf(JSON.stringify(MARK));
  return [text.slice(0, at), text.slice(at + JSON.stringify(MARK).length)];
}

const parts = { false: Array.from({ length: SESSIONS }, (_, s) => sessionParts(s, false)), true: Array.from({ length: SESSIONS }, (_, s) => sessionParts(s, true)) };

/** The new round trip of request `n`: every string in it differs from any other request's. */
const FILE_PIECES = codeFile(4000, 7).split('handler7_');
function newTurn(n) {
  const file = FILE_PIECES.join(`handler${n}_`);
  return JSON.stringify([
    { role: 'assistant', content: [{ type: 'text', text: `Request ${n}: ${lorem(280, n)}` }, { type: 'tool_use', id: `toolu_n${n}`, name: 'Read', input: { file_path: `/home/dev/project/src/module${n}.js` } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_n${n}`, content: file }] },
    { role: 'user', content: [{ type: 'text', text: `Turn ${n}: now run the tests again and tell me what changed.` }] },
  ]).slice(1, -1);
}

/** Request number `n` (unique), streamed or not. */
export function agentRequest(n, stream) {
  const [head, tail] = parts[stream ? 'true' : 'false'][n % SESSIONS];
  return head + newTurn(n) + tail;
}
