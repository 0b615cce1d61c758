import type { Json, JsonObject } from './types.js';

/**
 * A JSON map saved with the execution so a restart sees what earlier steps stored
 * (Spring Batch's ExecutionContext). Values must be JSON.
 *
 * @example
 * context.set('enrollmentStats', { nouvelles: 12 });
 * const stats = context.get('enrollmentStats');
 */
export class ExecutionContext {
  private readonly values: Map<string, Json>;

  constructor(initial: JsonObject = {}) {
    this.values = new Map(Object.entries(initial));
  }

  get(key: string): Json | undefined {
    return this.values.get(key);
  }

  set(key: string, value: Json): void {
    this.values.set(key, value);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  toJSON(): JsonObject {
    return Object.fromEntries(this.values);
  }
}
