/**
 * A tasklet's counts are committed with its state: a failure records the last pair that
 * was saved, never a state whose save failed. Recording that state beside older counts
 * made a restart skip work its counts lacked (the fault harness: 0 notifications counted
 * of 51 after a save that waited on a locked execution row, then failed).
 */
import { describe, expect, it } from 'vitest';
import { runTaskletStep } from '../../src/engine/tasklet-step.js';
import type { StepRuntime } from '../../src/engine/step-runtime.js';
import { ZERO_COUNTS, type StepExecution, type TaskletStep } from '../../src/engine/types.js';
import { silentLogger } from '../../src/observability/logger.js';

describe('a tasklet whose save fails', () => {
  it('ends with the last state and counts saved together', async () => {
    const saved: StepExecution[] = [];
    let saves = 0;
    const stepExecution = { id: 1, jobExecutionId: 1, stepName: 'pagesStep', status: 'STARTED', exitCode: 'EXECUTING', exitMessage: null, counts: ZERO_COUNTS, context: {}, estimatedTotal: null, startTime: new Date(), endTime: null } as unknown as StepExecution;
    const runtime = {
      stepExecution,
      context: { signal: new AbortController().signal, dryRun: false },
      saveProgress: async (step: StepExecution) => {
        if (++saves === 2) throw Object.assign(new Error('Lock wait timeout exceeded'), { code: 'ER_LOCK_WAIT_TIMEOUT' });
        saved.push(step);
      },
      stopRequested: () => false,
      log: silentLogger,
    } as unknown as StepRuntime;
    const step: TaskletStep = {
      kind: 'tasklet',
      name: 'pagesStep',
      run: async (ctx) => {
        ctx.count({ read: 10, write: 10 });
        await ctx.saveState({ lastKey: 10 });
        ctx.count({ read: 10, write: 10 });
        await ctx.saveState({ lastKey: 20 });
      },
    };

    const outcome = await runTaskletStep(step, runtime);
    expect(outcome.execution.status).toBe('FAILED');
    expect(saved).toHaveLength(1);
    expect(outcome.execution.context).toEqual({ lastKey: 10 });
    expect(outcome.execution.counts).toMatchObject({ read: 10, write: 10 });
  });
});
