/**
 * The lease's timing (issue 23, item 1; docs/engine.md, "The lease's timing"): a heartbeat
 * that answers late does not stretch the lease past the moment another process may
 * abandon the run, and the hosts' clocks play no part in staleness.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely, KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { JobOperator } from '../../src/engine/job-operator.js';
import type { LaunchPlan } from '../../src/engine/job-launch.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import type { JobDefinition } from '../../src/engine/types.js';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

/** True for the heartbeat's UPDATE (the one that sets heartbeat_at). */
function isHeartbeat(node: RootOperationNode): boolean {
  if (node.kind !== 'UpdateQueryNode') return false;
  return JSON.stringify((node as { updates?: readonly OperationNode[] }).updates ?? []).includes('"heartbeat_at"');
}

/**
 * Heartbeat number `late` runs at once but its answer comes back `delayMs` later (a slow
 * link, a loaded client); every heartbeat after it fails before reaching the database.
 */
function lateHeartbeat(late: number, delayMs: number): KyselyPlugin & { sentLate?: number } {
  let count = 0;
  const delayed = new WeakSet<object>();
  const plugin: KyselyPlugin & { sentLate?: number } = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      if (!isHeartbeat(args.node)) return args.node;
      count++;
      if (count > late) throw Object.assign(new Error('injected: the link is gone'), { code: 'ECONNRESET' });
      if (count === late) {
        delayed.add(args.queryId);
        plugin.sentLate = performance.now();
      }
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (delayed.has(args.queryId)) await sleep(delayMs);
      return args.result;
    },
  };
  return plugin;
}

function freshRun(jobName: string): LaunchPlan {
  return {
    jobName,
    decide: () => ({ jobName, parameters: {}, dryRun: false, trigger: 'CLI', triggeredBy: null, restartOf: null, context: {} }),
  };
}

describe.each(dialects)('the lease (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('a heartbeat answered late does not keep the lease past the moment the run can be abandoned', async () => {
    env = await createTestEnvironment(dialect);
    const timing = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1_500, statementTimeoutMs: 500 };
    // 600 ms: shorter than the lease, so the late answer arrives while it still holds.
    const plugin = lateHeartbeat(3, 600);
    let lastValid = 0;
    const holder: JobDefinition = {
      name: 'leaseJob',
      description: 'checks its lease until it loses it',
      steps: [
        {
          kind: 'tasklet',
          name: 'holdStep',
          run: async (ctx) => {
            for (;;) {
              ctx.checkLease();
              lastValid = performance.now();
              await sleep(10);
            }
          },
        },
      ],
    };
    const operator = new JobOperator(new JobRepository(env.databases.batch.db.withPlugin(plugin) as typeof env.databases.batch.db), [holder], {
      ...timing,
      checkpointIntervalMs: 0,
      logger: silentLogger,
      retryHooks: { sleep: async () => undefined },
    });
    const { execution, done } = await operator.start('leaseJob', { trigger: 'CLI' });
    // Another process sweeps every 20 ms, on the database's own record of the heartbeat.
    const sweeper = new JobRepository(env.databases.batch.db);
    let abandonAsked = 0;
    for (let i = 0; i < 500; i++) {
      const asked = performance.now();
      const abandoned = await sweeper.abandonStale(timing.heartbeatTimeoutMs);
      if (abandoned.some((e) => e.id === execution.id)) {
        abandonAsked = asked;
        break;
      }
      await sleep(20);
    }
    expect(abandonAsked).toBeGreaterThan(0);
    const ended = await done;
    expect(ended.exitCode).toBe('LEASE_LOST');
    expect(plugin.sentLate).toBeDefined();
    // The holder stopped believing it held the run before anyone could take it.
    expect(lastValid).toBeGreaterThan(0);
    expect(lastValid).toBeLessThan(abandonAsked);
    // It ended at the late heartbeat's send time + (timeout - margin), not at its answer + that.
    expect(lastValid - plugin.sentLate!).toBeLessThan(timing.heartbeatTimeoutMs - timing.statementTimeoutMs + 50);
  });

  it("a sweeper whose clock runs ahead does not abandon a live run", async () => {
    env = await createTestEnvironment(dialect);
    const live: JobDefinition = {
      name: 'liveJob',
      description: 'runs for a second and a half',
      steps: [{ kind: 'tasklet', name: 'liveStep', run: async () => void (await sleep(1_500)) }],
    };
    const operator = new JobOperator(new JobRepository(env.databases.batch.db), [live], {
      heartbeatIntervalMs: 50,
      heartbeatTimeoutMs: 1_000,
      checkpointIntervalMs: 0,
      logger: silentLogger,
    });
    const { done } = await operator.start('liveJob', { trigger: 'CLI' });
    const ahead = new JobRepository(env.databases.batch.db, () => new Date(Date.now() + 10 * 60_000));
    for (let i = 0; i < 10; i++) {
      expect(await ahead.abandonStale(1_000)).toEqual([]);
      await sleep(100);
    }
    expect((await done).status).toBe('COMPLETED');
  });

  it('a dead run whose writer\'s clock ran ahead is abandoned once it is silent for the timeout', async () => {
    env = await createTestEnvironment(dialect);
    const db = env.databases.batch.db as unknown as Kysely<BatchDb>;
    const ahead = new JobRepository(db, () => new Date(Date.now() + 10 * 60_000));
    const { lease } = await ahead.launch(freshRun('deadJob'));
    await ahead.heartbeat(lease);
    // Its process dies here. A sweeper with a right clock finds it silent after the timeout.
    const sweeper = new JobRepository(db);
    expect(await sweeper.abandonStale(600)).toEqual([]);
    await sleep(800);
    const abandoned = await sweeper.abandonStale(600);
    expect(abandoned.map((e) => [e.id, e.exitCode])).toEqual([[lease.id, 'ABANDONED']]);
  });
});
