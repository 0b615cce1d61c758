/**
 * Property 14 (3.2–3.5): every statistic of the report equals a brute-force recount in
 * TypeScript over the same random rows, with the month's bounds in a zone that is not UTC
 * (rows are planted around both midnights): inscriptions counted as rows, doctorants as
 * people active at the month's last day (latest inscription by then VALIDÉ, no defense
 * by then, archived or not), read in pages smaller than the doctorants.
 */
import type { Kysely } from 'kysely';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlTimestampMillis } from '../../../src/db/sql-time.js';
import { dateInZone } from '../../../src/doctorate/calendar.js';
import { durationBand } from '../../../src/doctorate/duration-band.js';
import { defenseStats } from '../../../src/jobs/monthlyReportJob/defense-stats.js';
import { enrollmentStats } from '../../../src/jobs/monthlyReportJob/enrollment-stats.js';
import { notificationStats } from '../../../src/jobs/monthlyReportJob/notification-stats.js';
import { reportPeriod } from '../../../src/jobs/monthlyReportJob/report-period.js';
import { userStats } from '../../../src/jobs/monthlyReportJob/user-stats.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';

const ZONE = 'America/Sao_Paulo';
const MONTH = '2026-03';
const period = reportPeriod(MONTH, ZONE);

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
// Instants within five weeks of the month, often right at its edges.
const instant = fc.oneof(
  fc.integer({ min: period.start.getTime() - 35 * 86_400_000, max: period.end.getTime() + 35 * 86_400_000 }),
  fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }).map((d) => period.start.getTime() + d),
  fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }).map((d) => period.end.getTime() + d),
);
const date = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 5, 30) }).map(day);
const firstEnrollment = fc.integer({ min: Date.UTC(2018, 0, 1), max: Date.UTC(2026, 2, 31) }).map(day);

const inscriptionRow = fc.record({
  doctorant: fc.integer({ min: 100, max: 130 }),
  directeur: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
  type: fc.constantFrom('PREMIERE', 'REINSCRIPTION'),
  date,
  first: firstEnrollment,
  statut: fc.constantFrom('EN_ATTENTE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU'),
  archived: fc.boolean(),
});
const soutenanceRow = fc.record({
  doctorant: fc.integer({ min: 100, max: 130 }),
  statut: fc.constantFrom('DEMANDEE', 'PLANIFIEE', 'SOUTENUE', 'SOUTENUE', 'SOUTENUE', 'REJETEE'),
  dateSoutenance: fc.option(fc.integer({ min: Date.UTC(2026, 1, 20), max: Date.UTC(2026, 3, 10) }).map(day), { nil: null, freq: 6 }),
  mention: fc.option(fc.constantFrom('HONORABLE', 'TRES_HONORABLE', 'TRES_HONORABLE_FELICITATIONS'), { nil: null }),
  created: fc.integer({ min: Date.UTC(2025, 6, 1), max: Date.UTC(2026, 2, 31) }),
});
const notificationRow = fc.record({ statut: fc.constantFrom('PENDING', 'SENT', 'FAILED'), type: fc.constantFrom('RAPPEL', 'COMPTE_CREE', 'INSCRIPTION_VALIDEE'), created: instant });
const userRow = fc.record({ created: instant, enabled: fc.boolean(), roles: fc.uniqueArray(fc.constantFrom('ROLE_ADMIN', 'ROLE_DIRECTEUR', 'ROLE_DOCTORANT'), { maxLength: 2 }) });

const inMonthDate = (d: string) => d >= period.firstDay && d < period.nextFirstDay;
const inMonthInstant = (ms: number) => ms >= period.start.getTime() && ms < period.end.getTime();
const tally = <T>(rows: readonly T[], key: (row: T) => string) =>
  rows.reduce<Record<string, number>>((acc, row) => ({ ...acc, [key(row)]: (acc[key(row)] ?? 0) + 1 }), {});

