/** What every part of the vocabulary shares: facts, descriptions, the lookup that never throws, any value as words. Conventions: words-fr.ts. */
import { DASH, formatDate, formatDateTime, formatList, formatNumber } from './format-fr.js';
/** One line of a label/value list. */
export interface Fact {
  readonly label: string;
  readonly value: string;
}

/** What a person reads of an audit entry or an anomaly: one sentence, then its facts. */
export interface Description {
  readonly sentence: string;
  readonly facts: readonly Fact[];
}

export function lookup<K extends string>(map: Readonly<Record<K, string>>, code: string): string {
  return Object.prototype.hasOwnProperty.call(map, code) ? map[code as K] : code;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Keys found inside details' nested objects (an erasure's `erased`, a contract gap), in French. */
const NESTED_KEYS: Readonly<Record<string, string>> = {
  originalRow: 'ligne d’origine',
  documents: 'documents',
  documentNames: 'noms de documents',
  anomalies: 'anomalies',
  events: 'événements',
  notifications: 'notifications',
  location: 'emplacement',
  tables: 'tables manquantes',
  columns: 'colonnes manquantes',
  unreadable: 'illisible',
  count: 'nombre',
  first: 'premiers',
};

/**
 * Any value of a details object as words, never JSON: « oui »/« non », numbers with
 * French separators, lists joined « a, b et c », objects as « clé : valeur ; … ».
 */
export function plainValue(value: unknown): string {
  if (value === null || value === undefined) return DASH;
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  if (typeof value === 'number') return formatNumber(value, 2);
  if (typeof value === 'string') return ISO_INSTANT.test(value) ? formatDateTime(value) : /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDate(`${value}T12:00:00Z`, 'UTC') : value;
  if (Array.isArray(value)) return value.length === 0 ? 'aucun' : formatList(value.map((v) => plainValue(v)));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return 'aucun';
    return entries.map(([k, v]) => `${lookup(NESTED_KEYS, k)} : ${plainValue(v)}`).join(' ; ');
  }
  return String(value);
}
