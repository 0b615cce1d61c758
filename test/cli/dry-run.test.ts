/**
 * Issue 16, item 2: a dry run reads as what it would do. Written 0 and a would-write count,
 * the job's figures in words (« would delete 1,234 refresh tokens »), its metrics nested
 * under `dryRun` in the repository and the history, and a repeated dry run accepted.
 * The real run that follows deletes exactly what the dry run said it would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/child.js';

interface ExecutionOut {
  readonly id: number;
  readonly dryRun: boolean;
  readonly metrics: Record<string, unknown>;
  readonly steps: readonly { readonly name: string; readonly read: number; readonly write: number; readonly wouldWrite: number; readonly filter: number; readonly skip: number }[];
}

describe('dry runs on the command line (embedded SQLite)', () => {
  let dataDir: string;
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('say what they would do in words, write 0, keep their figures apart and can be repeated', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-dry-'));
    const env = { DATA_DIR: dataDir };
    expect((await runCli(['demo-data', '--scale', '0.05', '--seed', '3'], env)).code).toBe(0);
    const runAt = ['--param', 'runAt=2026-12-01T02:00:00Z'];

    const text = await runCli(['run', 'tokenCleanupJob', ...runAt, '--dry-run'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('DRY RUN, nothing was changed');
    const refresh = /^ {2}would delete ([\d,]+) refresh tokens$/m.exec(text.stdout);
    const reset = /^ {2}would delete ([\d,]+) password-reset tokens$/m.exec(text.stdout);
    expect(refresh, text.stdout).not.toBeNull();
    expect(reset, text.stdout).not.toBeNull();
    const wouldRefresh = Number(refresh![1]!.replaceAll(',', ''));
    expect(wouldRefresh).toBeGreaterThan(0);
    // No bare figure that could pass for a deletion.
    expect(text.stdout).not.toMatch(/refreshTokensDeleted|totalDeleted/);
    // The step table: written 0, then the would-write column.
    expect(text.stdout).toMatch(/read\s+written\s+would write\s+filtered/);
    expect(text.stdout).toMatch(new RegExp(`cleanupRefreshTokensStep\\s+COMPLETED\\s+${wouldRefresh}\\s+0\\s+${wouldRefresh}\\s+0\\s`));

    // The same dry run again is accepted (a dry run changes nothing, so it is never "already completed").
    const again = await runCli(['run', 'tokenCleanupJob', ...runAt, '--dry-run', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    const dry = JSON.parse(again.stdout) as ExecutionOut;
    expect(dry.dryRun).toBe(true);
    // A fresh batchdb holds nothing past the retention: the purge step's figures are 0.
    const purge = { executionsDeleted: 0, executionsTrimmed: 0, outboxEventsDeleted: 0, rateLimitWindowsDeleted: 0, outboxMailsDeleted: 0 };
    expect(dry.metrics).toEqual({ dryRun: { refreshTokensDeleted: wouldRefresh, passwordResetTokensDeleted: expect.any(Number), totalDeleted: expect.any(Number), ...purge } });
    for (const step of dry.steps) {
      expect(step.write).toBe(0);
      expect(step.read).toBe(step.write + step.wouldWrite + step.filter + step.skip);
    }

    // The real run with the same runAt goes ahead and deletes exactly what was announced.
    const real = await runCli(['run', 'tokenCleanupJob', ...runAt, '--json'], env);
    expect(real.code, real.stderr).toBe(0);
    const done = JSON.parse(real.stdout) as ExecutionOut;
    expect(done.metrics).toMatchObject({ refreshTokensDeleted: wouldRefresh, totalDeleted: (dry.metrics.dryRun as { totalDeleted: number }).totalDeleted });
    expect(done.steps.map((s) => s.wouldWrite)).toEqual([0, 0, 0]);

    // The repository and the history keep the dry run's figures apart.
    const batchdb = new Database(path.join(dataDir, 'batchdb.sqlite'), { readonly: true });
    try {
      const history = batchdb
        .prepare('SELECT execution_id, write_count, would_write_count, metrics FROM job_execution_history WHERE execution_id IN (?, ?) ORDER BY execution_id')
        .all(dry.id, done.id) as { write_count: number; would_write_count: number; metrics: string }[];
      expect(history.map((h) => [h.write_count, h.would_write_count])).toEqual([
        [0, (dry.metrics.dryRun as { totalDeleted: number }).totalDeleted],
        [(done.metrics as { totalDeleted: number }).totalDeleted, 0],
      ]);
      expect(Object.keys(JSON.parse(history[0]!.metrics) as object)).toEqual(['dryRun']);
    } finally {
      batchdb.close();
    }

    const list = await runCli(['executions', 'tokenCleanupJob'], env);
    expect(list.stdout.split('\n').filter((l) => l.endsWith('dry run'))).toHaveLength(2);
  });
});
