import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, withRetry } from '../../src/engine/retry.js';

describe('retry', () => {
  it('waits between half and all of an exponentially growing, capped ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1));
        const delay = backoffDelay(attempt, DEFAULT_RETRY, () => random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it('does not retry an error that is not transient', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('syntax error'));
    };
    await expect(withRetry(failing, DEFAULT_RETRY, { sleep: async () => undefined })).rejects.toThrow('syntax error');
    expect(calls).toBe(1);
  });

  it('retries a deadlock until it succeeds', async () => {
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' })) : Promise.resolve('ok'));
    await expect(withRetry(flaky, DEFAULT_RETRY, { sleep: async () => undefined })).resolves.toBe('ok');
    expect(calls).toBe(3);
  });
});
