/**
 * Secret scans of concurrent requests share one secretlint call and give exactly what
 * separate calls give (indices relative to each request's own texts).
 */
import { describe, expect, it } from 'vitest';
import { SecretScanBatcher } from '../../src/guard/secret-batcher.js';
import { scanSecrets } from '../../src/core/secrets/scan.js';

// Inert test data in the formats secretlint's rules know (not real credentials).
const FAKE_GITHUB = 'ghp_' + 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2';
const FAKE_NPM = 'npm_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

describe('SecretScanBatcher', () => {
  it('merges concurrent scans into one call with the same results as separate calls', async () => {
    const requests = [
      ['nothing here', `token ${FAKE_GITHUB} end`],
      [`npm ${FAKE_NPM}`],
      ['a', 'b', `x ${FAKE_GITHUB}`, `y ${FAKE_NPM}`],
      [],
    ];
    const batcher = new SecretScanBatcher();
    const merged = await Promise.all(requests.map((texts) => batcher.scan(texts)));
    const separate = await Promise.all(requests.map((texts) => scanSecrets(texts)));
    expect(merged).toEqual(separate);
    expect(merged.flat().length).toBeGreaterThanOrEqual(4);
    expect(batcher.calls).toBe(1);
    expect(batcher.scans).toBe(3);
  });

  it('scans at once when a request is alone', async () => {
    const batcher = new SecretScanBatcher();
    expect(await batcher.scan([`t ${FAKE_GITHUB}`], true)).toEqual(await scanSecrets([`t ${FAKE_GITHUB}`]));
    expect(batcher.calls).toBe(1);
  });
});
