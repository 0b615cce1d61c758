import { LeaseLostError, StepTimeoutError } from './errors.js';
import type { StepOutcome, StepRuntime } from './step-runtime.js';
import type { JsonObject, StepCounts, TaskletStep } from './types.js';

/**
 * Runs a tasklet once. Its context's signal is aborted by a stop request, by the step's
 * timeout and by a lost lease; a tasklet watches it between units of work (each mail,
 * each file) and gives up by throwing. The step ends when the tasklet's promise settles,
 * never before, so nothing of it runs after its end is recorded:
 * - settled normally: COMPLETED (a stop asked meanwhile takes effect before the next step);
 * - gave up after a stop request: STOPPED, and a restart runs it again with the state it
 *   saved (`saveState`, persisted at once: "mails already sent: …");
 * - gave up after the timeout, or failed: FAILED, with the timeout's message.
 */
export async function runTaskletStep(step: TaskletStep, runtime: StepRuntime): Promise<StepOutcome> {
  const counts: { -readonly [K in keyof StepCounts]: StepCounts[K] } = { ...runtime.stepExecution.counts };
  let state: JsonObject = runtime.stepExecution.context;
  const snapshot = () => ({ ...runtime.stepExecution, counts: { ...counts }, context: state });
  const { signal } = runtime.context;
  let warning: string | null = null;
  try {
    await step.run({
      ...runtime.context,
      count(delta) {
        for (const [key, value] of Object.entries(delta) as [keyof StepCounts, number][]) {
          // One rule for every tasklet: a dry run writes nothing, what it counts as written it would write.
          counts[key === 'write' && runtime.context.dryRun ? 'wouldWrite' : key] += value;
        }
      },
      async saveState(next) {
        state = next;
        await runtime.saveProgress(snapshot());
      },
      warn(message) {
        warning = warning === null ? message : `${warning}; ${message}`;
      },
    });
    counts.commit++;
    return { execution: { ...snapshot(), status: 'COMPLETED', exitCode: 'COMPLETED', exitMessage: warning } };
  } catch (error) {
    counts.rollback++;
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    if (runtime.stopRequested() && reason !== undefined && !(reason instanceof StepTimeoutError) && !(reason instanceof LeaseLostError)) {
      return { execution: { ...snapshot(), status: 'STOPPED', exitCode: 'STOPPED', exitMessage: 'stopped on request' } };
    }
    const cause = reason instanceof StepTimeoutError || reason instanceof LeaseLostError ? reason : error;
    const message = cause instanceof Error ? cause.message : String(cause);
    return { execution: { ...snapshot(), status: 'FAILED', exitCode: 'FAILED', exitMessage: message }, error: cause };
  }
}
