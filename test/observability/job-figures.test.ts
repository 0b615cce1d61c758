/**
 * Job figures in Prometheus (issue: "job figures"): a per-process counter of each job's
 * own metrics, and gauges read from batchdb — the last completed run's figures, the last
 * success and the last failure — that every replica reports alike. The whole output
 * passes `promtool check metrics` (Debian's prometheus package) when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { createBatchMetrics, prometheusText } from '../../src/observability/metrics.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { insertTokens } from '../jobs/tokenCleanupJob/tokens.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe.each(dialects)('job figures in Prometheus (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('counts each run’s figures, and reads the last run’s figures and the last success and failure from batchdb', async () => {
    env = await createTestEnvironment(dialect);
    const runAt = new Date('2026-06-01T02:00:00Z');
    await insertTokens(env.databases, 'refresh_tokens', Array.from({ length: 7 }, (_, i) => ({ expiry: new Date(runAt.getTime() - (i + 1) * 60_000) })));
    app = await createApp(env.config, silentLogger);
    const scrape = () => prometheusText(app!.metrics.registry);
    const series = (metric: string) => `batch_job_metric_total{job_name="tokenCleanupJob",metric="${metric}"}`;
    const before = sample(await scrape(), series('refreshTokensDeleted')) ?? 0;

    const ran = await (await app.operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, trigger: 'CLI' })).done;
    expect(ran.status).toBe('COMPLETED');
    // A dry run adds to no series: not its "would delete" figures, items or durations.
    const untouchedByDryRuns = [
      series('refreshTokensDeleted'),
      'batch_items_read_total{job_name="tokenCleanupJob",step_name="cleanupRefreshTokensStep"}',
      'batch_items_written_total{job_name="tokenCleanupJob",step_name="cleanupRefreshTokensStep"}',
      'batch_items_filtered_total{job_name="tokenCleanupJob",step_name="cleanupRefreshTokensStep"}',
      'spring_batch_job_seconds_count{name="tokenCleanupJob",status="COMPLETED"}',
      'spring_batch_step_seconds_count{name="cleanupRefreshTokensStep",job_name="tokenCleanupJob",status="COMPLETED"}',
      'batch_chunk_seconds_count{job_name="tokenCleanupJob",step_name="cleanupRefreshTokensStep"}',
    ];
    const afterRealRun = await scrape();
    const figuresBefore = untouchedByDryRuns.map((s) => sample(afterRealRun, s));
    expect(figuresBefore.every((v) => v !== undefined), `${untouchedByDryRuns.join(', ')} = ${figuresBefore.join(', ')}`).toBe(true);
    await insertTokens(env.databases, 'refresh_tokens', [{ expiry: new Date(runAt.getTime() - 1000) }]);
    const dry = await (await app.operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, dryRun: true, trigger: 'CLI' })).done;
    expect(dry.status).toBe('COMPLETED');
    expect(dry.metrics).toEqual({ dryRun: expect.objectContaining({ refreshTokensDeleted: 1 }) });

    const text = await scrape();
    expect(untouchedByDryRuns.map((s) => sample(text, s))).toEqual(figuresBefore);
    expect(sample(text, series('refreshTokensDeleted'))! - before).toBe(7);
    expect(sample(text, `batch_job_last_run_metric{job_name="tokenCleanupJob",metric="refreshTokensDeleted"}`)).toBe(7);
    expect(sample(text, `batch_job_last_run_metric{job_name="tokenCleanupJob",metric="totalDeleted"}`)).toBe(7);
    expect(sample(text, `batch_job_last_success_timestamp_seconds{job_name="tokenCleanupJob"}`)).toBe(ran.endTime!.getTime() / 1000);
    expect(sample(text, `batch_job_last_failure_timestamp_seconds{job_name="tokenCleanupJob"}`)).toBeUndefined();

    // A failure, seen by another app on the same batchdb (a replica), from batchdb alone.
    await env.databases.user.db.schema.dropTable('password_reset_tokens').execute();
    const failed = await (await app.operator.start('tokenCleanupJob', { trigger: 'CLI' })).done;
    expect(failed.status).toBe('FAILED');
    const replica = await createApp(env.config, silentLogger);
    try {
      // The replica's scrape, and this app's: both read batchdb at scrape time, right after the run.
      for (const seen of [await prometheusText(replica.metrics.registry), await scrape()]) {
        expect(sample(seen, `batch_job_last_failure_timestamp_seconds{job_name="tokenCleanupJob"}`)).toBe(failed.endTime!.getTime() / 1000);
        expect(sample(seen, `batch_job_last_run_metric{job_name="tokenCleanupJob",metric="refreshTokensDeleted"}`)).toBe(7);
      }
    } finally {
      await replica.close();
    }
  });

  it.skipIf(!promtool)('promtool check metrics reports nothing on the whole output', async () => {
    env = await createTestEnvironment(dialect);
    app = await createApp(env.config, silentLogger);
    expect((await (await app.operator.start('tokenCleanupJob', { trigger: 'CLI' })).done).status).toBe('COMPLETED');
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: await prometheusText(app.metrics.registry), encoding: 'utf8' });
    expect(`${checked.stdout}${checked.stderr}`.trim()).toBe('');
    expect(checked.status).toBe(0);
  });
});

describe.skipIf(!promtool)('the alerting rules of the README and the runbook', () => {
  it.each([
    ['README.md', 3],
    ['docs/operations.md', undefined],
  ] as const)('%s: pass promtool check rules and use only metrics the service exports', (file, count) => {
    const readme = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
    const rules = /```yaml\n(groups:[\s\S]*?)```/.exec(readme)?.[1];
    expect(rules).toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'rules-'));
    try {
      writeFileSync(path.join(dir, 'rules.yml'), rules!);
      const checked = spawnSync('promtool', ['check', 'rules', path.join(dir, 'rules.yml')], { encoding: 'utf8' });
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
      expect(checked.stdout).toMatch(count === undefined ? /SUCCESS: \d+ rules found/ : new RegExp(`SUCCESS: ${count} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { registry } = createBatchMetrics();
    for (const metric of rules!.match(/batch_[a-z_]+/g) ?? []) {
      expect(registry.getSingleMetric(metric), metric).toBeDefined();
    }
  });
});
