import { describe, expect, it } from 'vitest';
import { findingsOf } from '../../helpers/analyze.js';

describe('TT001 env-signal', () => {
  it.each([
    ['Intl timezone', 'const z = Intl.DateTimeFormat().resolvedOptions().timeZone;', 'timezone'],
    ['TZ variable, bracket access', 'const z = process.env["TZ"];', 'timezone'],
    ['UTC offset', 'const o = new Date().getTimezoneOffset();', 'timezone'],
    ['locale variable', 'const l = process.env.LC_ALL || process.env.LANG;', 'locale'],
    ['proxy variable', 'const p = process.env.HTTPS_PROXY;', 'proxy'],
    ['API base URL', 'const u = process.env.OPENAI_BASE_URL;', 'api-base-url'],
    ['host name', 'import os from "node:os"; const h = os.hostname();', 'host-identity'],
    ['network interfaces', 'const n = require("os").networkInterfaces();', 'network-interfaces'],
    ['machine id file', 'const id = fs.readFileSync("/etc/machine-id", "utf8");', 'machine-id'],
    ['git identity', 'const e = execSync("git config --get user.email");', 'git-identity'],
  ])('finds %s', (_name, code, signal) => {
    const found = findingsOf(code, 'TT001');
    expect(found.map((f) => f.facts.signal)).toContain(signal);
    expect(found.every((f) => f.level === 'note')).toBe(true);
  });

  it('ignores ordinary variables and URL objects', () => {
    const code = 'const d = process.env.DEBUG; const h = new URL(x).host; const nodeEnv = process.env.NODE_ENV; url.hostname;';
    expect(findingsOf(code, 'TT001')).toEqual([]);
  });
});
