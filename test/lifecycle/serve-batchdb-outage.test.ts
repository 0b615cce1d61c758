/**
 * batchdb lost under a scheduled run inside `serve` (a real process, MariaDB behind a
 * loopback proxy that the test cuts): the process stays up and says batchDb is DOWN, the
 * run ends itself when its lease runs out, and once batchdb is back the sweep marks it
 * abandoned and it restarts to completion through the API. And `serve` started while
 * batchdb refuses connections waits for it instead of exiting.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { JobRepository } from '../../src/engine/job-repository.js';
import { mintToken } from '../../src/security/token-minter.js';
import { ROOT, runCli, startChild } from '../support/child.js';
import { createTestEnvironment, mariadbUrl, type TestEnvironment } from '../support/databases.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const CLI = path.join(ROOT, 'dist/cli.js');
const SECRET = 'outage-test-secret-of-at-least-32-bytes';

describe.skipIf(!mariadbUrl)('serve through a batchdb outage (mysql)', () => {
  let env: TestEnvironment;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await env?.cleanup();
  });

  it('stays up, reports batchDb DOWN, and the run is abandoned then restarted once batchdb is back', async () => {
    env = await createTestEnvironment('mysql', { JWT_SECRET: SECRET });
    expect((await runCli(['demo-data', '--scale', '1'], env.env)).code).toBe(0);
    const target = new URL(env.env.BATCH_DB_URL!);
    proxy = await startTcpProxy(Number(target.port), target.hostname);
    // Fires once a day, at the start of this minute: the misfire check runs it at start-up,
    // so a run begins at once, and no other fire comes while the test runs. (An every-minute
    // schedule launched a new instance at the next minute once batchdb was back; it held the
    // job's one run slot and the restart below was rightly refused: 409 "already running".)
    const started = new Date();
    const serve = startChild([CLI, 'serve'], {
      ...env.env,
      BATCH_DB_URL: env.env.BATCH_DB_URL!.replace(`${target.hostname}:${target.port}`, `127.0.0.1:${proxy.port}`),
      DB_CONNECT_TIMEOUT_MS: '500',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SCHEDULER_ENABLED: 'true',
      BATCH_TIMEZONE: 'UTC',
      TOKEN_CLEANUP_CRON: `0 ${started.getUTCMinutes()} ${started.getUTCHours()} * * ?`,
      // One token per chunk keeps the run going until the outage.
      TOKEN_CLEANUP_CHUNK_SIZE: '1',
      BATCH_HEARTBEAT_INTERVAL_MS: '100',
      BATCH_HEARTBEAT_TIMEOUT_MS: '1000',
    });
    try {
      const [, port] = await serve.waitForLine(/listening on port (\d+)/);
      const [, id] = await serve.waitForLine(/tokenCleanupJob started \(execution (\d+)\)/);
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${await mintToken(env.config.jwt, { subject: 'ops', roles: ['ROLE_ADMIN'], ttl: '1h' })}` };

      await proxy.cut();
      await serve.waitForLine(/lease lost/, 10_000);
      expect((await fetch(`${base}/actuator/health/liveness`)).status).toBe(200);
      const health = await fetch(`${base}/actuator/health`, { headers });
      expect(health.status).toBe(503);
      expect(((await health.json()) as { components: Record<string, { status: string }> }).components.batchDb?.status).toBe('DOWN');

      await proxy.resume();
      const repository = new JobRepository(env.databases.batch.db);
      let status = '';
      for (let i = 0; i < 100 && status !== 'FAILED'; i++) {
        await sleep(100);
        status = (await repository.getExecutionOrThrow(Number(id))).status;
      }
      const abandoned = await repository.getExecutionOrThrow(Number(id));
      expect(abandoned.exitCode, abandoned.exitMessage ?? "").toBe("ABANDONED");

      const restart = await fetch(`${base}/api/batch/jobs/executions/${id}/restart`, { method: 'POST', headers });
      // The problem's detail says why a refusal happened (already running, not restartable).
      const launched = (await restart.json()) as { executionId: number };
      expect(restart.status, JSON.stringify(launched)).toBe(202);
      const { executionId } = launched;
      let restarted = '';
      for (let i = 0; i < 600 && !['COMPLETED', 'FAILED', 'STOPPED'].includes(restarted); i++) {
        await sleep(100);
        restarted = (await repository.getExecutionOrThrow(executionId)).status;
      }
      const ended = await repository.getExecutionOrThrow(executionId);
      expect(restarted, `${ended.exitCode}: ${ended.exitMessage ?? ''}`).toBe('COMPLETED');
      serve.process.kill('SIGTERM');
      expect((await serve.exited).code).toBe(0);
    } finally {
      serve.process.kill('SIGKILL');
    }
  }, 120_000);

  it('started while batchdb refuses connections, waits for it (DB_STARTUP_WAIT_MS) and comes up once it answers; with 0, stops at once', async () => {
    env = await createTestEnvironment('mysql', { JWT_SECRET: SECRET });
    const target = new URL(env.env.BATCH_DB_URL!);
    proxy = await startTcpProxy(Number(target.port), target.hostname);
    await proxy.cut();
    const through = { ...env.env, BATCH_DB_URL: env.env.BATCH_DB_URL!.replace(`${target.hostname}:${target.port}`, `127.0.0.1:${proxy.port}`), DB_CONNECT_TIMEOUT_MS: '500', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', BATCH_TIMEZONE: 'UTC' };

    const impatient = await runCli(['serve'], { ...through, DB_STARTUP_WAIT_MS: '0' });
    expect(impatient.code, impatient.stderr).toBe(2);
    expect(impatient.stderr).toContain('ECONNREFUSED');

    const serve = startChild([CLI, 'serve'], { ...through, DB_STARTUP_WAIT_MS: '60000' });
    try {
      await serve.waitForLine(/migrations: batchdb cannot be reached .*trying again/, 20_000);
      await proxy.resume();
      const [, port] = await serve.waitForLine(/listening on port (\d+)/, 30_000);
      expect((await fetch(`http://127.0.0.1:${port}/actuator/health/readiness`)).status).toBe(200);
      serve.process.kill('SIGTERM');
      expect((await serve.exited).code).toBe(0);
    } finally {
      serve.process.kill('SIGKILL');
    }
  }, 120_000);
});
