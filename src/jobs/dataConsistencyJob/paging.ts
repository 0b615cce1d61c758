/**
 * The shape every check of dataConsistencyJob shares: walk a table by key in pages, handle
 * each page (one lookup of the other side per page, never per row), then save the last key
 * and the running totals together, so a stopped or crashed run resumes after the last
 * page it finished and its totals still describe exactly the pages behind it.
 * A step with several phases keeps each under its own key of the step context.
 */
import type { Json, JsonObject, TaskletContext } from '../../engine/types.js';

export interface PagedState<T extends JsonObject> {
  readonly lastKey: number;
  readonly totals: T;
}

const stepStates = new WeakMap<TaskletContext, JsonObject>();

/** This step's saved context: what the phases saved so far, in this attempt or the one before. */
export function stepState(ctx: TaskletContext): JsonObject {
  return stepStates.get(ctx) ?? ctx.restoredContext;
}

/** Saves one phase's state beside the others'. */
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
  handle: (page: readonly Row[], totals: T) => Promise<T>,
): Promise<PagedState<T>> {
  const restored = (stepState(ctx)[phase] ?? {}) as Partial<PagedState<T>>;
  let state: PagedState<T> = { lastKey: restored.lastKey ?? 0, totals: restored.totals ?? initial };
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    const page = await fetch(state.lastKey);
    if (page.length === 0) return state;
    const totals = await handle(page, state.totals);
    state = { lastKey: keyOf(page[page.length - 1]!), totals };
    await savePhase(ctx, phase, state as unknown as JsonObject);
  }
}
