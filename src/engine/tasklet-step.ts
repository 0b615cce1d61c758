import { StepTimeoutError } from './errors.js';
import type { StepOutcome, StepRuntime } from './step-runtime.js';
import type { JsonObject, StepCounts, TaskletStep } from './types.js';

/**
 * Runs a tasklet once. A timeout fails the step and aborts the context's signal; the
 * tasklet is expected to watch that signal between units of work.
 */
export async function runTaskletStep(step: TaskletStep, runtime: StepRuntime): Promise<StepOutcome> {
  const counts: { -readonly [K in keyof StepCounts]: StepCounts[K] } = { ...runtime.stepExecution.counts };
  let state: JsonObject = runtime.stepExecution.context;
  const snapshot = () => ({ ...runtime.stepExecution, counts: { ...counts }, context: state });
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = step.run({
      ...runtime.context,
      count(delta) {
        for (const [key, value] of Object.entries(delta) as [keyof StepCounts, number][]) counts[key] += value;
      },
      saveState(next) {
        state = next;
      },
    });
    if (step.timeoutMs === undefined) {
      await work;
    } else {
      const timeoutMs = step.timeoutMs;
      await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StepTimeoutError(step.name, timeoutMs)), timeoutMs);
        }),
      ]);
    }
    counts.commit++;
    // A stop asked meanwhile takes effect before the next step: this one did its work.
    return { execution: { ...snapshot(), status: 'COMPLETED', exitCode: 'COMPLETED', exitMessage: null } };
  } catch (error) {
    counts.rollback++;
    const message = error instanceof Error ? error.message : String(error);
    return { execution: { ...snapshot(), status: 'FAILED', exitCode: 'FAILED', exitMessage: message }, error };
  } finally {
    clearTimeout(timer);
  }
}
