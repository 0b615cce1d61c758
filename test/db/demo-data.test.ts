/**
 * The demo data generator on real databases: counts, determinism, and that every case
 * the jobs handle has members. Expectations are recomputed here from the rows (bands
 * with their own calendar arithmetic) rather than taken from the generator.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDemoData, siblingDatabasesAreEmpty } from '../../src/db/fixtures/demo-data.js';
import { parseSqlTimestamp, sqlDate, sqlTimestamp } from '../../src/db/sql-time.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const REFERENCE = new Date('2026-03-15T10:20:30.250Z');
const DAY = 86_400_000;

/** Calendar months, a missing day clamped to the month's last one. */
function plusMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = index % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return sqlDate(new Date(Date.UTC(year, month, Math.min(d, last))));
}

/** Requirement 2's bands, on `YYYY-MM-DD` strings (which order like dates). */
function band(first: string, day: string): string {
  const sixth = plusMonths(first, 72);
  if (day < plusMonths(first, 36)) return 'MOINS_3_ANS';
  if (day < plusMonths(sixth, -6)) return '3_ANS';
  if (day <= sixth) return '6_ANS';
  return 'DEPASSEMENT';
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
      it(`has active inscriptions in every duration band on ${sqlDate(reference)}`, async () => {
        const env = await fresh();
        await generate(env, 0.05, 42, reference);
        const rows = await env.databases.inscription.db.selectFrom('inscriptions').selectAll().execute();
        const day = sqlDate(reference);
        const active = rows.filter((r) => r.statut === 'VALIDÉ' && r.archived === 0);
        const bands = new Set(active.map((r) => band(r.date_premiere_inscription, day)));
        expect([...bands].sort()).toEqual(['3_ANS', '6_ANS', 'DEPASSEMENT', 'MOINS_3_ANS']);
        expect(rows.some((r) => r.date_premiere_inscription.endsWith('-02-29'))).toBe(true);
        if (reference === REFERENCE) {
          // The edges: one day under 3 years, exactly 3, exactly 6 − 6 months, exactly 6, one day over.
          const firsts = new Set(active.map((r) => r.date_premiere_inscription));
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
      // 5.6 and 5.7: roles out of step with inscriptions and defenses, a minority.
      const holds = (id: number, role: string) => roles.some((r) => r.user_id === id && r.role === role);
      const doctors = new Set(defended.map((s) => s.doctorant_id));
      const activeDoctorants = new Set(
        inscriptions
          .filter(
            (r) =>
              r.statut === 'VALIDÉ' && r.archived === 0 && users.has(r.doctorant_id) && !doctors.has(r.doctorant_id),
          )
          .map((r) => r.doctorant_id),
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
}
