/**
 * The audit log (10.6–10.9): who did what, when, from where. Append-only in the
 * database (triggers) and hash-chained (audit-chain.ts) so tampering is detectable.
 *
 * Appends from any number of processes stay one chain: `prev_hash` is unique, so of
 * two appends that read the same last entry one is refused by the database and
 * retries on the new last entry. Within one process appends are queued, so that
 * race is only ever between processes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from '../db/errors.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import type { Json, JsonObject } from '../engine/types.js';
import type { AuditActionCode } from '../vocabulary/codes.js';
import { canonicalJson, entryHash, GENESIS_HASH } from './audit-chain.js';

/** The list is vocabulary/codes.ts's AUDIT_ACTIONS, each with its French label. */
export type AuditAction = AuditActionCode;

export interface AuditEvent {
  readonly action: AuditAction;
  /** Token subject, CLI user, or null for the scheduler. */
  readonly actor: string | null;
  readonly clientAddress?: string | null;
  /** What was acted on: `tokenCleanupJob#12`, a file name. */
  readonly target?: string | null;
  readonly details?: JsonObject;
}

export interface AuditEntry {
  readonly id: number;
  readonly occurredAt: Date;
  readonly action: string;
  readonly actor: string | null;
  readonly clientAddress: string | null;
  readonly target: string | null;
  readonly details: Json;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditPage {
  readonly total: number;
  readonly items: readonly AuditEntry[];
}

export type ChainVerdict =
  | { readonly intact: true; readonly entries: number }
  | { readonly intact: false; readonly entries: number; readonly brokenAt: number; readonly reason: string };

type Row = Selectable<BatchDb['audit_log']>;

export class AuditAppendError extends Error {
  constructor(attempts: number, options?: ErrorOptions) {
    super(`audit log: could not append after ${attempts} attempts (other writers kept winning); the audited action was not recorded`, options);
    this.name = 'AuditAppendError';
  }
}

export class AuditLog {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * @example
   * await audit.append({ action: 'JOB_STOP', actor: 'alice', clientAddress: '10.0.0.7', target: 'tokenCleanupJob#12' });
   */
  async append(event: AuditEvent): Promise<AuditEntry> {
    // One insert is atomic alone; no transaction, so no write lock held across an await.
    const [entry] = await this.enqueue(async () => [event], false);
    return entry!;
  }

  /**
   * Runs `work` in a batchdb transaction and appends the events it returns in the same
   * transaction: a change and its audit entries commit together or not at all, so no
   * crash can leave one without the other. When another process appended first, both are
   * rolled back and `work` runs again, so it must decide from what it reads in `trx`.
   */
  appendWith(work: (trx: Kysely<BatchDb>) => Promise<readonly AuditEvent[]>): Promise<AuditEntry[]> {
    return this.enqueue(work, true);
  }

  private enqueue(work: (trx: Kysely<BatchDb>) => Promise<readonly AuditEvent[]>, atomic: boolean): Promise<AuditEntry[]> {
    const appended = this.queue.then(() => this.appendNow(work, atomic));
    this.queue = appended.catch(() => undefined);
    return appended;
  }

  private async appendNow(work: (trx: Kysely<BatchDb>) => Promise<readonly AuditEvent[]>, atomic: boolean, attempts = 50): Promise<AuditEntry[]> {
    const within = <T>(fn: (trx: Kysely<BatchDb>) => Promise<T>): Promise<T> => (atomic ? this.db.transaction().execute(fn) : fn(this.db));
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await within(async (trx) => {
          const events = await work(trx);
          if (events.length === 0) return [];
          const last = await trx.selectFrom('audit_log').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
          let prevHash = last?.hash ?? GENESIS_HASH;
          const entries: AuditEntry[] = [];
          for (const event of events) {
            const content = {
              occurredAt: sqlTimestampMillis(this.clock()),
              action: event.action,
              actor: event.actor,
              clientAddress: event.clientAddress ?? null,
              target: event.target ?? null,
              details: canonicalJson(event.details ?? {}),
            };
            const hash = entryHash(prevHash, content);
            const result = await trx
              .insertInto('audit_log')
              .values({ ...columns(content), prev_hash: prevHash, hash })
              .executeTakeFirstOrThrow();
            entries.push(toEntry({ id: Number(result.insertId), ...columns(content), prev_hash: prevHash, hash }));
            prevHash = hash;
          }
          return entries;
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (attempt === attempts) throw new AuditAppendError(attempts, { cause: error });
        // Another process appended first; jitter keeps two losers from colliding again.
        await sleep(Math.random() * Math.min(50, attempt * 5));
      }
    }
    throw new AuditAppendError(attempts);
  }

  /** Entries newest first. */
  async list(page: number, size: number): Promise<AuditPage> {
    const [rows, total] = await Promise.all([
      this.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(size).offset(page * size).execute(),
      this.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { total: Number(total.n), items: rows.map(toEntry) };
  }

  /**
   * Walks the chain in order and names the first entry that does not hold: edited
   * (its hash no longer matches its content) or after a deleted or moved entry
   * (its `prev_hash` is not the hash of the entry before it). Reads in pages, so
   * memory stays flat whatever the log's size.
   */
  async verify(pageSize = 1000): Promise<ChainVerdict> {
    let expectedPrev = GENESIS_HASH;
    let afterId = 0;
    let entries = 0;
    for (;;) {
      const rows = await this.db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').limit(pageSize).execute();
      if (rows.length === 0) return { intact: true, entries };
      for (const row of rows) {
        const id = Number(row.id);
        if (row.prev_hash !== expectedPrev) {
          return { intact: false, entries, brokenAt: id, reason: `entry ${id} does not follow the entry before it (an entry was deleted, inserted or reordered)` };
        }
        if (entryHash(row.prev_hash, contentOf(row)) !== row.hash) {
          return { intact: false, entries, brokenAt: id, reason: `entry ${id} was altered: its content no longer matches its hash` };
        }
        expectedPrev = row.hash;
        afterId = id;
        entries++;
      }
    }
  }
}

function columns(content: ReturnType<typeof contentOf>) {
  return {
    occurred_at: content.occurredAt,
    action: content.action,
    actor: content.actor,
    client_address: content.clientAddress,
    target: content.target,
    details: content.details,
  };
}

function contentOf(row: Omit<Row, 'id' | 'prev_hash' | 'hash'>) {
  return {
    occurredAt: row.occurred_at,
    action: row.action,
    actor: row.actor,
    clientAddress: row.client_address,
    target: row.target,
    details: row.details,
  };
}

function toEntry(row: Row): AuditEntry {
  return {
    id: Number(row.id),
    occurredAt: parseSqlTimestamp(row.occurred_at),
    action: row.action,
    actor: row.actor,
    clientAddress: row.client_address,
    target: row.target,
    details: JSON.parse(row.details) as Json,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
