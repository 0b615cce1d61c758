/**
 * tokenCleanupJob (requirements 1.1–1.8): deletes refresh tokens and password-reset
 * tokens whose `expiry_date` is strictly before `runAt`, in chunks of 100 ids, one
 * transaction per chunk, one step per token type; then purges batchdb's own history
 * older than BATCH_RETENTION_DAYS (batch-history-purge.ts).
 */
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import { keysetPosition } from '../../engine/keyset-reader.js';
import { changedCount, ZERO_COUNTS, type ChunkStep, type JobDefinition } from '../../engine/types.js';
import { countExpiredTokens, expiredTokenReader, type TokenTableName } from './expired-token-reader.js';
import { purgeBatchHistoryStep, PURGE_STEP, retentionFigures } from './batch-history-purge.js';
import { tokenDeletionWriter } from './token-deletion-writer.js';

export const TOKEN_CLEANUP_JOB = 'tokenCleanupJob';

export interface TokenCleanupDeps {
  readonly userDb: DatabaseHandle<UserDb>;
  /** 1.4, 1.8: items per chunk and transaction (the purge's too). */
  readonly chunkSize: number;
  readonly batch: DatabaseHandle<BatchDb>;
  /** BATCH_RETENTION_DAYS: what the purge step keeps. */
  readonly retentionDays: number;
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
    description: 'Deletes expired refresh and password-reset tokens (expiry_date < runAt), then batchdb history past BATCH_RETENTION_DAYS',
    steps: [
      step('cleanupRefreshTokensStep', 'refresh_tokens'),
      step('cleanupPasswordResetTokensStep', 'password_reset_tokens'),
      purgeBatchHistoryStep({ batch: deps.batch, retentionDays: deps.retentionDays, chunkSize: deps.chunkSize }),
    ],
    // 1.5: the count deleted per token type, from the rows each DELETE actually removed
    // (in a dry run, the tokens that would be deleted).
    metrics: (steps) => {
      const refresh = changedCount(steps.get('cleanupRefreshTokensStep')?.counts ?? ZERO_COUNTS);
      const reset = changedCount(steps.get('cleanupPasswordResetTokensStep')?.counts ?? ZERO_COUNTS);
      // The purge's figures, saved with its position after each chunk (in a dry run, what it would purge).
      return { refreshTokensDeleted: refresh, passwordResetTokensDeleted: reset, totalDeleted: refresh + reset, ...retentionFigures(steps.get(PURGE_STEP)?.context) };
    },
    dryRunWords: {
      refreshTokensDeleted: 'would delete {n} refresh tokens',
      passwordResetTokensDeleted: 'would delete {n} password-reset tokens',
      totalDeleted: 'would delete {n} tokens in all',
      executionsDeleted: 'would delete {n} executions past the retention, with their steps, skips and history',
      executionsTrimmed: 'would keep {n} executions a person acted on as summaries, deleting their steps, skips and history',
      outboxEventsDeleted: 'would delete {n} delivered outbox events past the retention',
      outboxMailsDeleted: 'would delete {n} sent failure mails past the retention',
      rateLimitWindowsDeleted: 'would delete {n} rate-limit windows past the retention',
    },
  };
}
