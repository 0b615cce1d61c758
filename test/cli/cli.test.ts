/** The built command line end to end, as an operator would use it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

describe('batch-service on a fresh data directory (embedded SQLite)', () => {
  let dataDir: string;
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates demo data, runs tokenCleanupJob, refuses a completed instance and lists executions', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-cli-'));
    const env = { DATA_DIR: dataDir };
    const demo = await runCli(['demo-data', '--scale', '0.05', '--seed', '7'], env);
    expect(demo.stderr).toBe(`batch-service: data directory ${dataDir} (embedded SQLite)\n`);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/refreshTokens\s+\d+/);

    const run = await runCli(['run', 'tokenCleanupJob', '--json'], env);
    expect(run.code).toBe(0);
    const execution = JSON.parse(run.stdout) as {
      status: string;
      parameters: { runAt: string };
      metrics: { totalDeleted: number };
      steps: { name: string; write: number }[];
    };
    expect(execution.status).toBe('COMPLETED');
    expect(execution.steps.map((s) => s.name)).toEqual(['cleanupRefreshTokensStep', 'cleanupPasswordResetTokensStep', 'purgeBatchHistoryStep']);
    expect(execution.metrics.totalDeleted).toBeGreaterThan(0);
    expect(execution.metrics.totalDeleted).toBe(execution.steps[0]!.write + execution.steps[1]!.write);

    // Same reference instant, new instance: nothing is left to delete.
    const again = await runCli(['run', 'tokenCleanupJob', '--param', `runAt=${execution.parameters.runAt}`, '--param', 'again=1'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/tokenCleanupJob execution \d+: COMPLETED/);
    expect(again.stdout).toMatch(/cleanupRefreshTokensStep\s+COMPLETED\s+0\s+0/);

    const params = ['run', 'tokenCleanupJob', '--param', 'runAt=2026-01-01T02:00:00Z'];
    expect((await runCli(params, env)).code).toBe(0);
    const refused = await runCli(params, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already completed with these identifying parameters \(runAt=2026-01-01T02:00:00\.000Z\)/);

    const list = await runCli(['executions', 'tokenCleanupJob'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/3 execution\(s\)/);
    expect(list.stdout).toMatch(/COMPLETED\s+COMPLETED\s+CLI/);

    const dry = await runCli(['run', 'tokenCleanupJob', '--dry-run'], env);
    expect(dry.stdout).toContain('DRY RUN');

    // The demo data has doctorants in every band; without a broker their events wait in the outbox.
    const alerts = await runCli(['run', 'dureeDoctoratAlertJob', '--json'], env);
    expect(alerts.code).toBe(0);
    const alertRun = JSON.parse(alerts.stdout) as { metrics: Record<string, number> };
    expect(alertRun.metrics.alertes3Ans).toBeGreaterThan(0);
    expect(alertRun.metrics.alertes6Ans).toBeGreaterThan(0);
    expect(alertRun.metrics.alertesDepassement).toBeGreaterThan(0);
    const events = await runCli(['events', '--status', 'pending', '--json'], env);
    expect(events.code).toBe(0);
    const outbox = JSON.parse(events.stdout) as { counts: { PENDING: number }; events: { eventType: string; payload: { typeAlerte: string } }[] };
    expect(outbox.counts.PENDING).toBe(alertRun.metrics.totalAlertes);
    expect(new Set(outbox.events.map((e) => e.payload.typeAlerte))).toEqual(new Set(['3_ANS', '6_ANS', 'DEPASSEMENT']));
    const text = await runCli(['events'], env);
    expect(text.stdout).toMatch(new RegExp(`pending ${alertRun.metrics.totalAlertes}, delivered 0, failed 0`));
  });

  it('says what is wrong, by name, and exits non-zero', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-cli-'));
    const unknown = await runCli(['run', 'noSuchJob'], { DATA_DIR: dataDir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown job "noSuchJob"; known jobs: tokenCleanupJob, dureeDoctoratAlertJob/);
    const badEnv = await runCli(['migrate'], { DATA_DIR: dataDir, PORT: '-1' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/PORT="-1": expected an integer between 0 and 65535/);
    const badParam = await runCli(['run', 'tokenCleanupJob', '--param', 'runAt=soon'], { DATA_DIR: dataDir });
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toMatch(/runAt="soon" is not an ISO-8601 instant/);
  });
});

describe.each(dialects)('batch-service run against configured databases (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('runs tokenCleanupJob and stops with a non-zero code when the run fails', async () => {
    env = await createTestEnvironment(dialect);
    const demo = await runCli(['demo-data', '--scale', '0.02'], env.env);
    expect(demo.code).toBe(0);
    const before = await env.databases.user.db.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const run = await runCli(['run', 'tokenCleanupJob', '--json'], env.env);
    expect(run.code).toBe(0);
    const after = await env.databases.user.db.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const execution = JSON.parse(run.stdout) as { metrics: { refreshTokensDeleted: number } };
    expect(execution.metrics.refreshTokensDeleted).toBe(Number(before.n) - Number(after.n));

    // A failing run: the database refuses the deletes, the step fails, the exit code says so.
    // (A missing table is refused before the run: contract-refusal.test.ts.)
    const refuseDeletes =
      dialect === 'sqlite'
        ? sql`CREATE TRIGGER refuse_deletes BEFORE DELETE ON password_reset_tokens BEGIN SELECT RAISE(ABORT, 'deletes refused'); END`
        : sql`CREATE TRIGGER refuse_deletes BEFORE DELETE ON password_reset_tokens FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'deletes refused'`;
    await refuseDeletes.execute(env.databases.user.db);
    const failed = await runCli(['run', 'tokenCleanupJob', '--param', 'runAt=2030-01-01T00:00:00Z'], env.env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAILED/);
    expect(failed.stdout).toMatch(/restart with: batch-service restart \d+/);
  });
});
