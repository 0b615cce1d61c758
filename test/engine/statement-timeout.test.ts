/**
 * Nothing hangs a run forever (issue 23, item 6): a statement that runs or waits past
 * DB_STATEMENT_TIMEOUT_MS fails its step with a message naming the database and what the
 * step was doing, and the next run goes through; every step has a timeout (its own or
 * BATCH_STEP_TIMEOUT_MS); a query that finds no free connection in its pool fails after
 * DB_POOL_WAIT_TIMEOUT_MS with an error that says so.
 */
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, sqliteFile } from '../../src/db/connect.js';
import type { JobDefinition } from '../../src/engine/types.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { createItems, itemsJob, itemsStep, operatorFor, processedIds } from './harness.js';

describe.each(dialects)('statement and step timeouts (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('a hung statement fails its step with the database and the statement\'s purpose named; the next run completes', async () => {
    env = await createTestEnvironment(dialect, { DB_STATEMENT_TIMEOUT_MS: '500' });
    const db = await createItems(env.databases, 20);
    let hang = true;
    let release: (() => void) | undefined;
    const step = itemsStep(db, 'itemsStep', 10, {
      beforeWrite: async () => {
        if (!hang) return;
        if (dialect === 'mysql') {
          // A statement that would run for 5 s: max_statement_time ends it at 0.5 s.
          await sql`SELECT SLEEP(5)`.execute(db);
        }
      },
    });
    if (dialect === 'sqlite') {
      // Another connection holds userdb's write lock: the writer's busy wait ends at 0.5 s.
      const holder = new SqliteDatabase(sqliteFile(env.config.databases.user));
      holder.prepare('BEGIN IMMEDIATE').run();
      release = () => {
        holder.prepare('ROLLBACK').run();
        holder.close();
      };
    }
    const operator = operatorFor(env.databases, [itemsJob(db, [step])]);
    const started = performance.now();
    const failed = await (await operator.start('itemsJob', { trigger: 'SCHEDULED' })).done;
    const took = performance.now() - started;
    release?.();
    expect(failed.status).toBe('FAILED');
    expect(failed.exitMessage).toMatch(
      dialect === 'mysql'
        ? /userdb: writing a chunk of itemsStep failed: .*max_statement_time/
        : /userdb: writing a chunk of itemsStep failed: database is locked/,
    );
    // The retries of a busy wait add up (SQLite: a few 0.5 s waits); nowhere near a hang.
    expect(took).toBeLessThan(dialect === 'mysql' ? 4_000 : 10_000);

    hang = false;
    const next = await (await operator.restart(failed.id, { trigger: 'SCHEDULED' })).done;
    expect(next.status).toBe('COMPLETED');
    expect(await processedIds(db)).toHaveLength(20);
  });

  it('every step has a timeout: a step that sets none gets BATCH_STEP_TIMEOUT_MS', async () => {
    env = await createTestEnvironment(dialect);
    const job: JobDefinition = {
      name: 'slowJob',
      description: 'a tasklet that would run for a minute',
      steps: [
        {
          kind: 'tasklet',
          name: 'slowStep',
          run: async (ctx) => {
            for (let i = 0; i < 600; i++) {
              if (ctx.signal.aborted) throw ctx.signal.reason;
              await sleep(100);
            }
          },
        },
      ],
    };
    const operator = operatorFor(env.databases, [job], { stepTimeoutMs: 300 });
    const started = performance.now();
    const ended = await (await operator.start('slowJob', { trigger: 'CLI' })).done;
    expect(ended.status).toBe('FAILED');
    expect(ended.exitMessage).toMatch(/slowStep: still running after 300 ms \(step timeout\)/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it.skipIf(dialect === 'sqlite')('a query that finds every pooled connection busy fails after DB_POOL_WAIT_TIMEOUT_MS, saying so', async () => {
    env = await createTestEnvironment(dialect);
    const handle = openDatabase(env.config.databases.user, { size: 1, connectTimeoutMs: 2_000, statementTimeoutMs: 5_000, waitTimeoutMs: 300 }, 'userdb');
    try {
      // One step holds the only connection for 1.5 s; a second one asks for it.
      const holding = handle.db.connection().execute(async (connection) => {
        await sql`SELECT 1`.execute(connection);
        await sleep(1_500);
      });
      await sleep(50);
      const started = performance.now();
      const waited = sql`SELECT 1`.execute(handle.db).then(
        () => 'answered',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(await waited).toMatch(/^userdb: no free connection after 300 ms \(DB_POOL_WAIT_TIMEOUT_MS\), all 1 of the pool in use/);
      expect(performance.now() - started).toBeLessThan(1_200);
      await holding;
      // The pool is whole again: the connection that came free late went back to it.
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(handle.db)).rows[0]?.one).toBe(1);
    } finally {
      await handle.close();
    }
  });
});
