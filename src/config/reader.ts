/**
 * Reads the environment against a declaration of settings (settings.ts): what each
 * schema keyword means for a variable that is text, unset or blank, how a refused value is
 * shown, and what the README's table says of it. Nothing here names a setting.
 */
import { Type, type TProperties, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { maskUrl } from './checks.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The settings read before the one at hand, decoded. */
export type Earlier = Readonly<Record<string, unknown>>;

export interface SettingDoc {
  readonly name: string;
  readonly meaning: string;
  readonly default: string;
}

/** The keywords a setting's schema carries besides JSON Schema's own. */
export interface SettingKeywords {
  /** For a setting without a default value of its own: what happens when it is unset, as documented. */
  readonly whenUnset?: string;
  /** A default that depends on settings declared before it (a path under DATA_DIR). */
  readonly defaultFrom?: (earlier: Earlier) => string;
  /** `secret`: a refused value shows as ****; `password`: a URL's password does. */
  readonly mask?: 'secret' | 'password';
  /** A default documented as code: a cron expression reads as one between backticks. */
  readonly defaultAsCode?: true;
}

type Setting = TSchema &
  SettingKeywords & { readonly description?: string; readonly default?: unknown; readonly minimum?: number; readonly maximum?: number };

export interface Reading {
  /** Every setting's value, decoded; a refused one has its default, as if unset. */
  readonly values: Readonly<Record<string, unknown>>;
  /** At most one problem a setting, keyed by its name. */
  readonly problems: ReadonlyMap<string, string>;
  /** The settings unset or blank. */
  readonly unset: ReadonlySet<string>;
  readonly docs: readonly SettingDoc[];
}

/** Reads every declared setting in declaration order, collecting problems instead of throwing. */
export function readSettings(declaration: TProperties, env: Env): Reading {
  const values: Record<string, unknown> = {};
  const problems = new Map<string, string>();
  const unset = new Set<string>();
  const docs: SettingDoc[] = [];
  for (const [name, schema] of Object.entries(declaration) as [string, Setting][]) {
    docs.push({ name, meaning: meaningOf(schema), default: documentedDefault(schema, values) });
    const raw = env[name]?.trim();
    // A blank variable counts as unset: compose files and .env templates leave `NAME=` behind.
    if (raw === undefined || raw === '') {
      unset.add(name);
      values[name] = defaultOf(schema, values);
      continue;
    }
    // A boolean is read whatever its case; a refused one is shown lowercased.
    const text = Type.IsBoolean(schema) ? raw.toLowerCase() : raw;
    const candidate = fromText(schema, text);
    const errors = Value.Errors(schema, candidate);
    if (errors.length === 0) {
      values[name] = Value.Decode(schema, candidate);
    } else {
      problems.set(name, `${name}=${shown(schema, text)}: expected ${expected(schema, errors[0]?.message)}`);
      // The rules (rules.ts) see the default: a refused value is reported once, not again
      // through a rule it also breaks.
      values[name] = defaultOf(schema, values);
    }
  }
  return { values, problems, unset, docs };
}

/** The value JSON Schema checks: integers and booleans written as text become numbers and booleans. */
function fromText(schema: Setting, text: string): unknown {
  if (Type.IsInteger(schema)) return /^-?\d+$/.test(text) ? Number(text) : text;
  if (Type.IsBoolean(schema)) {
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
  }
  return text;
}

function defaultOf(schema: Setting, earlier: Earlier): unknown {
  const fallback = schema.defaultFrom?.(earlier) ?? schema.default;
  return fallback === undefined ? undefined : Value.Decode(schema, fallback);
}

function shown(schema: Setting, text: string): string {
  if (schema.mask === 'secret') return '****';
  return JSON.stringify(schema.mask === 'password' ? maskUrl(text) : text);
}

/** What was expected, from the schema's keywords, or a refinement's own words. */
function expected(schema: Setting, refinement: string | undefined): string {
  const { minimum, maximum } = schema;
  if (Type.IsInteger(schema)) return `an integer between ${String(minimum)} and ${String(maximum)}`;
  if (Type.IsBoolean(schema)) return 'true or false';
  if (Type.IsEnum(schema)) return `one of ${schema.enum.join(', ')}`;
  return refinement ?? 'a valid value';
}

function meaningOf(schema: Setting): string {
  const choices = Type.IsEnum(schema) ? ` (${schema.enum.join(', ')})` : '';
  return `${schema.description ?? ''}${choices}${schema.mask === 'secret' ? ' (secret, never logged)' : ''}`;
}

function documentedDefault(schema: Setting, earlier: Earlier): string {
  if (schema.whenUnset !== undefined) return schema.whenUnset;
  const fallback = schema.defaultFrom?.(earlier) ?? schema.default;
  if (fallback === '') return '(empty)';
  return schema.defaultAsCode ? `\`${String(fallback)}\`` : String(fallback);
}
