/**
 * The shape every check of dataConsistencyJob shares: walk a table by key in pages, handle
 * each page (one lookup of the other side per page, never per row), then count the page's
 * items and save the last key and the figures together. The engine persists the step's
 * counts with that state (tasklet-step.ts), so a stopped or crashed run resumes after the
 * last page it saved, with counts and figures that describe exactly the pages behind it:
 * nothing counted twice, whatever the number of pages.
 * A step with several phases keeps each under its own key of the step context.
 */
import type { Json, JsonObject, StepCounts, TaskletContext } from '../../engine/types.js';

/** A type, not an interface: with its fields JSON, it is JSON itself and saves as it is. */
export type PagedState<T extends JsonObject> = {
  readonly lastKey: number;
  readonly totals: T;
};

/** What handling one page decided. */
export interface PageOutcome<T extends JsonObject> {
  /** The phase's figures with this page's added. */
  readonly totals: T;
  /** This page's items only, each counted where it was decided: the engine adds them up. */
  readonly counts: Partial<StepCounts>;
  /**
   * Set when a stop cut the page short: the key of the last row decided. What was done is
   * saved up to it, then the phase gives up with the stop's reason.
   */
  readonly stoppedAfter?: number;
  /**
   * Set with `stoppedAfter` when a failure cut the page short (a database gone mid-page):
   * what was done before it is saved, with its counts, then the phase fails with it. The
   * restart then neither repeats those rows nor loses their counts.
   */
  readonly failure?: Error;
}

const stepStates = new WeakMap<TaskletContext, JsonObject>();

/** This step's saved context: what the phases saved so far, in this attempt or the one before. */
export function stepState(ctx: TaskletContext): JsonObject {
  return stepStates.get(ctx) ?? ctx.restoredContext;
}

/** Saves one phase's state beside the others' (with the step's counts: see the module comment). */
export async function savePhase(ctx: TaskletContext, phase: string, value: Json): Promise<void> {
  const next = { ...stepState(ctx), [phase]: value };
  stepStates.set(ctx, next);
  await ctx.saveState(next);
}

export async function eachPage<Row, T extends JsonObject>(
  ctx: TaskletContext,
  phase: string,
  initial: T,
  fetch: (afterKey: number) => Promise<readonly Row[]>,
  keyOf: (row: Row) => number,
  handle: (page: readonly Row[], totals: T) => Promise<PageOutcome<T>>,
): Promise<PagedState<T>> {
  const restored = (stepState(ctx)[phase] ?? {}) as Partial<PagedState<T>>;
  let state: PagedState<T> = { lastKey: restored.lastKey ?? 0, totals: restored.totals ?? initial };
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    const page = await fetch(state.lastKey);
    if (page.length === 0) return state;
    const outcome = await handle(page, state.totals);
    ctx.count(outcome.counts);
    state = { lastKey: outcome.stoppedAfter ?? keyOf(page[page.length - 1]!), totals: outcome.totals };
    await savePhase(ctx, phase, state);
    if (outcome.failure !== undefined) throw outcome.failure;
    if (outcome.stoppedAfter !== undefined) throw ctx.signal.reason as Error;
  }
}
