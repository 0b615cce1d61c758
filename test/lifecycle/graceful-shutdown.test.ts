/**
 * SIGTERM to the built command line in the middle of a run: the running chunk finishes,
 * the execution ends STOPPED and restarts to completion — for `run` (summary, exit 1) and
 * for `serve` (scheduler, HTTP, Eureka deregistration, exit 0).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobRepository } from '../../src/engine/job-repository.js';
import { ROOT, runCli, startChild } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { startFakeEureka, type FakeEureka } from '../discovery/fake-eureka.js';

const CLI = path.join(ROOT, 'dist/cli.js');

describe.each(dialects)('graceful shutdown (%s)', (dialect) => {
  let env: TestEnvironment;
  let eureka: FakeEureka | undefined;
  afterEach(async () => {
    await eureka?.close();
    await env?.cleanup();
  });

  it('SIGTERM stops `run` and then `serve` at a chunk boundary; both executions restart to COMPLETED', async () => {
    // One-item chunks with a checkpoint each keep the run going long after its first line.
    env = await createTestEnvironment(dialect, { TOKEN_CLEANUP_CHUNK_SIZE: '1', BATCH_CHECKPOINT_INTERVAL_MS: '0' });
    expect((await runCli(['demo-data', '--scale', '1'], env.env)).code).toBe(0);
    const repository = new JobRepository(env.databases.batch.db);

    const run = startChild([CLI, 'run', 'tokenCleanupJob'], { ...env.env, LOG_LEVEL: 'info' });
    await run.waitForStderr(/tokenCleanupJob started \(execution \d+\)/);
    run.process.kill('SIGTERM');
    const ran = await run.exited;
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/tokenCleanupJob execution \d+: STOPPED/);
    const runId = Number(ran.stdout.match(/restart with: batch-service restart (\d+)/)?.[1]);
    expect((await repository.getExecutionOrThrow(runId)).status).toBe('STOPPED');

    // serve: a schedule firing every minute is a misfire at start-up, so a run begins at once.
    eureka = await startFakeEureka();
    const serve = startChild([CLI, 'serve'], {
      ...env.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SCHEDULER_ENABLED: 'true',
      TOKEN_CLEANUP_CRON: '0 * * * * ?',
      EUREKA_URL: eureka.url,
      EUREKA_INSTANCE_HOST: 'localhost',
    });
    const [, port] = await serve.waitForLine(/listening on port (\d+)/);
    const [, serveRunId] = await serve.waitForLine(/tokenCleanupJob started \(execution (\d+)\)/);
    await eureka.waitFor((r) => r.method === 'POST' && r.status === 204);
    expect((await fetch(`http://127.0.0.1:${port}/actuator/health/liveness`)).status).toBe(200);
    serve.process.kill('SIGTERM');
    const served = await serve.exited;
    expect(served.code).toBe(0);
    expect(served.stdout).toContain('shutdown complete');
    expect(eureka.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 200 });
    const stopped = await repository.getExecutionOrThrow(Number(serveRunId));
    expect([stopped.status, stopped.trigger, stopped.triggeredBy]).toEqual(['STOPPED', 'SCHEDULED', 'scheduler (misfire)']);
    await expect(fetch(`http://127.0.0.1:${port}/actuator/health`)).rejects.toThrow();

    for (const id of [runId, Number(serveRunId)]) {
      // The chunk size is configuration, not an identifying parameter: the restarts may take bigger chunks.
      const restarted = await runCli(['restart', String(id), '--json'], { ...env.env, TOKEN_CLEANUP_CHUNK_SIZE: '100', BATCH_CHECKPOINT_INTERVAL_MS: '1000' });
      expect(restarted.code).toBe(0);
      expect((JSON.parse(restarted.stdout) as { status: string }).status).toBe('COMPLETED');
    }
    const left = await env.databases.user.db
      .selectFrom('refresh_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expiry_date', '<', stopped.parameters.runAt!.value.replace('T', ' ').replace('Z', ''))
      .executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(0);
  }, 180_000);
});

describe('serve with its surroundings down', () => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('starts and answers when Eureka is unreachable, reports the unreachable database, stays up and stops on SIGTERM', async () => {
    env = await createTestEnvironment('sqlite');
    const serve = startChild([CLI, 'serve'], {
      ...env.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      EUREKA_URL: 'http://127.0.0.1:1/eureka/',
      NOTIFICATION_DB_URL: 'mysql://nobody:secret-pw@127.0.0.1:1/notificationdb',
      DB_CONNECT_TIMEOUT_MS: '500',
    });
    const [, port] = await serve.waitForLine(/listening on port (\d+)/);
    await serve.waitForLine(/Eureka registration failed; retrying/);
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/actuator/health`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { components: Record<string, { status: string }> };
      expect(body.components.notificationDb?.status).toBe('DOWN');
      expect(body.components.batchDb?.status).toBe('UP');
    }
    expect((await fetch(`http://127.0.0.1:${port}/actuator/health/readiness`)).status).toBe(200);
    expect(serve.process.exitCode).toBeNull();
    serve.process.kill('SIGTERM');
    const result = await serve.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('secret-pw');
  });
});
