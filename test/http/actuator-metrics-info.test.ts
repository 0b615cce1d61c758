/** /actuator/prometheus and /actuator/info over real HTTP, after a real tokenCleanupJob run. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { insertTokens } from '../jobs/tokenCleanupJob/tokens.js';

/** The text exposition format, line by line: HELP, TYPE, or a sample `name{labels} value`. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)( -?\d+)?$/;
const COMMENT = /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/;

function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      expect(line).toMatch(COMMENT);
      continue;
    }
    expect(line).toMatch(SAMPLE);
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe.each(dialects)('actuator metrics and info (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('Prometheus output parses and carries the job, step and item metrics of a run', async () => {
    env = await createTestEnvironment(dialect, { TOKEN_CLEANUP_CHUNK_SIZE: '10' });
    const runAt = new Date('2026-06-01T02:00:00Z');
    await insertTokens(env.databases, 'refresh_tokens', Array.from({ length: 25 }, (_, i) => ({ expiry: new Date(runAt.getTime() - (i + 1) * 60_000) })));
    await insertTokens(env.databases, 'password_reset_tokens', [{ expiry: new Date(runAt.getTime() - 1000) }, { expiry: new Date(runAt.getTime() + 1000) }]);
    app = await createApp(env.config, silentLogger);
    const server = await buildServer(app);
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const before = parseExposition(await (await fetch(`${address}/actuator/prometheus`)).text());
      const { done } = await app.operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, trigger: 'MANUAL' });
      expect((await done).status).toBe('COMPLETED');

      const response = await fetch(`${address}/actuator/prometheus`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const after = parseExposition(await response.text());
      const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
      const step = (name: string) => `{job_name="tokenCleanupJob",step_name="${name}"}`;

      expect(delta('spring_batch_job_seconds_count{name="tokenCleanupJob",status="COMPLETED"}')).toBe(1);
      expect(delta('spring_batch_step_seconds_count{name="cleanupRefreshTokensStep",job_name="tokenCleanupJob",status="COMPLETED"}')).toBe(1);
      expect(delta(`batch_items_read_total${step('cleanupRefreshTokensStep')}`)).toBe(25);
      expect(delta(`batch_items_written_total${step('cleanupRefreshTokensStep')}`)).toBe(25);
      expect(delta(`batch_items_written_total${step('cleanupPasswordResetTokensStep')}`)).toBe(1);
      expect(delta(`batch_items_skipped_total${step('cleanupRefreshTokensStep')}`)).toBe(0);
      expect(delta(`batch_chunk_seconds_count${step('cleanupRefreshTokensStep')}`)).toBe(3);
      expect(after.get('spring_batch_job_active{name="tokenCleanupJob"}')).toBe(0);
      expect(after.get('batch_job_success_ratio')).toBeGreaterThan(0);
      expect(after.has('batch_scheduled_jobs')).toBe(true);
      expect(after.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(after.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('info shows the version, the commit, the jobs and their schedules with next fire times', async () => {
    env = await createTestEnvironment(dialect, { BATCH_TIMEZONE: 'Europe/Paris', GIT_COMMIT: 'abc1234', TOKEN_CLEANUP_CRON: '0 30 1 * * ?' });
    app = await createApp(env.config, silentLogger);
    const server = await buildServer(app);
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const info = (await (await fetch(`${address}/actuator/info`)).json()) as {
        build: { name: string; version: string };
        git: { commit: { id: string } };
        jobs: { name: string; cron: string }[];
        scheduler: { enabled: boolean; timeZone: string };
        schedules: { jobName: string; cron: string; nextFireTimes: string[] }[];
      };
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      expect(info.build).toMatchObject({ name: 'batch-service', version: pkg.version });
      expect(info.git.commit.id).toBe('abc1234');
      expect(info.jobs).toContainEqual(expect.objectContaining({ name: 'tokenCleanupJob', cron: '0 30 1 * * ?' }));
      expect(info.scheduler).toMatchObject({ enabled: false, timeZone: 'Europe/Paris' });
      const [schedule] = info.schedules;
      expect(info.schedules.map((s) => s.jobName)).toEqual(['tokenCleanupJob', 'dureeDoctoratAlertJob', 'monthlyReportJob', 'archiveJob', 'dataConsistencyJob']);
      expect(schedule?.cron).toBe('0 30 1 * * ?');
      expect(schedule?.nextFireTimes).toHaveLength(3);
      const [first, second] = schedule!.nextFireTimes.map((t) => new Date(t));
      expect(first!.getTime()).toBeGreaterThan(Date.now() - 1000);
      const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      expect(paris.format(first!)).toBe('01:30');
      expect(paris.format(second!)).toBe('01:30');
    } finally {
      await server.close();
    }
  });
});
