/** How the command line shows executions: a readable table, or JSON for scripts. */
import { skipCount, type BatchListener, type JobExecution, type JobExecutionSummary, type StepExecution } from '../engine/types.js';

/** The fields every listing shows, in the API and on the command line. */
export function executionSummaryJson(execution: JobExecutionSummary) {
  return {
    id: execution.id,
    jobName: execution.jobName,
    status: execution.status,
    exitCode: execution.exitCode,
    exitMessage: execution.exitMessage,
    parameters: Object.fromEntries(Object.entries(execution.parameters).map(([k, p]) => [k, p.value])),
    dryRun: execution.dryRun,
    trigger: execution.trigger,
    triggeredBy: execution.triggeredBy,
    restartOf: execution.restartOf,
    startTime: execution.startTime?.toISOString() ?? null,
    endTime: execution.endTime?.toISOString() ?? null,
    durationMs: durationMs(execution.startTime, execution.endTime),
  };
}

export function executionJson(execution: JobExecution, steps: readonly StepExecution[]) {
  return {
    ...executionSummaryJson(execution),
    metrics: execution.metrics,
    steps: steps.map((s) => ({
      name: s.stepName,
      status: s.status,
      exitCode: s.exitCode,
      exitMessage: s.exitMessage,
      ...s.counts,
      skip: skipCount(s.counts),
      durationMs: durationMs(s.startTime, s.endTime),
    })),
  };
}

function durationMs(start: Date | null, end: Date | null): number | null {
  return start && end ? end.getTime() - start.getTime() : null;
}

export function formatSeconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`;
}

export function executionSummary(execution: JobExecution, steps: readonly StepExecution[]): string {
  const json = executionJson(execution, steps);
  const lines = [
    `${execution.jobName} execution ${execution.id}: ${execution.status}` +
      (execution.exitCode !== execution.status ? ` (${execution.exitCode})` : '') +
      ` in ${formatSeconds(json.durationMs)}` +
      (execution.dryRun ? ' — DRY RUN, nothing was changed' : ''),
    `  parameters: ${Object.entries(json.parameters).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}`,
  ];
  if (execution.exitMessage) lines.push(`  ${execution.exitMessage}`);
  const header = ['step', 'status', 'read', 'written', 'filtered', 'skipped', 'commits', 'rollbacks', 'duration'];
  const rows = json.steps.map((s) => [
    s.name,
    s.exitCode === 'NOOP' ? 'NOOP' : s.status,
    String(s.read),
    String(s.write),
    String(s.filter),
    String(s.skip),
    String(s.commit),
    String(s.rollback),
    formatSeconds(s.durationMs),
  ]);
  if (rows.length > 0) lines.push(...table([header, ...rows]).map((l) => `  ${l}`));
  const metrics = Object.entries(execution.metrics);
  if (metrics.length > 0) lines.push(`  metrics: ${metrics.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
  if (execution.status === 'FAILED' || execution.status === 'STOPPED') {
    lines.push(`  restart with: batch-service restart ${execution.id}`);
  }
  return lines.join('\n');
}

export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
}

/** A single self-rewriting line on a terminal while a long run goes on; nothing elsewhere. */
export function progressListener(stream: NodeJS.WriteStream): BatchListener {
  let lastDraw = 0;
  let stepStart = Date.now();
  return {
    beforeStep() {
      stepStart = Date.now();
    },
    afterChunk(execution, step) {
      const now = Date.now();
      if (now - lastDraw < 250) return;
      lastDraw = now;
      const rate = Math.round(step.counts.read / Math.max(0.001, (now - stepStart) / 1000));
      stream.write(`\r\x1b[K${execution.jobName} › ${step.stepName}: read ${step.counts.read}, written ${step.counts.write} (${rate}/s)`);
    },
    afterStep() {
      stream.write('\r\x1b[K');
    },
  };
}
