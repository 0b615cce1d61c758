/**
 * A cut link holds no lock for long (issue 23, item 5). A process whose link to MariaDB is
 * cut — no FIN, no RST: the server still sees an open connection — leaves its transaction
 * and row locks behind until `wait_timeout` (8 hours by default). The heartbeat records
 * the process's connection ids; whoever abandons the run ends them (KILL CONNECTION)
 * before the restart, which then goes through within a bound instead of waiting on them.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { runSessions } from '../../src/db/sessions.js';
import { JobOperator } from '../../src/engine/job-operator.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import type { JobDefinition } from '../../src/engine/types.js';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { createItems, itemsStep, processedIds, type ItemsDb } from './harness.js';

/** A loopback proxy whose `stall` stops every byte both ways and closes nothing: a cut cable, not a closed socket. */
async function stallingProxy(targetPort: number): Promise<{ port: number; stall(): void; close(): Promise<void> }> {
  const pairs: [Socket, Socket][] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    stall() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(dialects)('a cut link (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it.skipIf(dialect === 'sqlite')('the restart of a run whose process was cut off while holding row locks goes through within a bound', async () => {
    // Lock waits end after 2 s: the restart's writes would fail on the cut process's locks.
    env = await createTestEnvironment(dialect, { DB_STATEMENT_TIMEOUT_MS: '2000' });
    const items = await createItems(env.databases, 20);
    const server = new URL(env.config.databases.batch);
    const proxy = await stallingProxy(Number(server.port || 3306));
    const viaProxy = (url: string) => {
      const proxied = new URL(url);
      proxied.host = `127.0.0.1:${proxy.port}`;
      return proxied.toString();
    };
    // Process A: batchdb and userdb through the proxy.
    const aBatch = openDatabase<BatchDb>(viaProxy(env.config.databases.batch), env.config.pool, 'batchdb');
    const aUser = openDatabase<ItemsDb>(viaProxy(env.config.databases.user), env.config.pool, 'userdb');
    const timing = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 6_000, statementTimeoutMs: 2_000 };
    let locked = false;
    const aJob: JobDefinition = {
      name: 'lockJob',
      description: 'holds row locks in userdb until its lease is lost',
      steps: [
        {
          kind: 'tasklet',
          name: 'lockStep',
          run: async (ctx) => {
            await aUser.db.connection().execute(async (connection) => {
              await sql`BEGIN`.execute(connection);
              await sql`SELECT id FROM engine_items FOR UPDATE`.execute(connection);
              locked = true;
              while (!ctx.signal.aborted) await sleep(50);
              throw ctx.signal.reason;
            });
          },
        },
      ],
    };
    const aSessions = runSessions([aBatch, aUser] as DatabaseHandle<unknown>[], silentLogger);
    const a = new JobOperator(new JobRepository(aBatch.db, undefined, aSessions), [aJob], { ...timing, checkpointIntervalMs: 0, logger: silentLogger });
    try {
      const { execution, done } = await a.start('lockJob', { trigger: 'SCHEDULED' });
      for (let i = 0; i < 100 && !locked; i++) await sleep(50);
      expect(locked).toBe(true);
      // A few heartbeats record the connection that holds the locks; then the cable is cut.
      await sleep(500);
      proxy.stall();

      // Process B, on a link of its own: its restart of the job writes the rows A locked.
      const bJob: JobDefinition = { name: 'lockJob', description: 'writes the rows', steps: [{ kind: 'tasklet', name: 'lockStep', run: async () => undefined }, itemsStep(items as Kysely<ItemsDb>, 'itemsStep', 10)] };
      const bHandles = (['batch', 'user', 'inscription', 'defense', 'notification'] as const).map((name) => env.databases[name] as DatabaseHandle<unknown>);
      const b = new JobOperator(new JobRepository(env.databases.batch.db, undefined, runSessions(bHandles, silentLogger)), [bJob], {
        ...timing,
        checkpointIntervalMs: 0,
        logger: silentLogger,
        retryHooks: { sleep: async () => undefined },
      });
      let abandonedAt = 0;
      for (let i = 0; i < 200 && abandonedAt === 0; i++) {
        await sleep(100);
        if ((await b.abandonStale()).some((e) => e.id === execution.id)) abandonedAt = performance.now();
      }
      expect(abandonedAt).toBeGreaterThan(0);
      const restarted = await (await b.restart(execution.id, { trigger: 'CLI' })).done;
      // Taken over from an abandoned step: its counts are flagged as a lower bound (docs/engine.md).
      expect(restarted.status, restarted.exitMessage ?? '').toBe('COMPLETED');
      expect(restarted.exitMessage).toMatch(/are a lower bound/);
      // Well within one lock wait of 2 s: nothing waited on the cut process's locks.
      expect(performance.now() - abandonedAt).toBeLessThan(2_000);
      expect(await processedIds(items)).toHaveLength(20);
      expect((await done).exitCode).toBe('LEASE_LOST');
    } finally {
      await proxy.close();
      await Promise.allSettled([aBatch.close(), aUser.close()]);
    }
  }, 60_000);
});
