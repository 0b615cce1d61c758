import { failureMessage } from './chunk-step.js';
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
 *
 * Counts are committed with the state: `saveState` persists both, and a tasklet that gives
 * up records the counts of its last `saveState`, not what it counted since. A restart
 * starts from that pair and redoes the work after it, so nothing is counted twice (the
 * work it redoes was counted in no saved state); a crash leaves the same pair behind.
 */
export async function runTaskletStep(step: TaskletStep, runtime: StepRuntime): Promise<StepOutcome> {
  type Counts = { -readonly [K in keyof StepCounts]: StepCounts[K] };
  const counts: Counts = { ...runtime.stepExecution.counts };
  let committed: StepCounts = { ...counts };
  let state: JsonObject = runtime.stepExecution.context;
  // The state saved with `committed`: a failure records this pair, never a state whose save
  // failed (with it, the restart skipped the work its counts lacked; the fault harness
  // found 0 notifications counted of 51 behind a locked execution row).
  let committedState: JsonObject = state;
  const snapshot = (recorded: StepCounts, context: JsonObject = state) => ({ ...runtime.stepExecution, counts: { ...recorded }, context });
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
        const pair = { ...counts };
        await runtime.saveProgress(snapshot(pair));
        committed = pair;
        committedState = next;
      },
      warn(message) {
        warning = warning === null ? message : `${warning}; ${message}`;
      },
    });
    counts.commit++;
    return { execution: { ...snapshot(counts), status: 'COMPLETED', exitCode: 'COMPLETED', exitMessage: warning } };
  } catch (error) {
    const recorded = { ...committed, rollback: committed.rollback + 1 };
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    if (runtime.stopRequested() && reason !== undefined && !(reason instanceof StepTimeoutError) && !(reason instanceof LeaseLostError)) {
      return { execution: { ...snapshot(recorded, committedState), status: 'STOPPED', exitCode: 'STOPPED', exitMessage: 'stopped on request' } };
    }
    const cause = reason instanceof StepTimeoutError || reason instanceof LeaseLostError ? reason : error;
    const message = failureMessage(cause, `a statement of ${step.name}`);
    return { execution: { ...snapshot(recorded, committedState), status: 'FAILED', exitCode: 'FAILED', exitMessage: message }, error: cause };
  }
}
