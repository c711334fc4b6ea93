/**
 * Request bodies for bench/guard.bench.mjs: ~100 KB Anthropic Messages requests shaped
 * like a coding agent's (system prompt, 16 tool definitions, 12 tool round trips with
 * file contents). Deterministic; `turn` changes only the last user message.
 */
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

export function agentRequest(turn, stream) {
  const tools = Array.from({ length: 16 }, (_, i) => ({
    name: `Tool${i}`,
    description: lorem(1400, i + 1),
    input_schema: { type: 'object', properties: { file_path: { type: 'string', description: 'The absolute path to the file' }, limit: { type: 'number' } }, required: ['file_path'] },
  }));
  const messages = [{ role: 'user', content: [{ type: 'text', text: '<system-reminder>\nAs you answer the user\'s questions, you can use the following context:\n' + lorem(2000, 99) + '\n</system-reminder>' }, { type: 'text', text: 'Fix the failing test in src/handler.js' }] }];
  for (let i = 0; i < 12; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: lorem(300, 200 + i) }, { type: 'tool_use', id: `toolu_${i}`, name: 'Read', input: { file_path: `/home/dev/project/src/file${i}.js` } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: codeFile(4700, i) }] });
  }
  messages.push({ role: 'user', content: [{ type: 'text', text: `Turn ${turn}: now run the tests again and tell me what changed (${Date.now()}).` }] });
  return JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    stream,
    system: [{ type: 'text', text: 'You are Claude Code, Anthropic\'s official CLI for Claude.' }, { type: 'text', text: lorem(9000, 7) }],
    tools,
    messages,
    metadata: { user_id: 'user_bench_session_0001' },
  });
}

/** 64 variants, as the benchmark uses them. */
export const bodies = Array.from({ length: 64 }, (_, i) => agentRequest(i, false));