describe.each(dialects)('report statistics (%s)', (dialect) => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect);
  });
  afterAll(() => env?.cleanup());

  it('Property 14: every figure equals a recount of the rows (people once, as of the month), in a zone that is not UTC', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(inscriptionRow, { maxLength: 40 }),
        fc.array(soutenanceRow, { maxLength: 25 }),
        fc.array(notificationRow, { maxLength: 30 }),
        fc.array(userRow, { maxLength: 20 }),
        async (inscriptions, soutenances, notifications, users) => {
          const dbs = env.databases;
          for (const [db, table] of [[dbs.inscription, 'inscriptions'], [dbs.defense, 'soutenances'], [dbs.notification, 'notifications'], [dbs.user, 'user_roles'], [dbs.user, 'users']] as const) {
            await (db.db as unknown as Kysely<Record<string, object>>).deleteFrom(table).execute();
          }
          const at = '2025-01-01 00:00:00';
          const people = [...Array.from({ length: 12 }, (_, i) => ({ id: 1 + i, email: `d${i}@x.fr`, nom: `Dir${i}`, prenom: 'P', enabled: 1, created_at: at })),
            ...users.map((u, i) => ({ id: 500 + i, email: `u${i}@x.fr`, nom: 'U', prenom: 'V', enabled: u.enabled ? 1 : 0, created_at: sqlTimestampMillis(new Date(u.created)) }))];
          await dbs.user.db.insertInto('users').values(people).execute();
          const roles = users.flatMap((u, i) => u.roles.map((role) => ({ user_id: 500 + i, role })));
          if (roles.length > 0) await dbs.user.db.insertInto('user_roles').values(roles).execute();
          if (inscriptions.length > 0) {
            await dbs.inscription.db.insertInto('inscriptions').values(inscriptions.map((r, i) => ({
              id: i + 1, doctorant_id: r.doctorant, directeur_id: r.directeur, sujet_these: null, annee_universitaire: null, type: r.type, date_inscription: r.date,
              date_premiere_inscription: r.first, statut: r.statut, motif_suspension: null, archived: r.archived ? 1 : 0, created_at: at, updated_at: at,
            }))).execute();
          }
          if (soutenances.length > 0) {
            await dbs.defense.db.insertInto('soutenances').values(soutenances.map((s, i) => ({
              id: i + 1, doctorant_id: s.doctorant, inscription_id: 1, directeur_id: null, titre_these: null, statut: s.statut, date_soutenance: s.dateSoutenance, mention: s.mention,
              pv_signe: 0, motif_blocage: null, archived: 0, created_at: sqlTimestampMillis(new Date(s.created)), updated_at: at,
            }))).execute();
          }
          if (notifications.length > 0) {
            await dbs.notification.db.insertInto('notifications').values(notifications.map((n) => ({
              user_id: null, destinataire_email: 'x@x.fr', type: n.type, sujet: 's', contenu: 'c', statut: n.statut, tentatives: 0, derniere_erreur: null,
              created_at: sqlTimestampMillis(new Date(n.created)), sent_at: null,
            }))).execute();
          }

          // Enrollment
          const e = await enrollmentStats(dbs, period, 6, 7);
          const monthRows = inscriptions.filter((r) => inMonthDate(r.date));
          expect(e.newInscriptions).toEqual({ total: monthRows.length, premiere: monthRows.filter((r) => r.type === 'PREMIERE').length, reinscription: monthRows.filter((r) => r.type === 'REINSCRIPTION').length });
          expect(e.byStatut).toEqual(tally(monthRows, (r) => r.statut));
          const validated = monthRows.filter((r) => r.statut === 'VALIDÉ').length;
          const decided = monthRows.filter((r) => r.statut !== 'EN_ATTENTE').length;
          expect(e.validation).toEqual({ validated, decided, undecided: monthRows.length - decided, rate: decided === 0 ? null : validated / decided });
          // People: each doctorant once, by their latest row dated by the month's last day (then the highest id).
          const rowsById = inscriptions.map((r, i) => ({ ...r, id: i + 1 }));
          const defended = new Set(soutenances.filter((x) => x.statut === 'SOUTENUE' && (x.dateSoutenance === null || x.dateSoutenance <= period.lastDay)).map((x) => x.doctorant));
          const active: { doctorant: number; directeur: number | null; first: string }[] = [];
          for (const doctorant of new Set(rowsById.map((r) => r.doctorant))) {
            const mine = rowsById.filter((r) => r.doctorant === doctorant && r.date <= period.lastDay);
            if (mine.length === 0) continue;
            const latest = mine.reduce((a, b) => (b.date > a.date || (b.date === a.date && b.id > a.id) ? b : a));
            if (latest.statut !== 'VALIDÉ' || defended.has(doctorant)) continue;
            active.push({ doctorant, directeur: latest.directeur, first: mine.map((r) => r.first).sort()[0]! });
          }
          expect(e.activeDoctorants).toBe(active.length);
          const bands = { moins3Ans: 0, troisAns: 0, sixAns: 0, depassement: 0 };
          for (const a of active) {
            const band = durationBand(a.first, period.lastDay, 6);
            bands[band === '3_ANS' ? 'troisAns' : band === '6_ANS' ? 'sixAns' : band === 'DEPASSEMENT' ? 'depassement' : 'moins3Ans']++;
          }
          expect(e.durationBands).toEqual(bands);
          expect(Object.values(e.durationBands).reduce((a, b) => a + b, 0)).toBe(e.activeDoctorants);
          const perDirecteur = tally(active.filter((a) => a.directeur !== null), (a) => String(a.directeur));
          const ranked = Object.entries(perDirecteur).map(([id, n]) => ({ id: Number(id), n })).sort((a, b) => b.n - a.n || a.id - b.id);
          const tenth = ranked[9]?.n ?? 0;
          expect(e.topDirecteurs.map((d) => [d.directeurId, d.doctorants])).toEqual(ranked.filter((t, i) => i < 10 || t.n === tenth).map((t) => [t.id, t.n]));
          expect(e.trend.reduce((sum, t) => sum + t.count, 0)).toBe(inscriptions.filter((r) => r.date >= '2025-04-01' && r.date < period.nextFirstDay).length);
          expect(e.trend.at(-1)).toEqual({ month: MONTH, count: monthRows.length });

          // Defense
          const d = await defenseStats(dbs.defense, period);
          expect(d.requests).toBe(soutenances.filter((s) => inMonthInstant(s.created)).length);
          const held = soutenances.filter((s) => s.statut === 'SOUTENUE' && s.dateSoutenance !== null && inMonthDate(s.dateSoutenance));
          expect(d.held).toBe(held.length);
          expect(d.byMention).toEqual(tally(held, (s) => s.mention ?? 'SANS_MENTION'));
          const delays = held.map((s) => (Date.parse(s.dateSoutenance!) - Date.parse(day(s.created))) / 86_400_000).sort((a, b) => a - b);
          const mean = delays.length === 0 ? null : delays.reduce((a, b) => a + b, 0) / delays.length;
          expect(d.meanDelayDays === null ? null : Math.round(d.meanDelayDays * 1000)).toBe(mean === null ? null : Math.round(mean * 1000));
          const median = delays.length === 0 ? null : delays.length % 2 ? delays[(delays.length - 1) / 2]! : (delays[delays.length / 2 - 1]! + delays[delays.length / 2]!) / 2;
          expect(d.medianDelayDays).toBe(median);

          // Notifications
          const n = await notificationStats(dbs.notification, period);
          const monthNotifications = notifications.filter((x) => inMonthInstant(x.created));
          expect(n.byStatut).toEqual(tally(monthNotifications, (x) => x.statut));
          expect(n.byType).toEqual(tally(monthNotifications, (x) => x.type));
          expect(n.total).toBe(monthNotifications.length);
          const sent = monthNotifications.filter((x) => x.statut === 'SENT').length;
          expect(n.deliveryRate).toBe(monthNotifications.length === 0 ? null : sent / monthNotifications.length);
          expect(n.pendingOver24h).toBe(monthNotifications.filter((x) => x.statut === 'PENDING' && x.created < period.end.getTime() - 86_400_000).length);

          // Users: those that existed at the month's end, with today's roles and flag
          const u = await userStats(dbs.user, period);
          const newUsers = users.filter((x) => inMonthInstant(x.created));
          const existing = users.filter((x) => x.created < period.end.getTime());
          expect(u.newAccounts).toBe(newUsers.length);
          expect(u.newByRole).toEqual(tally(newUsers.flatMap((x) => x.roles), (r) => r));
          expect(u.byRole).toEqual(tally(existing.flatMap((x) => x.roles), (r) => r));
          expect(u.accounts).toBe(12 + existing.length);
          expect(u.enabled).toBe(12 + existing.filter((x) => x.enabled).length);
          expect(u.disabled).toBe(existing.filter((x) => !x.enabled).length);
          // The month's bounds really are the zone's midnights.
          expect(dateInZone(period.start, ZONE)).toBe('2026-03-01');
        },
      ),
      { numRuns: dialect === 'sqlite' ? 40 : 15 },
    );
  });
});
