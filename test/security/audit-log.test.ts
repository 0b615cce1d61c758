import { sql } from 'kysely';
import { openDatabase } from '../../src/db/connect.js';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import { recordArchiveAccess } from '../../src/archives/archive-access-audit.js';
import { GENESIS_HASH } from '../../src/security/audit-chain.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';

describe.each(dialects)('audit log (%s)', (dialect) => {
  test.override({ dialect });

  test('chains each entry to the one before it', async ({ env }) => {
    const audit = new AuditLog(env.databases.batch.db);
    const first = await audit.append({ action: 'JOB_RUN', actor: 'alice', clientAddress: '127.0.0.1', target: 'tokenCleanupJob#1', details: { b: 1, a: 'é' } });
    const second = await recordArchiveAccess(audit, { actor: 'bob', clientAddress: null, archive: 'inscription-42.zip', record: 'inscription 42', purpose: 'download' });
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second.prevHash).toBe(first.hash);
    expect(second.action).toBe('ARCHIVE_ACCESS');
    expect(await audit.verify()).toEqual({ intact: true, entries: 2 });
    const page = await audit.list(0, 10);
    expect(page.total).toBe(2);
    expect(page.items.map((e) => e.id)).toEqual([second.id, first.id]);
    expect(page.items[1]?.details).toEqual({ a: 'é', b: 1 });
  });

  test('appendWith commits a change and its entries together, or neither', async ({ env }) => {
    const audit = new AuditLog(env.databases.batch.db);
    const db = env.databases.batch.db;
    const row = (id: number) => ({ original_id: id, original_row: '{}', archive_path: `a-${id}`, size_bytes: 1, sha256: 'x', documents_count: 0, documents_bytes: 0, key_id: 'k1', archived_at: '2026-01-01 00:00:00.000', job_execution_id: 1, completed_at: null, shredded_at: null });
    const entries = await audit.appendWith(async (trx) => {
      await trx.insertInto('inscription_archive').values(row(1)).execute();
      return [{ action: 'ARCHIVE_CREATE', actor: null, target: 'inscription#1' }, { action: 'ARCHIVE_CREATE', actor: null, target: 'inscription#2' }];
    });
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    // An entry that cannot be written (a BigInt has no JSON form) takes the change down with it.
    await expect(
      audit.appendWith(async (trx) => {
        await trx.insertInto('inscription_archive').values(row(2)).execute();
        return [{ action: 'ARCHIVE_CREATE', actor: null, target: 'inscription#2', details: { n: 1n } as never }];
      }),
    ).rejects.toThrow(/BigInt/);
    expect((await db.selectFrom('inscription_archive').select('original_id').execute()).map((r) => Number(r.original_id))).toEqual([1]);
    expect(await audit.verify()).toEqual({ intact: true, entries: 2 });
    // Nothing to record: no entry.
    expect(await audit.appendWith(async () => [])).toEqual([]);
  });

  test('the database refuses UPDATE and DELETE of entries', async ({ env }) => {
    const audit = new AuditLog(env.databases.batch.db);
    const entry = await audit.append({ action: 'JOB_STOP', actor: 'alice' });
    const db = env.databases.batch.db;
    await expect(db.updateTable('audit_log').set({ actor: 'mallory' }).where('id', '=', entry.id).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').where('id', '=', entry.id).execute()).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE audit_log SET details = '{}'`.execute(db)).rejects.toThrow(/append-only/);
    expect((await audit.list(0, 10)).items[0]?.actor).toBe('alice');
  });

  test('verify names the first entry edited or deleted behind the triggers', async ({ env }) => {
    const audit = new AuditLog(env.databases.batch.db);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await audit.append({ action: 'JOB_RUN', actor: `user${i}` })).id);
    const db = env.databases.batch.db;
    await sql`DROP TRIGGER audit_log_no_update`.execute(db);
    await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
    await db.updateTable('audit_log').set({ actor: 'mallory' }).where('id', '=', ids[2]!).execute();
    expect(await audit.verify()).toMatchObject({ intact: false, brokenAt: ids[2], entries: 2 });
    await db.deleteFrom('audit_log').where('id', '=', ids[2]!).execute();
    expect(await audit.verify()).toMatchObject({ intact: false, brokenAt: ids[3], reason: expect.stringMatching(/deleted/) });
  });

  test('appends from two connections at once keep a single chain', async ({ env }) => {
    // Two handles on one batchdb: two processes, as far as the database can tell.
    const other = openDatabase<BatchDb>(env.config.databases.batch, env.config.pool);
    try {
      const a = new AuditLog(env.databases.batch.db);
      const b = new AuditLog(other.db);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).append({ action: 'JOB_RUN', actor: `user${i}` })),
      );
      expect(await a.verify()).toEqual({ intact: true, entries: 20 });
    } finally {
      await other.close();
    }
  });
});
