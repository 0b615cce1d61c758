/**
 * 10.6: one audit entry per job execution end, whoever launched it, written by one engine
 * listener.
 *
 * Exactly once, crash or not. The entry is appended after the end commits (the audit
 * chain's append retries on a concurrent appender, which the end's own transaction could
 * not), in the audit log's transaction together with a guarded update of the execution's
 * `end_audited_at` (`… WHERE end_audited_at IS NULL`): whoever appends it first — the
 * run's own process, or `serve` catching up — appends it alone. A process that dies
 * between its end and the entry leaves the column NULL; `recordMissed` (at `serve`'s
 * start, then at each round) appends those entries from what the repository holds.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../db/sql-time.js';
import { skipCount, type BatchListener, type JobExecution, type StepExecution } from '../engine/types.js';
import type { AuditEvent, AuditLog } from './audit-log.js';

/** What the catch-up reads an ended execution and its steps with (the job repository). */
export interface EndedExecutions {
  getExecution(id: number): Promise<JobExecution | undefined>;
  stepExecutions(id: number): Promise<readonly StepExecution[]>;
}

const ROUND = 100;

export class EndAudit {
  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly audit: AuditLog,
    private readonly executions: EndedExecutions,
  ) {}

  listener(): BatchListener {
    return { afterJob: async (execution, steps) => void (await this.record(execution, steps)) };
  }

  /** Appends the entry unless one was already appended for this end; true when this call did. */
  async record(execution: JobExecution, steps: readonly StepExecution[]): Promise<boolean> {
    const entries = await this.audit.appendWith(async (trx) => {
      const marked = await trx
        .updateTable('batch_job_execution')
        .set({ end_audited_at: sqlTimestampMillis(new Date()) })
        .where('id', '=', execution.id)
        .where('end_audited_at', 'is', null)
        .where('end_time', 'is not', null)
        .executeTakeFirst();
      return Number(marked.numUpdatedRows) === 1 ? [endEntry(execution, steps)] : [];
    });
    return entries.length > 0;
  }

  /** `recordMissed` now, then every `intervalMs` until the returned function is called. */
  every(intervalMs: number, logger: Logger): () => void {
    let inFlight = false;
    const round = () => {
      if (inFlight) return;
      inFlight = true;
      this.recordMissed().finally(() => (inFlight = false)).catch((error: unknown) => logger.warn({ err: error }, 'catching up missed JOB_EXECUTION_END audit entries failed; trying again later'));
    };
    round();
    const timer = setInterval(round, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The ends whose entry a dead process never appended, oldest first; how many this call appended. */
  async recordMissed(): Promise<number> {
    let appended = 0;
    let after = 0;
    for (;;) {
      const rows = await this.db.selectFrom('batch_job_execution').select('id').where('end_audited_at', 'is', null).where('end_time', 'is not', null).where('id', '>', after).orderBy('id').limit(ROUND).execute();
      for (const row of rows) {
        const execution = await this.executions.getExecution(Number(row.id));
        if (execution && (await this.record(execution, await this.executions.stepExecutions(execution.id)))) appended++;
      }
      if (rows.length < ROUND) return appended;
      after = Number(rows.at(-1)!.id);
    }
  }
}

function endEntry(execution: JobExecution, steps: readonly StepExecution[]): AuditEvent {
  const sum = (pick: (counts: StepExecution['counts']) => number) => steps.reduce((total, s) => total + pick(s.counts), 0);
  return {
    action: 'JOB_EXECUTION_END',
    actor: execution.triggeredBy,
    target: `${execution.jobName}#${execution.id}`,
    details: {
      status: execution.status,
      exitCode: execution.exitCode,
      exitMessage: execution.exitMessage,
      trigger: execution.trigger,
      dryRun: execution.dryRun,
      parameters: Object.fromEntries(Object.entries(execution.parameters).map(([k, p]) => [k, p.value])),
      read: sum((c) => c.read),
      written: sum((c) => c.write),
      ...(execution.dryRun ? { wouldWrite: sum((c) => c.wouldWrite) } : {}),
      skipped: sum(skipCount),
    },
  };
}
