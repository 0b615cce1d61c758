/**
 * `batch-service stop` on a run whose process died: the command finds it abandoned and the
 * listeners record its end (audit entry, failure mail) in the background; the command must
 * wait for them before it closes its databases, or the entry is lost ("driver has already
 * been destroyed").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/engine/types.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { runCli } from '../support/child.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';
import { lapseLeases } from '../support/leases.js';
import { operatorFor } from '../engine/harness.js';

describe('stop on a dead run', () => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('records the end of the abandoned run before the command exits', async () => {
    env = await createTestEnvironment('sqlite');
    const lingering: JobDefinition = {
      name: 'tokenCleanupJob',
      description: 'never heartbeats again, as if its process had died',
      steps: [{ kind: 'tasklet', name: 'waitStep', run: async (ctx) => {
        while (!ctx.signal.aborted) await sleep(20);
      } }],
    };
    // Its own process would beat again in an hour; its lease, lapsed now, says it died.
    const owner = operatorFor(env.databases, [lingering], { heartbeatIntervalMs: 3_600_000, heartbeatTimeoutMs: 7_200_000 });
    const { execution } = await owner.start('tokenCleanupJob', { trigger: 'CLI' });
    expect(await lapseLeases(env.databases.batch.db, execution.id)).toBe(1);

    const stop = await runCli(['stop', String(execution.id)], env.env);
    expect(stop.stderr).not.toMatch(/destroyed/);
    const ends = (await new AuditLog(env.databases.batch.db).list(0, 50)).items.filter((e) => e.action === 'JOB_EXECUTION_END' && e.target === `tokenCleanupJob#${execution.id}`);
    expect(ends, stop.stderr).toHaveLength(1);
  }, 60_000);
});
