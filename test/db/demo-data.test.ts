/**
 * The demo data generator on real databases: counts, determinism, a school's shape (one
 * PREMIERE then one REINSCRIPTION a year, defenses after 3 to 7 years), and that every
 * case the jobs handle has members. Expectations are recomputed here from the rows, by
 * plain SQL and with their own calendar arithmetic, rather than taken from the generator;
 * who is active is asked of the rows by the definition, written again in SQL below.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData, siblingDatabasesAreEmpty } from '../../src/db/fixtures/demo-data.js';
import { parseSqlTimestamp, sqlDate, sqlTimestamp } from '../../src/db/sql-time.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { plusMonths, recountBand } from '../support/recount-calendar.js';

const REFERENCE = new Date('2026-03-15T10:20:30.250Z');
const DAY = 86_400_000;

/** Requirement 2's bands, on `YYYY-MM-DD` strings (which order like dates). */
const band = (first: string, day: string): string => recountBand(first, day);

/** `2025-2026` for a day of that academic year (1 September to 31 August). */
function academicYear(day: string): string {
  const year = Number(day.slice(0, 4));
  const start = day.slice(5, 7) >= '09' ? year : year - 1;
  return `${start}-${start + 1}`;
}

/** A DATE column's value as `YYYY-MM-DD`, whatever the driver returned. */
const dateOf = (value: unknown) => String(value).slice(0, 10);

/** The doctorants with a SOUTENUE soutenance dated on or before `asOf`. */
async function defendedBy(env: TestEnvironment, asOf: string): Promise<number[]> {
  const { rows } = await sql<{ doctorant_id: number }>`
    select distinct doctorant_id from soutenances where statut = 'SOUTENUE' and date_soutenance <= ${asOf}`.execute(
    env.databases.defense.db,
  );
  return rows.map((r) => Number(r.doctorant_id));
}

interface Standing {
  readonly doctorantId: number;
  readonly directeurId: number;
  readonly statut: string;
  readonly type: string;
  readonly dateInscription: string;
  /** The earliest date_premiere_inscription of their rows dated by then. */
  readonly firstEnrollment: string;
  readonly rowsByThen: number;
  /** Rows dated by then, other than the latest, whose statut is not VALIDÉ. */
  readonly earlierNotValide: number;
  readonly firstArchived: boolean;
}

/**
 * Each doctorant's latest inscription dated on or before `asOf` (by date_inscription,
 * then id). `active`: only those it makes active, the definition in SQL — that row is
 * VALIDÉ and no SOUTENUE is dated by then (`archived` plays no part).
 */
async function standingAt(env: TestEnvironment, asOf: string, which: 'latest' | 'active'): Promise<Standing[]> {
  const defended = which === 'active' ? await defendedBy(env, asOf) : [];
  const activeOnly =
    which === 'latest'
      ? sql``
      : defended.length === 0
        ? sql`and i.statut = 'VALIDÉ'`
        : sql`and i.statut = 'VALIDÉ' and i.doctorant_id not in (${sql.join(defended)})`;
  const { rows } = await sql<Record<string, unknown>>`
    select i.doctorant_id, i.directeur_id, i.statut, i.type, i.date_inscription,
      (select min(f.date_premiere_inscription) from inscriptions f
        where f.doctorant_id = i.doctorant_id and f.date_inscription <= ${asOf}) as first_enrollment,
      (select count(*) from inscriptions n
        where n.doctorant_id = i.doctorant_id and n.date_inscription <= ${asOf}) as rows_by_then,
      (select count(*) from inscriptions e
        where e.doctorant_id = i.doctorant_id and e.date_inscription <= ${asOf} and e.id <> i.id and e.statut <> 'VALIDÉ') as earlier_not_valide,
      (select max(p.archived) from inscriptions p where p.doctorant_id = i.doctorant_id and p.type = 'PREMIERE') as first_archived
    from inscriptions i
    where i.date_inscription <= ${asOf}
      and not exists (select 1 from inscriptions j
        where j.doctorant_id = i.doctorant_id and j.date_inscription <= ${asOf}
          and (j.date_inscription > i.date_inscription or (j.date_inscription = i.date_inscription and j.id > i.id)))
      ${activeOnly}`.execute(env.databases.inscription.db);
  return rows.map((r) => ({
    doctorantId: Number(r.doctorant_id),
    directeurId: Number(r.directeur_id),
    statut: String(r.statut),
    type: String(r.type),
    dateInscription: dateOf(r.date_inscription),
    firstEnrollment: dateOf(r.first_enrollment),
    rowsByThen: Number(r.rows_by_then),
    earlierNotValide: Number(r.earlier_not_valide),
    firstArchived: Number(r.first_archived) === 1,
  }));
}

