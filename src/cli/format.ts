/** How the command line shows executions: a readable table, or JSON for scripts. */
import { executionJson } from '../engine/execution-json.js';
import { jobFigures, type Json, type JobExecution, type StepExecution } from '../engine/types.js';

const WOULD_CHANGE_SHOWN = 10;

export function formatSeconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * @param dryRunWords the job's phrases for its dry-run figures (`JobDefinition.dryRunWords`):
 * a dry run's summary says « would delete 250,027 refresh tokens », never a bare figure that
 * could pass for a deletion.
 */
export function executionSummary(execution: JobExecution, steps: readonly StepExecution[], dryRunWords: Readonly<Record<string, string>> = {}): string {
  const json = executionJson(execution, steps);
  const lines = [
    `${execution.jobName} execution ${execution.id}: ${execution.status}` +
      (execution.exitCode !== execution.status ? ` (${execution.exitCode})` : '') +
      ` in ${formatSeconds(json.durationMs)}` +
      (execution.dryRun ? ' — DRY RUN, nothing was changed' : ''),
    `  parameters: ${Object.entries(json.parameters).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}`,
  ];
  if (execution.exitMessage) lines.push(`  ${execution.exitMessage}`);
  // A dry run writes nothing: its written column is 0 and what it would have written has its own.
  const header = ['step', 'status', 'read', 'written', ...(execution.dryRun ? ['would write'] : []), 'filtered', 'skipped', 'commits', 'rollbacks', 'duration'];
  const rows = json.steps.map((s) => [
    s.name,
    s.exitCode === 'NOOP' ? 'NOOP' : s.status,
    String(s.read),
    String(s.write),
    ...(execution.dryRun ? [String(s.wouldWrite)] : []),
    String(s.filter),
    String(s.skip),
    String(s.commit),
    String(s.rollback),
    formatSeconds(s.durationMs),
  ]);
  if (rows.length > 0) lines.push(...table([header, ...rows]).map((l) => `  ${l}`));
  const { dryRun, figures: all } = jobFigures(execution);
  const { wouldChange, ...figures } = all;
  if (dryRun) lines.push(...wouldDo(figures, dryRunWords).map((l) => `  ${l}`));
  else {
    const metrics = Object.entries(figures);
    if (metrics.length > 0) lines.push(`  metrics: ${metrics.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
  }
  // A dry run's audit-mode lists (dataConsistencyJob): one line each, the first few shown.
  if (wouldChange && typeof wouldChange === 'object' && !Array.isArray(wouldChange)) {
    lines.push('  would change:');
    for (const [what, listing] of Object.entries(wouldChange)) {
      const { count, first } = listing as { count: number; first: string[] };
      lines.push(`    ${what}: ${count === 0 ? 'nothing' : count}`);
      for (const item of first.slice(0, WOULD_CHANGE_SHOWN)) lines.push(`      ${item}`);
      if (count > WOULD_CHANGE_SHOWN) lines.push(`      … and ${count - WOULD_CHANGE_SHOWN} more${first.length > WOULD_CHANGE_SHOWN ? ` (--json lists ${first.length === count ? 'them' : `the first ${first.length}`})` : ''}`);
    }
  }
  if (execution.status === 'FAILED' || execution.status === 'STOPPED') {
    lines.push(`  restart with: batch-service restart ${execution.id}`);
  }
  return lines.join('\n');
}

/** A dry run's figures in the job's words, one per line; figures it gave no words for, together on a last line. */
function wouldDo(figures: Readonly<Record<string, Json>>, words: Readonly<Record<string, string>>): string[] {
  const lines: string[] = [];
  const unworded: string[] = [];
  for (const [name, value] of Object.entries(figures)) {
    const phrase = words[name];
    if (phrase !== undefined && typeof value === 'number') lines.push(phrase.replace('{n}', value.toLocaleString('en-US')));
    else unworded.push(`${name}=${JSON.stringify(value)}`);
  }
  if (unworded.length > 0) lines.push(`would be: ${unworded.join(' ')}`);
  return lines;
}

export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
}
