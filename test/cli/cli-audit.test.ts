/**
 * 10.8 from the command line: `run`, `stop` and `restart` write audit entries like the
 * API's, with the operating-system account as the actor (os.userInfo(): the children here
 * run without $USER, as under many supervisors) and the host as the client.
 */
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/engine/types.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { runCli } from '../support/child.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';
import { operatorFor } from '../engine/harness.js';

describe('CLI actions are audited', () => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('run, stop and restart each leave an entry naming the OS user and the host', async () => {
    env = await createTestEnvironment('sqlite');
    expect(env.env.USER).toBeUndefined();
    // A run in this process that lasts until it is asked to stop, under the real job's name
    // so that the CLI can restart it as tokenCleanupJob.
    const lingering: JobDefinition = {
      name: 'tokenCleanupJob',
      description: 'waits to be stopped',
      steps: [{ kind: 'tasklet', name: 'waitStep', run: async (ctx) => {
        while (!ctx.signal.aborted) await sleep(20);
        throw ctx.signal.reason as Error;
      } }],
    };
    const operator = operatorFor(env.databases, [lingering], { heartbeatIntervalMs: 50 });
    const { execution, done } = await operator.start('tokenCleanupJob', { trigger: 'CLI' });

    const stop = await runCli(['stop', String(execution.id)], env.env);
    expect(stop.code, stop.stderr).toBe(0);
    expect((await done).status).toBe('STOPPED');
    const restart = await runCli(['restart', String(execution.id)], env.env);
    expect(restart.code, restart.stderr).toBe(0);
    const run = await runCli(['run', 'tokenCleanupJob', '--param', 'runAt=2026-12-02T02:00:00Z'], env.env);
    expect(run.code, run.stderr).toBe(0);

    const entries = (await new AuditLog(env.databases.batch.db).list(0, 50)).items.filter((e) => e.action !== 'JOB_EXECUTION_END').reverse();
    expect(entries.map((e) => e.action)).toEqual(['JOB_STOP', 'JOB_RESTART', 'JOB_RUN']);
    for (const entry of entries) {
      expect(entry.actor).toBe(userInfo().username);
      expect(entry.clientAddress).toBe(hostname());
    }
    expect(entries[0]?.target).toBe(`tokenCleanupJob#${execution.id}`);
    expect(entries[1]?.details).toEqual({ restartOf: execution.id });
    expect(entries[2]?.details).toEqual({ parameters: { runAt: '2026-12-02T02:00:00Z' }, dryRun: false });
  }, 60_000);
});
