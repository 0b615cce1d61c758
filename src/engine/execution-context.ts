import type { Json, JsonObject } from './types.js';

/**
 * What JSON keeps of a value of type T: T itself when T is plain data (strings, numbers,
 * booleans, null, arrays and objects of them, optional fields allowed); a type with a
 * Date, a function or a class instance in it does not match.
 */
export type JsonShaped<T> = T extends string | number | boolean | null
  ? T
  : T extends (...args: never[]) => unknown
    ? never
    : T extends readonly (infer U)[]
      ? readonly JsonShaped<U>[]
      : T extends object
        ? { readonly [K in keyof T]: JsonShaped<T[K]> }
        : never;

/**
 * Refuses, at compile time, a T that is not plain JSON data: the call then asks for one
 * more argument (« Expected 2 arguments ») that no value can give.
 */
type OnlyJson<T> = [T] extends [JsonShaped<T>] ? [] : [notJson: never];

/**
 * A named entry of a job context and the shape of its value, declared once beside the
 * steps that share it: the step that writes it and the one that reads it agree by type,
 * with no cast at either end.
 *
 * @example
 * const REPORT = contextKey<ReportState>('report');
 * ctx.jobContext.write(REPORT, { fileName, pages });
 * const report = ctx.jobContext.read(REPORT); // ReportState | undefined
 */
export interface ContextKey<T> {
  readonly name: string;
  /** Never set: carries T. */
  readonly shape?: T;
}

export function contextKey<T>(name: string, ..._checked: OnlyJson<T>): ContextKey<T> {
  return { name };
}

/**
 * A plain-data value as Json, checked by its type: the one conversion the jobs need to
 * save their own interfaces (which TypeScript does not take as Json, for want of an index
 * signature) in a step's state.
 */
export function asJson<T>(value: T, ..._checked: OnlyJson<T>): Json {
  return value as Json;
}

/** The same, for an object: a step's whole state (`saveState`). */
export function asJsonObject<T extends object>(value: T, ..._checked: OnlyJson<T>): JsonObject {
  return value as JsonObject;
}

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

  /** The entry `key` names, as the type it was declared with (written by `write`). */
  read<T>(key: ContextKey<T>): T | undefined {
    return this.values.get(key.name) as T | undefined;
  }

  write<T>(key: ContextKey<T>, value: T): void {
    this.values.set(key.name, value as Json);
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