/** Files under `dir`, `/`-separated and relative to it, with size and mtime. */
function listFiles(dir: string): Map<string, { size: number; mtimeMs: number; content: Buffer }> {
  const files = new Map<string, { size: number; mtimeMs: number; content: Buffer }>();
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(dir, entry);
    const stat = statSync(full);
    if (stat.isFile()) {
      files.set(entry.split(path.sep).join('/'), {
        size: stat.size,
        mtimeMs: stat.mtimeMs,
        content: readFileSync(full),
      });
    }
  }
  return files;
}

for (const dialect of dialects) {
  describe(`demo data (${dialect})`, () => {
    const environments: TestEnvironment[] = [];
    const fresh = async () => {
      const env = await createTestEnvironment(dialect);
      environments.push(env);
      return env;
    };
    const generate = (env: TestEnvironment, scale: number, seed = 42, referenceDate = REFERENCE) =>
      generateDemoData(env.databases, { seed, scale, referenceDate, uploadsDir: env.config.uploadsDir });

    afterEach(async () => {
      await Promise.all(environments.splice(0).map((env) => env.cleanup()));
    });

    it('fills empty databases with counts proportional to the scale', async () => {
      const env = await fresh();
      const { user, inscription, defense, notification } = env.databases;
      expect(await siblingDatabasesAreEmpty(env.databases)).toBe(true);
      // Missing tables count as empty, and the generator creates them.
      await user.db.schema.dropTable('users').execute();
      await notification.db.schema.dropTable('notifications').execute();
      expect(await siblingDatabasesAreEmpty(env.databases)).toBe(true);

      const summary = await generate(env, 0.1);

      expect(summary).toMatchObject({
        users: 200,
        refreshTokens: 1000,
        passwordResetTokens: 1000,
        inscriptions: 150,
        soutenances: 50,
        notifications: 1000,
      });
      const count = async (query: { execute(): Promise<unknown[]> }) => (await query.execute()).length;
      expect(await count(user.db.selectFrom('users').select('id'))).toBe(summary.users);
      expect(await count(user.db.selectFrom('user_roles').select('user_id'))).toBe(summary.userRoles);
      expect(await count(user.db.selectFrom('refresh_tokens').select('id'))).toBe(summary.refreshTokens);
      expect(await count(user.db.selectFrom('password_reset_tokens').select('id'))).toBe(summary.passwordResetTokens);
      expect(await count(inscription.db.selectFrom('inscriptions').select('id'))).toBe(summary.inscriptions);
      expect(await count(inscription.db.selectFrom('documents').select('id'))).toBe(summary.documents);
      expect(await count(defense.db.selectFrom('soutenances').select('id'))).toBe(summary.soutenances);
      expect(await count(defense.db.selectFrom('soutenance_documents').select('id'))).toBe(summary.soutenanceDocuments);
      expect(await count(notification.db.selectFrom('notifications').select('id'))).toBe(summary.notifications);
      expect(listFiles(env.config.uploadsDir).size).toBe(summary.files);
      expect(await siblingDatabasesAreEmpty(env.databases)).toBe(false);

      const users = await user.db.selectFrom('users').selectAll().orderBy('id').execute();
      const roles = await user.db.selectFrom('user_roles').selectAll().execute();
      const holders = (role: string) => new Set(roles.filter((r) => r.role === role).map((r) => r.user_id));
      expect(users[0]).toMatchObject({ id: 1, email: 'admin@univ-exemple.fr', enabled: 1 });
      expect(holders('ROLE_ADMIN').has(1)).toBe(true);
      expect(holders('ROLE_ADMIN').size).toBeGreaterThanOrEqual(2);
      expect(holders('ROLE_DIRECTEUR').size).toBe(Math.round(200 * 0.07));
      expect(holders('ROLE_DOCTORANT').size).toBe(200 - holders('ROLE_ADMIN').size - holders('ROLE_DIRECTEUR').size);
      for (const u of users.slice(1))
        expect(u.email).toMatch(new RegExp(`^[a-z0-9-]+\\.[a-z0-9-]+${u.id}@univ-exemple\\.fr$`));
      expect(users.some((u) => u.enabled === 0)).toBe(true);
      const created = users.map((u) => parseSqlTimestamp(u.created_at).getTime());
      expect(Math.min(...created)).toBeGreaterThanOrEqual(REFERENCE.getTime() - 8 * 366 * DAY);
      expect(Math.max(...created)).toBeLessThanOrEqual(REFERENCE.getTime());
      expect(Math.max(...created) - Math.min(...created)).toBeGreaterThan(7 * 365 * DAY);
    });

    it('refuses to fill databases that already hold users', async () => {
      const env = await fresh();
      await generate(env, 0.05);
      await expect(generate(env, 0.05)).rejects.toThrow(
        /^userdb already holds 100 users; demo-data only fills empty databases$/,
      );
    });

    it('gives identical rows and files for the same seed, different ones for another seed', async () => {
      const [first, again, other] = [await fresh(), await fresh(), await fresh()];
      await generate(first, 0.05, 7);
      await generate(again, 0.05, 7);
      await generate(other, 0.05, 8);
      const snapshot = async (env: TestEnvironment) => ({
        users: await env.databases.user.db.selectFrom('users').selectAll().orderBy('id').execute(),
        tokens: await env.databases.user.db.selectFrom('refresh_tokens').selectAll().orderBy('id').execute(),
        inscriptions: await env.databases.inscription.db.selectFrom('inscriptions').selectAll().orderBy('id').execute(),
        files: [...listFiles(env.config.uploadsDir)].map(([name, f]) => [
          name,
          f.mtimeMs,
          f.content.toString('base64'),
        ]),
      });
      const [a, b, c] = [await snapshot(first), await snapshot(again), await snapshot(other)];
      expect(b).toEqual(a);
      expect(c.users).not.toEqual(a.users);
      expect(c.tokens).not.toEqual(a.tokens);
      expect(c.inscriptions).not.toEqual(a.inscriptions);
      expect(c.files).not.toEqual(a.files);
    });

    it('leaves about half the tokens expired, some within a second of the reference on each side', async () => {
      const env = await fresh();
      await generate(env, 0.1);
      const db = env.databases.user.db;
      for (const table of ['refresh_tokens', 'password_reset_tokens'] as const) {
        const tokens = await db.selectFrom(table).selectAll().execute();
        const at = (t: { expiry_date: string }) => parseSqlTimestamp(t.expiry_date).getTime() - REFERENCE.getTime();
        const expired = tokens.filter((t) => at(t) < 0).length;
        expect(expired / tokens.length).toBeGreaterThan(0.45);
        expect(expired / tokens.length).toBeLessThan(0.55);
        // The cleanup job's comparison must agree with instant order whatever the stored form.
        const bySql = await db
          .selectFrom(table)
          .select('id')
          .where('expiry_date', '<', sqlTimestamp(REFERENCE))
          .execute();
        expect(bySql.length).toBe(expired);
        expect(tokens.filter((t) => at(t) >= -1000 && at(t) < 0).length).toBeGreaterThanOrEqual(2);
        expect(tokens.filter((t) => at(t) >= 0 && at(t) <= 1000).length).toBeGreaterThanOrEqual(2);
        expect(tokens.every((t) => parseSqlTimestamp(t.created_at) <= REFERENCE)).toBe(true);
        if (dialect === 'sqlite') {
          // MariaDB's DATETIME keeps whole seconds, so only SQLite shows both stored forms.
          expect(tokens.some((t) => /:\d\d$/.test(t.expiry_date))).toBe(true);
          expect(tokens.some((t) => /:\d\d\.\d{3}$/.test(t.expiry_date))).toBe(true);
        }
      }
    });

    it('keeps one inscription per doctorant and year, and no date after the reference', async () => {
      const env = await fresh();
      await generate(env, 0.05);
      const { user, inscription, defense, notification } = env.databases;
      const users = await user.db.selectFrom('users').selectAll().execute();
      const inscriptions = await inscription.db.selectFrom('inscriptions').selectAll().execute();
      const soutenances = await defense.db.selectFrom('soutenances').selectAll().execute();
      const notifications = await notification.db.selectFrom('notifications').selectAll().execute();
      const time = (text: string) => parseSqlTimestamp(text).getTime();
      const now = REFERENCE.getTime();

      const years = new Set(inscriptions.map((r) => `${r.doctorant_id}/${r.annee_universitaire}`));
      expect(years.size).toBe(inscriptions.length);
      for (const row of [...inscriptions, ...soutenances]) {
        expect(time(row.created_at)).toBeLessThanOrEqual(time(row.updated_at));
        expect(time(row.updated_at)).toBeLessThanOrEqual(now);
      }
      for (const r of inscriptions) expect(r.date_premiere_inscription <= r.date_inscription).toBe(true);
      const registered = new Map(users.map((u) => [u.id, time(u.created_at)]));
      for (const r of inscriptions) expect(registered.get(r.doctorant_id) ?? 0).toBeLessThan(time(r.created_at));
      for (const n of notifications) {
        expect(time(n.created_at)).toBeLessThanOrEqual(now);
        if (n.sent_at) expect(time(n.sent_at)).toBeGreaterThanOrEqual(time(n.created_at));
      }
    });

    for (const reference of [REFERENCE, new Date('2028-02-29T00:00:00.000Z')]) {
      it(`has active doctorants in every duration band on ${sqlDate(reference)}`, async () => {
        const env = await fresh();
        await generate(env, 0.05, 42, reference);
        const rows = await env.databases.inscription.db.selectFrom('inscriptions').selectAll().execute();
        const day = sqlDate(reference);
        const active = await standingAt(env, day, 'active');
        const bands = new Set(active.map((a) => band(a.firstEnrollment, day)));
        expect([...bands].sort()).toEqual(['3_ANS', '6_ANS', 'DEPASSEMENT', 'MOINS_3_ANS']);
        expect(rows.some((r) => r.date_premiere_inscription.endsWith('-02-29'))).toBe(true);
        if (reference === REFERENCE) {
          // The edges: one day under 3 years, exactly 3, exactly 6 − 6 months, exactly 6, one day over.
          const firsts = new Set(active.map((a) => a.firstEnrollment));
          for (const edge of ['2023-03-16', '2023-03-15', '2020-09-15', '2020-03-15', '2020-03-14']) {
            expect(firsts).toContain(edge);
          }
        }
      });
    }

    it('plants archive candidates and the anomalies of the consistency job', async () => {
      const env = await fresh();
      await generate(env, 0.1);
      const { user, inscription, defense, notification } = env.databases;
      const users = new Set((await user.db.selectFrom('users').select('id').execute()).map((u) => u.id));
      const roles = await user.db.selectFrom('user_roles').selectAll().execute();
      const inscriptions = await inscription.db.selectFrom('inscriptions').selectAll().execute();
      const soutenances = await defense.db.selectFrom('soutenances').selectAll().execute();
      const notifications = await notification.db.selectFrom('notifications').selectAll().execute();
      const yearBefore = REFERENCE.getTime() - 365 * DAY;
      const time = (text: string) => parseSqlTimestamp(text).getTime();

      expect(new Set(inscriptions.map((r) => r.statut))).toEqual(
        new Set(['EN_ATTENTE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU']),
      );
      expect(new Set(soutenances.map((s) => s.statut))).toEqual(
        new Set(['DEMANDEE', 'AUTORISEE', 'PLANIFIEE', 'SOUTENUE', 'REJETEE', 'BLOQUEE']),
      );
      expect(inscriptions.filter((r) => r.statut === 'SUSPENDU').every((r) => r.motif_suspension)).toBe(true);
      for (const r of inscriptions) {
        expect(r.type).toBe(r.date_inscription === r.date_premiere_inscription ? 'PREMIERE' : 'REINSCRIPTION');
        expect(r.annee_universitaire).toMatch(/^(\d{4})-(\d{4})$/);
      }

      // 4.2 and 4.4: candidates waiting, and rows archived by earlier runs.
      const inscriptionCandidates = inscriptions.filter(
        (r) => ['VALIDÉ', 'REJETÉ'].includes(r.statut) && r.archived === 0 && time(r.updated_at) < yearBefore,
      );
      expect(inscriptionCandidates.length).toBeGreaterThan(0);
      expect(inscriptions.some((r) => r.archived === 1)).toBe(true);
      const defended = soutenances.filter((s) => s.statut === 'SOUTENUE');
      for (const s of defended) {
        expect(s.date_soutenance).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(['HONORABLE', 'TRES_HONORABLE', 'TRES_HONORABLE_FELICITATIONS']).toContain(s.mention);
      }
      const dayYearBefore = sqlDate(new Date(yearBefore));
      const oldDefense = (s: (typeof defended)[number]) => (s.date_soutenance ?? '') < dayYearBefore;
      expect(defended.some((s) => oldDefense(s) && s.pv_signe === 1 && s.archived === 0)).toBe(true);
      expect(defended.some((s) => oldDefense(s) && s.pv_signe === 0)).toBe(true);
      expect(defended.some((s) => s.archived === 1)).toBe(true);
      expect(defended.some((s) => !oldDefense(s))).toBe(true);

      // 5.2: inscriptions of unknown doctorants.
      expect(inscriptions.some((r) => !users.has(r.doctorant_id))).toBe(true);
      // 5.4: open requests on a missing or non-VALIDÉ inscription, besides valid ones.
      const statutOf = new Map(inscriptions.map((r) => [r.id, r.statut]));
      const open = soutenances.filter((s) => ['DEMANDEE', 'AUTORISEE', 'PLANIFIEE'].includes(s.statut));
      expect(open.some((s) => !statutOf.has(s.inscription_id))).toBe(true);
      expect(open.some((s) => statutOf.has(s.inscription_id) && statutOf.get(s.inscription_id) !== 'VALIDÉ')).toBe(
        true,
      );
      expect(open.some((s) => statutOf.get(s.inscription_id) === 'VALIDÉ')).toBe(true);
      // 5.6 and 5.7: roles out of step with the definition and the defenses, a minority.
      const holds = (id: number, role: string) => roles.some((r) => r.user_id === id && r.role === role);
      const doctors = new Set(defended.map((s) => s.doctorant_id));
      const activeDoctorants = new Set(
        (await standingAt(env, sqlDate(REFERENCE), 'active')).map((a) => a.doctorantId).filter((id) => users.has(id)),
      );
      const lacking = [...activeDoctorants].filter((id) => !holds(id, 'ROLE_DOCTORANT_ACTIF'));
      expect(lacking.length).toBeGreaterThan(0);
      expect(lacking.length).toBeLessThan(activeDoctorants.size / 2);
      const stale = [...doctors].filter((id) => holds(id, 'ROLE_DOCTORANT_ACTIF') && !holds(id, 'ROLE_DOCTEUR'));
      expect(stale.length).toBeGreaterThan(0);
      expect(stale.length).toBeLessThan(doctors.size / 2);

      // 4.7, 5.10–5.12.
      const age = (n: { created_at: string }) => REFERENCE.getTime() - time(n.created_at);
      const sent = notifications.filter((n) => n.statut === 'SENT');
      const pending = notifications.filter((n) => n.statut === 'PENDING');
      const failed = notifications.filter((n) => n.statut === 'FAILED');
      expect(sent.every((n) => n.sent_at !== null)).toBe(true);
      expect(sent.some((n) => age(n) > 100 * DAY)).toBe(true);
      expect(sent.some((n) => age(n) < 80 * DAY)).toBe(true);
      expect(pending.some((n) => age(n) > DAY)).toBe(true);
      expect(pending.some((n) => age(n) < DAY)).toBe(true);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((n) => n.derniere_erreur)).toBe(true);
      expect(notifications.every((n) => age(n) >= 0)).toBe(true);
    });

    it('ends the directeurs\' top ten on a tie even where the draw leaves none (seed 11)', async () => {
      const env = await fresh();
      await generate(env, 0.3, 11);
      const active = await standingAt(env, sqlDate(REFERENCE), 'active');
      const byDirecteur = new Map<number, number>();
      for (const a of active) byDirecteur.set(a.directeurId, (byDirecteur.get(a.directeurId) ?? 0) + 1);
      const counts = [...byDirecteur.values()].sort((a, b) => b - a);
      expect(counts.length).toBeGreaterThan(10);
      expect(counts[9]).toBe(counts[10]);
    });

    it('writes every document file with its size and date, and a few orphans', async () => {
      const env = await fresh();
      const summary = await generate(env, 0.1);
      const uploads = env.config.uploadsDir;
      const files = listFiles(uploads);
      const documents = [
        ...(await env.databases.inscription.db.selectFrom('documents').selectAll().execute()),
        ...(await env.databases.defense.db.selectFrom('soutenance_documents').selectAll().execute()),
      ];
      expect(documents.length).toBe(summary.documents + summary.soutenanceDocuments);
      for (const document of documents) {
        const file = files.get(document.chemin);
        expect(file, document.chemin).toBeDefined();
        expect(file?.size).toBe(Number(document.taille));
        expect(file?.mtimeMs).toBe(parseSqlTimestamp(document.created_at).getTime());
        expect(file?.content.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      }
      expect(documents.some((d) => /^inscriptions\/\d+\/[a-z_]+_\d+\.pdf$/.test(d.chemin))).toBe(true);
      expect(documents.some((d) => /^soutenances\/\d+\/[a-z_]+_\d+\.pdf$/.test(d.chemin))).toBe(true);

      const referenced = new Set(documents.map((d) => d.chemin));
      const unreferenced = [...files].filter(([name]) => !referenced.has(name) && !name.startsWith('orphelins/'));
      const orphans = unreferenced.filter(([, f]) => f.mtimeMs < REFERENCE.getTime() - DAY);
      expect(orphans.length).toBe(summary.orphanFiles);
      expect(orphans.length).toBeGreaterThan(0);
      expect(unreferenced.length).toBeGreaterThan(orphans.length);
      expect([...files.keys()].some((name) => name.startsWith('orphelins/'))).toBe(true);
    });
  });

  /**
   * One generation at scale 1, which the tests below only read: the shape of a school's
   * records, and a member in every case the jobs and the monthly report count, by the
   * definition of an active doctorant at the reference date.
   */
  describe(`demo data shaped like a school's (${dialect}, scale 1)`, () => {
    let env: TestEnvironment;
    const asOf = sqlDate(REFERENCE);
    const inscriptions = () => env.databases.inscription.db;

    beforeAll(async () => {
      env = await createTestEnvironment(dialect);
      await generateDemoData(env.databases, { seed: 42, scale: 1, referenceDate: REFERENCE, uploadsDir: env.config.uploadsDir });
    }, 120_000);
    afterAll(async () => {
      await env?.cleanup();
    });

    it('gives each doctorant one PREMIERE row, then one REINSCRIPTION per academic year, none after the defense', async () => {
      const premieres = await sql<{ doctorant_id: number }>`
        select doctorant_id from inscriptions
        group by doctorant_id having sum(case when type = 'PREMIERE' then 1 else 0 end) <> 1`.execute(inscriptions());
      expect(premieres.rows).toEqual([]);
      const twiceAYear = await sql<{ doctorant_id: number }>`
        select doctorant_id, annee_universitaire from inscriptions
        group by doctorant_id, annee_universitaire having count(*) > 1`.execute(inscriptions());
      expect(twiceAYear.rows).toEqual([]);
      // A REINSCRIPTION follows the row of the academic year before; a PREMIERE follows none.
      const outOfTurn = await sql<{ id: number; type: string }>`
        select i.id, i.type from inscriptions i
        where case when i.type = 'REINSCRIPTION' then 1 else 0 end
          <> case when exists (select 1 from inscriptions p where p.doctorant_id = i.doctorant_id
                 and substr(p.annee_universitaire, 6, 4) = substr(i.annee_universitaire, 1, 4)) then 1 else 0 end`.execute(
        inscriptions(),
      );
      expect(outOfTurn.rows).toEqual([]);
      const outsideItsYear = await sql<{ id: number }>`
        select id from inscriptions
        where not ((substr(date_inscription, 1, 4) = substr(annee_universitaire, 1, 4) and substr(date_inscription, 6, 2) >= '09')
                or (substr(date_inscription, 1, 4) = substr(annee_universitaire, 6, 4) and substr(date_inscription, 6, 2) < '09'))`.execute(
        inscriptions(),
      );
      expect(outsideItsYear.rows).toEqual([]);
      // Only a doctorant's last row may be anything but VALIDÉ: the years before were validated.
      const undecidedEarlier = await sql<{ id: number }>`
        select i.id from inscriptions i
        where i.statut <> 'VALIDÉ' and exists (select 1 from inscriptions j
          where j.doctorant_id = i.doctorant_id and j.annee_universitaire > i.annee_universitaire)`.execute(inscriptions());
      expect(undecidedEarlier.rows).toEqual([]);

      const defenses = await sql<{ doctorant_id: number; defended_on: string }>`
        select doctorant_id, min(date_soutenance) as defended_on from soutenances
        where statut = 'SOUTENUE' group by doctorant_id`.execute(env.databases.defense.db);
      const lastYears = await sql<{ doctorant_id: number; last_year: string }>`
        select doctorant_id, max(annee_universitaire) as last_year from inscriptions group by doctorant_id`.execute(inscriptions());
      const lastYearOf = new Map(lastYears.rows.map((r) => [Number(r.doctorant_id), String(r.last_year)]));
      expect(defenses.rows.length).toBeGreaterThan(50);
      for (const d of defenses.rows) {
        expect(lastYearOf.get(Number(d.doctorant_id)), `doctorant ${d.doctorant_id}`).toBe(academicYear(dateOf(d.defended_on)));
      }
    });

    it('carries one first-enrollment date on every row of a doctorant, except on one showcase', async () => {
      const premiereDated = await sql<{ id: number }>`
        select id from inscriptions where type = 'PREMIERE' and date_premiere_inscription <> date_inscription`.execute(
        inscriptions(),
      );
      expect(premiereDated.rows).toEqual([]);
      const disagreeing = await sql<{ doctorant_id: number; claimed: string; first: string }>`
        select i.doctorant_id, i.date_premiere_inscription as claimed, p.date_inscription as first
        from inscriptions i join inscriptions p on p.doctorant_id = i.doctorant_id and p.type = 'PREMIERE'
        where i.date_premiere_inscription <> p.date_inscription`.execute(inscriptions());
      expect(new Set(disagreeing.rows.map((r) => Number(r.doctorant_id))).size).toBe(1);
      const [row] = disagreeing.rows;
      // Worth showing: the date a row claims puts the doctorant in another band than the earliest.
      expect(band(dateOf(row!.claimed), asOf)).not.toBe(band(dateOf(row!.first), asOf));
      const active = await standingAt(env, asOf, 'active');
      expect(active.find((a) => a.doctorantId === Number(row!.doctorant_id))?.firstEnrollment).toBe(dateOf(row!.first));
    });

    it('defends 3 to 7 years after the first enrollment, most often within 4', async () => {
      const defenses = await sql<{ doctorant_id: number; date_soutenance: string | null }>`
        select doctorant_id, date_soutenance from soutenances where statut = 'SOUTENUE'`.execute(env.databases.defense.db);
      const firsts = await sql<{ doctorant_id: number; first: string }>`
        select doctorant_id, min(date_premiere_inscription) as first from inscriptions group by doctorant_id`.execute(inscriptions());
      const firstOf = new Map(firsts.rows.map((r) => [Number(r.doctorant_id), dateOf(r.first)]));
      const years = defenses.rows.map((d) => {
        const first = firstOf.get(Number(d.doctorant_id));
        expect(first, `doctorant ${d.doctorant_id}`).toBeDefined();
        expect(d.date_soutenance, `doctorant ${d.doctorant_id}`).not.toBeNull();
        const on = dateOf(d.date_soutenance);
        expect(on >= plusMonths(first!, 36) && on <= plusMonths(first!, 84), `${first} → ${on}`).toBe(true);
        return on <= plusMonths(first!, 48) ? 'within 4' : on <= plusMonths(first!, 60) ? '4 to 5' : 'over 5';
      });
      const count = (label: string) => years.filter((y) => y === label).length;
      expect(count('within 4')).toBeGreaterThan(count('4 to 5'));
      expect(count('4 to 5')).toBeGreaterThan(count('over 5'));
      expect(count('over 5')).toBeGreaterThan(0);
    });

    it('has a member in every case the reports and jobs count, by the definition at the reference date', async () => {
      const latest = await standingAt(env, asOf, 'latest');
      const active = await standingAt(env, asOf, 'active');
      const activeIds = new Set(active.map((a) => a.doctorantId));
      const defended = new Set(await defendedBy(env, asOf));

      // Duration bands, the six-year warning window among them (2.2–2.6, 3.2).
      const bands = new Map<string, number>();
      for (const a of active) bands.set(band(a.firstEnrollment, asOf), (bands.get(band(a.firstEnrollment, asOf)) ?? 0) + 1);
      expect([...bands.keys()].sort()).toEqual(['3_ANS', '6_ANS', 'DEPASSEMENT', 'MOINS_3_ANS']);
      // Several yearly rows; an archived first year that leaves the doctorant active.
      expect(active.filter((a) => a.rowsByThen >= 3).length).toBeGreaterThan(0);
      expect(active.filter((a) => a.firstArchived).length).toBeGreaterThan(0);
      // A suspended re-enrolment: the years before VALIDÉ, the latest SUSPENDU.
      const suspended = latest.filter((l) => l.statut === 'SUSPENDU' && l.type === 'REINSCRIPTION' && l.earlierNotValide === 0);
      expect(suspended.length).toBeGreaterThan(0);
      // Abandonment: a refused re-enrolment.
      expect(latest.filter((l) => l.statut === 'REJETÉ' && l.type === 'REINSCRIPTION').length).toBeGreaterThan(0);
      // Defended doctors whose latest row is VALIDÉ: a count of rows would take them for active.
      const validated = latest.filter((l) => l.statut === 'VALIDÉ');
      expect(validated.filter((l) => defended.has(l.doctorantId)).length).toBeGreaterThan(0);
      expect(active.length).toBe(validated.filter((l) => !defended.has(l.doctorantId)).length);
      // Lapsed: no row for a year or more, the last one VALIDÉ: active by the definition.
      expect(active.filter((a) => a.dateInscription <= plusMonths(asOf, -12)).length).toBeGreaterThan(0);

      // The monthly report's top ten directeurs ends on a tie.
      const byDirecteur = new Map<number, number>();
      for (const a of active) byDirecteur.set(a.directeurId, (byDirecteur.get(a.directeurId) ?? 0) + 1);
      const counts = [...byDirecteur.values()].sort((a, b) => b - a);
      expect(counts.length).toBeGreaterThan(10);
      expect(counts[9]).toBe(counts[10]);
      expect(activeIds.size).toBe(active.length);
    });

    it('gives the month before the reference new inscriptions of each type and statut, and defenses of each mention', async () => {
      const from = `${plusMonths(asOf, -1).slice(0, 7)}-01`;
      const to = `${asOf.slice(0, 7)}-01`;
      const created = await sql<{ type: string; statut: string; n: number }>`
        select type, statut, count(*) as n from inscriptions
        where date_inscription >= ${from} and date_inscription < ${to} group by type, statut`.execute(inscriptions());
      const kinds = new Set(created.rows.filter((r) => Number(r.n) > 0).map((r) => `${r.type} ${r.statut}`));
      for (const type of ['PREMIERE', 'REINSCRIPTION'])
        for (const statut of ['VALIDÉ', 'EN_ATTENTE', 'REJETÉ', 'SUSPENDU']) expect(kinds).toContain(`${type} ${statut}`);
      const held = await sql<{ mention: string }>`
        select distinct mention from soutenances
        where statut = 'SOUTENUE' and date_soutenance >= ${from} and date_soutenance < ${to}`.execute(env.databases.defense.db);
      expect(held.rows.map((r) => r.mention).sort()).toEqual(['HONORABLE', 'TRES_HONORABLE', 'TRES_HONORABLE_FELICITATIONS']);
    });

    it('gives the roles the definition gives at the reference date, but for a few showcase breaks', async () => {
      const active = new Set((await standingAt(env, asOf, 'active')).map((a) => a.doctorantId));
      const defended = new Set(await defendedBy(env, asOf));
      const roles = await sql<{ user_id: number; role: string }>`
        select user_id, role from user_roles where role in ('ROLE_DOCTORANT_ACTIF', 'ROLE_DOCTEUR')`.execute(env.databases.user.db);
      const holders = (role: string) => new Set(roles.rows.filter((r) => r.role === role).map((r) => Number(r.user_id)));
      const [actif, docteur] = [holders('ROLE_DOCTORANT_ACTIF'), holders('ROLE_DOCTEUR')];
      const users = new Set(
        (await sql<{ id: number }>`select id from users`.execute(env.databases.user.db)).rows.map((u) => Number(u.id)),
      );
      const registeredActive = [...active].filter((id) => users.has(id));

      // 5.6: active without the role, a few; no longer active (nor defended) with it, one or two.
      const lacking = registeredActive.filter((id) => !actif.has(id));
      expect(lacking.length).toBeGreaterThan(0);
      expect(lacking.length).toBeLessThan(registeredActive.length / 10);
      const stillActif = [...actif].filter((id) => !active.has(id) && !defended.has(id));
      expect(stillActif.length).toBeGreaterThan(0);
      expect(stillActif.length).toBeLessThanOrEqual(2);
      // 5.7: defended doctors hold ROLE_DOCTEUR, but a few still hold ROLE_DOCTORANT_ACTIF instead.
      const staleDocteur = [...defended].filter((id) => actif.has(id));
      expect(staleDocteur.length).toBeGreaterThan(0);
      expect(staleDocteur.length).toBeLessThan(defended.size / 5);
      expect([...defended].filter((id) => !docteur.has(id)).sort()).toEqual(staleDocteur.sort());
      expect([...docteur].filter((id) => !defended.has(id))).toEqual([]);
    });
  });
}
