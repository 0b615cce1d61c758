/**
 * The audit log's hash chain (10.9, Property 65): an entry's hash covers the previous
 * entry's hash and the entry's own canonical content, so editing, deleting or
 * reordering any entry breaks the chain from there on.
 */
import { createHash } from 'node:crypto';
import { parseSqlTimestamp } from '../db/sql-time.js';

/** `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedContent {
  /** As stored (SQL timestamp text); hashed as its ISO instant so both engines agree. */
  readonly occurredAt: string;
  readonly action: string;
  readonly actor: string | null;
  readonly clientAddress: string | null;
  readonly target: string | null;
  /** The stored JSON text, hashed exactly as stored. */
  readonly details: string;
}

export function entryHash(prevHash: string, content: ChainedContent): string {
  // An array, not an object: its serialization has no key order to disagree on.
  const canonical = JSON.stringify([
    parseSqlTimestamp(content.occurredAt).toISOString(),
    content.action,
    content.actor,
    content.clientAddress,
    content.target,
    content.details,
  ]);
  return createHash('sha256').update(`${prevHash}\n${canonical}`).digest('hex');
}

/** JSON with object keys sorted at every level: the same details always hash the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
