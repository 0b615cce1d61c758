/**
 * Issue 22, item 2: `archive shred` honours an erasure request. After it the archive row
 * keeps only what identifies it; the record's row and the names of its documents are gone
 * from batchdb — from every table (archiveJob's skipped items, dataConsistencyJob's
 * anomalies and their outbox events included) and, on SQLite, from the bytes of the
 * database file and its WAL. The API answers 410 Gone, the CLI says when it was shredded,
 * the audit entry says who and when; the data key is overwritten in the file itself.
 */
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import type { DatabaseHandle } from '../../../src/db/connect.js';
import { sqliteFile } from '../../../src/db/connect.js';
import { migrateBatchDb } from '../../../src/db/migrate.js';
import type { BatchDb } from '../../../src/db/schema/batch-tables.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { parseHeader } from '../../../src/archives/archive-envelope.js';
import { startApi, type Api } from '../../http/api-harness.js';
import { runCli } from '../../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { KEY, plant, RUN_AT } from './fixtures.js';

/** What inscription 8 brings into batchdb: its subject (its row) and its document's name. */
const SUBJECT = 'Sujet 8 — thèse';
const DOCUMENT = 'inscriptions/8/absent.pdf';
const LATER_RUN = '2027-04-01T01:00:00Z';

describe.each(dialects)('archive shred erases (%s)', (dialect) => {
  let api: Api | undefined;
  let env: TestEnvironment | undefined;
  let out: string | undefined;
  afterEach(async () => {
    await api?.close();
    await env?.cleanup();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('the row and the document names leave batchdb (and its file), the API says 410, the CLI says when, the audit says who', async () => {
    api = await startApi(dialect, { env: { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` } });
    const db = api.env.databases.batch.db;
    await plant(api.env);
    // Their doctorants exist: the consistency job leaves the inscriptions as they are.
    await api.env.databases.user.db
      .insertInto('users')
      .values([1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ id: 100 + i, email: `d${100 + i}@univ-exemple.fr`, nom: null, prenom: null, enabled: 1, created_at: '2024-01-01 00:00:00' })))
      .execute();
    const run = async (job: string, runAt: string) => (await (await api!.app.operator.start(job, { parameters: { runAt }, trigger: 'CLI' })).done).status;
    // Inscription 8's document is missing: a FICHIER_MANQUANT anomaly and its event, then a skipped item.
    expect(await run('dataConsistencyJob', RUN_AT)).toBe('COMPLETED');
    expect(await run('archiveJob', RUN_AT)).toBe('COMPLETED');
    // The file comes back: the next quarter archives it.
    mkdirSync(path.dirname(path.join(api.env.config.uploadsDir, DOCUMENT)), { recursive: true });
    writeFileSync(path.join(api.env.config.uploadsDir, DOCUMENT), 'retrouvé\n');
    expect(await run('archiveJob', LATER_RUN)).toBe('COMPLETED');
    const before = await db.selectFrom('inscription_archive').selectAll().where('original_id', '=', 8).executeTakeFirstOrThrow();
    expect(JSON.parse(before.original_row)).toMatchObject({ id: 8, sujet_these: SUBJECT });
    // Where batchdb holds them before: this is what must go.
    const copies = await tablesHolding(db, [SUBJECT, DOCUMENT]);
    expect(copies.get(SUBJECT)).toEqual(['inscription_archive']);
    expect(copies.get(DOCUMENT)).toEqual(['batch_step_skip', 'consistency_anomaly', 'event_outbox']);
    const untouched = await othersOf(db);
    if (dialect === 'sqlite') expect(sqliteBytesHold(api.env, [SUBJECT, DOCUMENT])).toEqual([SUBJECT, DOCUMENT]);
    const backup = `${before.archive_path}.hardlink`;
    linkSync(before.archive_path, backup);

    const env = { ...api.env.env, ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` };
    const shredded = await runCli(['archive', 'shred', 'inscription', '8', '--yes'], env);
    expect(shredded.code, shredded.stderr).toBe(0);

    // Nothing of the record is left anywhere in batchdb, nor in the bytes of its files.
    expect(await tablesHolding(db, [SUBJECT, DOCUMENT, 'absent.pdf'])).toEqual(new Map());
    if (dialect === 'sqlite') expect(sqliteBytesHold(api.env, [SUBJECT, DOCUMENT, 'absent.pdf'])).toEqual([]);
    expect(shredded.stdout).toMatch(/^inscription 8: shredded; .* erased from batchdb \(with 3 other row\(s\) naming them\)$/m);
    const after = await db.selectFrom('inscription_archive').selectAll().where('original_id', '=', 8).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ original_row: '{}', archive_path: before.archive_path, key_id: 'k1', archived_at: before.archived_at, documents_count: before.documents_count });
    expect(after.shredded_at).not.toBeNull();
    // What named the document says it was erased; the other records' rows are as they were.
    const skip = await db.selectFrom('batch_step_skip').selectAll().where('item', 'like', '%"originalId":8,%').executeTakeFirstOrThrow();
    expect([JSON.parse(skip.item), skip.reason]).toEqual([{ type: 'inscription', originalId: 8, documents: ['[effacé]'] }, 'document "[effacé]" is missing']);
    const anomaly = await db.selectFrom('consistency_anomaly').selectAll().where('type', '=', 'FICHIER_MANQUANT').where('details', 'like', '%"inscriptionId":8%').executeTakeFirstOrThrow();
    expect(JSON.parse(anomaly.details)).toEqual({ chemin: '[effacé]', inscriptionId: 8 });
    const event = await db.selectFrom('event_outbox').selectAll().where('payload', 'like', '%"inscriptionId":8%').executeTakeFirstOrThrow();
    expect(JSON.parse(event.payload)).toMatchObject({ details: { chemin: '[effacé]', inscriptionId: 8 }, subject: 'Document manquant : [effacé]' });
    expect(await othersOf(db)).toEqual(untouched);

    // The data key is overwritten in the file itself: another link to it sees the zeros too.
    for (const file of [before.archive_path, backup]) expect(parseHeader(readFileSync(file))!.wrappedKey.every((b) => b === 0), file).toBe(true);
    rmSync(backup);

    // Who and when, in the same transaction as the erasure.
    const entry = (await api.app.audit.list(0, 50)).items.find((e) => e.action === 'ARCHIVE_SHRED')!;
    expect(entry).toMatchObject({ actor: `${userInfo().username} (cli)`, clientAddress: hostname(), target: 'inscription#8' });
    const shreddedAt = new Date(`${String(after.shredded_at).replace(' ', 'T')}Z`).toISOString();
    expect(entry.details).toMatchObject({ shreddedAt, keyId: 'k1', again: false, erased: { originalRow: true, skippedItems: 1, anomalies: 1, events: 1 } });
    expect(Math.abs(entry.occurredAt.getTime() - Date.parse(shreddedAt))).toBeLessThan(5_000);

    // The API: listed by its identity, 410 Gone for the rest.
    const listed = (await (await api.call('/api/batch/archives?type=inscription')).json()) as { items: { originalId: number; shredded: boolean; shreddedAt: string | null }[] };
    expect(listed.items.find((i) => i.originalId === 8)).toMatchObject({ shredded: true, shreddedAt });
    expect(listed.items.find((i) => i.originalId === 1)).toMatchObject({ shredded: false, shreddedAt: null });
    for (const url of ['/api/batch/archives/inscription/8', '/api/batch/archives/inscription/8/download']) {
      const gone = await api.call(url);
      expect(gone.status, url).toBe(410);
      expect(gone.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await gone.json()).toEqual({
        type: 'about:blank',
        title: 'Gone',
        status: 410,
        detail: `the archive of inscription 8 was shredded on ${shreddedAt} (an erasure request): its documents and its row are erased and can never be read again`,
        instance: url,
      });
    }

    // The CLI: show tells what is left and when it went, restore refuses, verify says so.
    const shown = await runCli(['archive', 'show', 'inscription', '8'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`SHREDDED: the archive of inscription 8 was shredded on ${shreddedAt}`);
    expect(shown.stdout).not.toContain('Sujet');
    const shownJson = JSON.parse((await runCli(['archive', 'show', 'inscription', '8', '--json'], env)).stdout) as Record<string, unknown>;
    expect(shownJson).toMatchObject({ type: 'inscription', originalId: 8, shredded: true, shreddedAt, keyId: 'k1' });
    expect(shownJson).not.toHaveProperty('originalRow');
    out = mkdtempSync(path.join(tmpdir(), 'restore-'));
    const restored = await runCli(['archive', 'restore', 'inscription', '8', '--out', out], env);
    expect(restored.code).toBe(2);
    expect(restored.stderr).toContain(`the archive of inscription 8 was shredded on ${shreddedAt} (an erasure request): its documents and its row are erased and can never be read again; nothing to restore`);
    const verified = await runCli(['archive', 'verify', 'inscription', '8'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`inscription 8: shredded on ${shreddedAt} (erased: cannot be decrypted, by design)`);
    const readable = await runCli(['archive', 'show', 'inscription', '1'], env);
    expect(readable.stdout).toContain('"sujet_these": "Sujet 1 — thèse"');

    // Shredding again changes nothing of the first date and finds nothing more to erase.
    const again = await runCli(['archive', 'shred', 'inscription', '8', '--yes'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`inscription 8: already shredded on ${shreddedAt}; erased again`);
    expect((await db.selectFrom('inscription_archive').select('shredded_at').where('original_id', '=', 8).executeTakeFirstOrThrow()).shredded_at).toBe(after.shredded_at);

    // A lost archive file has no key left to destroy: its record is erased all the same, and the command says so.
    const defense = await db.selectFrom('defense_archive').selectAll().where('original_id', '=', 1).executeTakeFirstOrThrow();
    rmSync(defense.archive_path);
    const lost = await runCli(['archive', 'shred', 'defense', '1', '--yes'], env);
    expect(lost.code, lost.stderr).toBe(0);
    expect(lost.stdout).toContain(`warning: its archive file ${defense.archive_path} was not there`);
    expect(await db.selectFrom('defense_archive').select(['original_row', 'sha256']).where('original_id', '=', 1).executeTakeFirstOrThrow()).toEqual({ original_row: '{}', sha256: defense.sha256 });
  });

  it.runIf(dialect === 'sqlite')('says so when another connection keeps the WAL busy, and a second shred once it is free finishes the job', async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    await plant(env);
    const app = await createApp(env.config, silentLogger);
    try {
      expect((await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done).status).toBe('COMPLETED');
    } finally {
      await app.close();
    }
    const cli = { ...env.env, DB_STATEMENT_TIMEOUT_MS: '500' };
    // A reader in the middle of a read transaction: the checkpoint may not take the WAL from under it.
    const reader = new Database(sqliteFile(env.config.databases.batch), { readonly: true });
    try {
      reader.exec('begin');
      reader.prepare('select count(*) from inscription_archive').get();
      const busy = await runCli(['archive', 'shred', 'inscription', '1', '--yes'], cli);
      expect(busy.code, busy.stderr).toBe(1);
      expect(busy.stdout).toContain("warning: batchdb's write-ahead log could not be emptied now");
      expect(sqliteBytesHold(env, ['Sujet 1 — thèse'])).toEqual(['Sujet 1 — thèse']);
      reader.exec('commit');
    } finally {
      reader.close();
    }
    const done = await runCli(['archive', 'shred', 'inscription', '1', '--yes'], cli);
    expect(done.code, done.stderr).toBe(0);
    expect(sqliteBytesHold(env, ['Sujet 1 — thèse'])).toEqual([]);
  });

  it('migration 0015 erases the row of archives shredded before it', async () => {
    env = await createTestEnvironment(dialect);
    const db = env.databases.batch.db;
    const row = (id: number, shredded: string | null) => ({
      original_id: id, original_row: JSON.stringify({ id, sujet_these: `Sujet ${id}` }), archive_path: `/archives/inscription/inscription-${id}.bsarc`, size_bytes: 100, sha256: '0'.repeat(64),
      documents_count: 1, documents_bytes: 10, key_id: 'k1', archived_at: '2027-01-01 02:00:00.000', job_execution_id: null, completed_at: '2027-01-01 02:00:01.000', shredded_at: shredded,
    });
    await db.insertInto('inscription_archive').values([row(1, '2027-02-01 10:00:00.000'), row(2, null)]).execute();
    await db.insertInto('defense_archive').values(row(3, '2027-02-01 10:00:00.000')).execute();
    await sql`DELETE FROM kysely_migration WHERE name = '0015-erase-shredded-rows'`.execute(db);

    expect(await migrateBatchDb(env.databases.batch as DatabaseHandle<unknown>)).toEqual(['0015-erase-shredded-rows']);

    const rows = async (table: 'inscription_archive' | 'defense_archive') => (await db.selectFrom(table).select(['original_id', 'original_row']).orderBy('original_id').execute()).map((r) => [Number(r.original_id), r.original_row]);
    expect(await rows('inscription_archive')).toEqual([[1, '{}'], [2, JSON.stringify({ id: 2, sujet_these: 'Sujet 2' })]]);
    expect(await rows('defense_archive')).toEqual([[3, '{}']]);
  });
});

/** Each needle with the batchdb tables whose rows hold it, as text (every column, every row). */
async function tablesHolding(db: Kysely<BatchDb>, needles: readonly string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const table of await db.introspection.getTables()) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)}`.execute(db);
    const text = JSON.stringify(rows);
    for (const needle of needles) if (text.includes(JSON.stringify(needle).slice(1, -1))) found.set(needle, [...(found.get(needle) ?? []), table.name].sort());
  }
  return found;
}

/** The rows that must not change: other records' skips, anomalies and events. */
async function othersOf(db: Kysely<BatchDb>) {
  return {
    skips: await db.selectFrom('batch_step_skip').select(['item', 'reason']).where('item', 'not like', '%"originalId":8,%').orderBy('id').execute(),
    anomalies: await db.selectFrom('consistency_anomaly').select('details').where('details', 'not like', '%"inscriptionId":8%').orderBy('id').execute(),
    events: await db.selectFrom('event_outbox').select('payload').where('payload', 'not like', '%"inscriptionId":8%').orderBy('id').execute(),
  };
}

/** The needles found in the raw bytes of batchdb's SQLite file and its WAL. */
function sqliteBytesHold(env: TestEnvironment, needles: readonly string[]): string[] {
  const file = sqliteFile(env.config.databases.batch);
  const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
  return needles.filter((needle) => bytes.includes(Buffer.from(needle, 'utf8')));
}
