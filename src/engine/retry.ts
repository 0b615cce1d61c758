import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientDbError } from '../db/errors.js';
import type { RetryOptions } from './types.js';

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  retryable: isTransientDbError,
};

export interface RetryHooks {
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly random?: () => number;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * The delay before retry number `attempt` (1-based): exponential, capped, with "equal
 * jitter" — half fixed, half random — so replicas that failed together do not retry in
 * lockstep, yet every wait still grows.
 */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `operation`, retrying retryable errors with exponential backoff and jitter.
 *
 * @example
 * const rows = await withRetry(() => db.selectFrom('users').selectAll().execute(), DEFAULT_RETRY);
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions, hooks: RetryHooks = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error)) throw error;
      const delay = backoffDelay(attempt, options, hooks.random);
      hooks.onRetry?.(error, attempt, delay);
      await (hooks.sleep ?? sleep)(delay);
    }
  }
}
