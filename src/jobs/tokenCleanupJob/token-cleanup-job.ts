/**
 * tokenCleanupJob (requirements 1.1–1.8): deletes refresh tokens and password-reset
 * tokens whose `expiry_date` is strictly before `runAt`, in chunks of 100 ids, one
 * transaction per chunk, one step per token type.
 */
import type { DatabaseHandle } from '../../db/connect.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import { keysetPosition } from '../../engine/keyset-reader.js';
import { changedCount, ZERO_COUNTS, type ChunkStep, type JobDefinition } from '../../engine/types.js';
import { countExpiredTokens, expiredTokenReader, type TokenTableName } from './expired-token-reader.js';
import { tokenDeletionWriter } from './token-deletion-writer.js';

export const TOKEN_CLEANUP_JOB = 'tokenCleanupJob';

export interface TokenCleanupDeps {
  readonly userDb: DatabaseHandle<UserDb>;
  /** 1.4, 1.8: items per chunk and transaction. */
  readonly chunkSize: number;
}

export function tokenCleanupJob(deps: TokenCleanupDeps): JobDefinition {
  const step = (name: string, table: TokenTableName): ChunkStep<number> => ({
    kind: 'chunk',
    name,
    chunkSize: deps.chunkSize,
    reader: (ctx) => expiredTokenReader(deps.userDb, table, ctx.runAt, ctx.restoredContext),
    writer: (ctx) => tokenDeletionWriter(deps.userDb, table, ctx.runAt),
    estimate: (ctx) => countExpiredTokens(deps.userDb, table, ctx.runAt, keysetPosition(ctx.restoredContext)),
    // The next page starts after this chunk's last id, which its deletes cannot move.
    readAhead: true,
  });
  return {
    name: TOKEN_CLEANUP_JOB,
    description: 'Deletes expired refresh and password-reset tokens (expiry_date < runAt)',
    steps: [
      step('cleanupRefreshTokensStep', 'refresh_tokens'),
      step('cleanupPasswordResetTokensStep', 'password_reset_tokens'),
    ],
    // 1.5: the count deleted per token type, from the rows each DELETE actually removed
    // (in a dry run, the tokens that would be deleted).
    metrics: (steps) => {
      const refresh = changedCount(steps.get('cleanupRefreshTokensStep')?.counts ?? ZERO_COUNTS);
      const reset = changedCount(steps.get('cleanupPasswordResetTokensStep')?.counts ?? ZERO_COUNTS);
      return { refreshTokensDeleted: refresh, passwordResetTokensDeleted: reset, totalDeleted: refresh + reset };
    },
    dryRunWords: {
      refreshTokensDeleted: 'would delete {n} refresh tokens',
      passwordResetTokensDeleted: 'would delete {n} password-reset tokens',
      totalDeleted: 'would delete {n} tokens in all',
    },
  };
}
