/**
 * 6.7: totals, success rate, per-job counts and mean duration, aggregated by the
 * database from `job_execution_history` (8.10), whose `duration_ms` is the same on
 * both engines, so no date arithmetic differs between them.
 */
import type { Kysely } from 'kysely';
import type { Static } from 'typebox';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { JobStatsView, StatsView } from './schemas.js';

const ENDED = new Set(['COMPLETED', 'FAILED', 'STOPPED']);

export async function jobStats(db: Kysely<BatchDb>, jobNames: readonly string[]): Promise<Static<typeof StatsView>> {
  const rows = await db
    .selectFrom('job_execution_history')
    .select((eb) => [
      'job_name',
      'status',
      eb.fn.countAll<number>().as('n'),
      eb.fn.count<number>('duration_ms').as('timed'),
      eb.fn.sum<number>('duration_ms').as('total_ms'),
    ])
    .groupBy(['job_name', 'status'])
    .execute();
  const names = [...new Set([...jobNames, ...rows.map((r) => r.job_name)])];
  const jobs = names.map((jobName) => {
    const mine = rows.filter((r) => r.job_name === jobName);
    const byStatus = Object.fromEntries(mine.map((r) => [r.status, Number(r.n)]));
    const timed = mine.reduce((n, r) => n + Number(r.timed), 0);
    const totalMs = mine.reduce((n, r) => n + Number(r.total_ms ?? 0), 0);
    return {
      jobName,
      executions: mine.reduce((n, r) => n + Number(r.n), 0),
      byStatus,
      successRate: successRate(byStatus),
      meanDurationMs: timed === 0 ? null : Math.round(totalMs / timed),
    } satisfies Static<typeof JobStatsView>;
  });
  const byStatus: Record<string, number> = {};
  for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + Number(r.n);
  return { totalExecutions: jobs.reduce((n, j) => n + j.executions, 0), byStatus, successRate: successRate(byStatus), jobs };
}

/** COMPLETED among ended executions; running ones are not counted yet. */
function successRate(byStatus: Readonly<Record<string, number>>): number | null {
  const ended = Object.entries(byStatus).filter(([status]) => ENDED.has(status)).reduce((n, [, count]) => n + count, 0);
  return ended === 0 ? null : (byStatus.COMPLETED ?? 0) / ended;
}
