/** 10.6: one audit entry per job execution end, whoever launched it, written by one engine listener. */
import { skipCount, type BatchListener } from '../engine/types.js';
import type { AuditLog } from './audit-log.js';

export function auditListener(audit: AuditLog): BatchListener {
  return {
    async afterJob(execution, steps) {
      const sum = (pick: (counts: (typeof steps)[number]['counts']) => number) => steps.reduce((total, s) => total + pick(s.counts), 0);
      await audit.append({
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
      });
    },
  };
}
