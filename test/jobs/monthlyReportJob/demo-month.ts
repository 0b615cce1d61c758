/**
 * October 2026 on demo data at scale 3 (beyond every page size of the report), plus the
 * cases demo data may lack, planted by hand: a doctorant with several yearly rows, a
 * suspended re-enrolment, a defended doctorant, an archived first year, one in the
 * six-year warning window; notifications still pending, and batchdb rows (anomalies,
 * overrun alerts, failed executions), on both sides of each month boundary.
 *
 * `recountMonth` recomputes every figure of the report with plain SQL written here, not
 * with the job's queries: the sets in SQL per database, joined in TypeScript where two
 * databases meet (no query can join them), and the duration bands with this file's own
 * calendar arithmetic. Nothing here depends on exact demo counts.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { generateDemoData } from '../../../src/db/fixtures/demo-data.js';
import type { TestEnvironment } from '../../support/databases.js';
import { plusMonths, recountBand } from '../../support/recount-calendar.js';

export const REFERENCE = new Date('2026-12-07T10:00:00Z');
export const ZONE = 'Europe/Paris';
export const WARNING_MONTHS = 6;

/** A month in Europe/Paris, its bounds written out by hand: DATE bounds and the UTC instants of its midnights. */
export interface MonthBounds {
  readonly month: string;
  readonly firstDay: string;
  readonly lastDay: string;
  /** UTC `YYYY-MM-DD HH:MM:SS` */
  readonly start: string;
  readonly end: string;
  /** `end` minus 24 hours */
  readonly endMinusDay: string;
  /** The first of the twelve months of the trend. */
  readonly trendFrom: string;
}

export const OCTOBER: MonthBounds = {
  month: '2026-10',
  firstDay: '2026-10-01',
  lastDay: '2026-10-31',
  start: '2026-09-30 22:00:00',
  end: '2026-10-31 23:00:00',
  endMinusDay: '2026-10-30 23:00:00',
  trendFrom: '2025-11-01',
};
export const SEPTEMBER: MonthBounds = {
  month: '2026-09',
  firstDay: '2026-09-01',
  lastDay: '2026-09-30',
  start: '2026-08-31 22:00:00',
  end: '2026-09-30 22:00:00',
  endMinusDay: '2026-09-29 22:00:00',
  trendFrom: '2025-10-01',
};

/** The doctorant ids of the hand-made cases. */
export interface Cases {
  readonly severalYears: number;
  readonly suspendedReEnrolment: number;
  readonly defended: number;
  readonly archivedFirstYear: number;
  readonly warningWindow: number;
  readonly directeur: number;
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;
const anyDb = (handle: { db: unknown }) => handle.db as AnyDb;
const rows = async <T>(db: { db: unknown }, query: RawBuilder<T>): Promise<T[]> => (await query.execute(anyDb(db))).rows;
const one = async <T>(db: { db: unknown }, query: RawBuilder<T>): Promise<T> => {
  const [first] = await rows(db, query);
  if (first === undefined) throw new Error('expected one row');
  return first;
};

export async function seedDemoMonth(env: TestEnvironment): Promise<Cases> {
  await generateDemoData(env.databases, { uploadsDir: env.config.uploadsDir, scale: 3, referenceDate: REFERENCE });
  const dbs = env.databases;
  const { maxUser } = await one<{ maxUser: number }>(dbs.user, sql`SELECT MAX(id) AS maxUser FROM users`);
  const base = Number(maxUser) + 1;
  const cases: Cases = { severalYears: base, suspendedReEnrolment: base + 1, defended: base + 2, archivedFirstYear: base + 3, warningWindow: base + 4, directeur: base + 5 };
  const at = '2020-01-01 00:00:00';
  await anyDb(dbs.user)
    .insertInto('users')
    .values(Object.entries(cases).map(([name, id]) => ({ id, email: `cas.${name}@univ-exemple.fr`, nom: name, prenom: 'Cas', enabled: 1, created_at: at })))
    .execute();
  await anyDb(dbs.user)
    .insertInto('user_roles')
    .values(Object.entries(cases).map(([name, id]) => ({ user_id: id, role: name === 'directeur' ? 'ROLE_DIRECTEUR' : 'ROLE_DOCTORANT' })))
    .execute();
  const row = (doctorant: number, date: string, first: string, statut: string, archived = false) => ({
    doctorant_id: doctorant, directeur_id: cases.directeur, sujet_these: 'Cas planté', annee_universitaire: `${date.slice(0, 4)}-${Number(date.slice(0, 4)) + 1}`,
    type: date === first ? 'PREMIERE' : 'REINSCRIPTION', date_inscription: date, date_premiere_inscription: first, statut,
    motif_suspension: statut === 'SUSPENDU' ? 'DUREE_MAXIMALE_DEPASSEE' : null, archived: archived ? 1 : 0, created_at: `${date} 09:00:00`, updated_at: `${date} 09:00:00`,
  });
  await anyDb(dbs.inscription)
    .insertInto('inscriptions')
    .values([
      // One person, five yearly rows, the last dated in October.
      ...['2022-10-03', '2023-10-02', '2024-10-01', '2025-10-01', '2026-10-05'].map((d) => row(cases.severalYears, d, '2022-10-03', 'VALIDÉ')),
      // Active in September; the October re-enrolment is SUSPENDU.
      row(cases.suspendedReEnrolment, '2024-10-01', '2024-10-01', 'VALIDÉ'),
      row(cases.suspendedReEnrolment, '2025-10-01', '2024-10-01', 'VALIDÉ'),
      row(cases.suspendedReEnrolment, '2026-10-06', '2024-10-01', 'SUSPENDU'),
      // Defends on 15 October (below): active in September, a doctor in October.
      ...['2022-11-02', '2023-11-02', '2024-11-04', '2025-11-03'].map((d) => row(cases.defended, d, '2022-11-02', 'VALIDÉ')),
      // First two years archived; the sixth anniversary (5 October 2026) falls between the two months' ends.
      row(cases.archivedFirstYear, '2020-10-05', '2020-10-05', 'VALIDÉ', true),
      row(cases.archivedFirstYear, '2021-10-04', '2020-10-05', 'VALIDÉ', true),
      ...['2022-10-03', '2023-10-02', '2024-10-07', '2025-10-06', '2026-10-02'].map((d) => row(cases.archivedFirstYear, d, '2020-10-05', 'VALIDÉ')),
      // Six years on 15 January 2027: in the warning window at both months' ends.
      ...['2021-01-15', '2021-10-04', '2022-10-03', '2023-10-02', '2024-10-07', '2025-10-06'].map((d) => row(cases.warningWindow, d, '2021-01-15', 'VALIDÉ')),
    ])
    .execute();
  const { inscriptionId } = await one<{ inscriptionId: number }>(dbs.inscription, sql`SELECT MAX(id) AS inscriptionId FROM inscriptions WHERE doctorant_id = ${cases.defended}`);
  await anyDb(dbs.defense)
    .insertInto('soutenances')
    .values({
      doctorant_id: cases.defended, inscription_id: inscriptionId, directeur_id: cases.directeur, titre_these: 'Thèse plantée', statut: 'SOUTENUE', date_soutenance: '2026-10-15',
      mention: 'TRES_HONORABLE', pv_signe: 1, motif_blocage: null, archived: 0, created_at: '2026-06-10 08:00:00', updated_at: '2026-10-15 18:00:00',
    })
    .execute();
  // Notifications still pending on each side of the bounds (demo data's pending ones are recent).
  const pending = (created: string) => ({
    user_id: cases.severalYears, destinataire_email: 'cas.severalYears@univ-exemple.fr', type: 'RAPPEL', sujet: 'Rappel', contenu: 'Rappel planté', statut: 'PENDING',
    tentatives: 0, derniere_erreur: null, created_at: created, sent_at: null,
  });
  await anyDb(dbs.notification)
    .insertInto('notifications')
    .values(['2026-09-10 08:00:00', '2026-09-30 21:30:00', '2026-10-20 08:00:00', '2026-10-30 22:59:59', '2026-10-30 23:00:00', '2026-10-31 22:30:00', '2026-11-03 08:00:00'].map(pending))
    .execute();
  await plantBatchRows(env);
  return cases;
}

/** batchdb rows on each side of the months' bounds (Paris: October is [30 Sept 22:00Z, 31 Oct 23:00Z)). */
async function plantBatchRows(env: TestEnvironment): Promise<void> {
  const batch = anyDb(env.databases.batch);
  // Anomaly 2 was corrected on an earlier night (« déjà … »), 7 by the night that found it.
  const corrections: Record<number, string> = { 2: 'déjà SUSPENDU (motif UTILISATEUR_INEXISTANT)', 7: 'BLOQUEE' };
  const anomaly = (id: number, action: string, firstSeen: string, resolvedAt: string | null) => ({
    type: id % 2 ? 'FICHIER_MANQUANT' : 'UTILISATEUR_INEXISTANT', entity: 'document', entity_id: 900_000 + id, details: JSON.stringify(corrections[id] ? { correction: corrections[id] } : {}), action,
    first_seen: firstSeen, last_seen: resolvedAt ?? '2026-12-06 22:00:00.000', resolved_at: resolvedAt, open_key: resolvedAt === null ? `planted:${id}` : null, job_execution_id: null,
  });
  await batch
    .insertInto('consistency_anomaly')
    .values([
      anomaly(1, 'INTERVENTION_REQUISE', '2026-09-15 21:00:00.000', null),
      anomaly(2, 'AUTO_CORRIGÉE', '2026-10-10 21:00:00.000', '2026-11-05 22:00:00.000'),
      anomaly(3, 'INTERVENTION_REQUISE', '2026-10-02 21:00:00.000', '2026-10-20 21:00:00.000'),
      anomaly(4, 'INTERVENTION_REQUISE', '2026-11-03 22:00:00.000', null),
      anomaly(5, 'INTERVENTION_REQUISE', '2026-10-31 22:30:00.000', null),
      anomaly(6, 'AUTO_CORRIGÉE', '2026-10-31 23:00:00.000', null),
      anomaly(7, 'AUTO_CORRIGÉE', '2026-09-01 21:00:00.000', '2026-10-31 23:00:00.000'),
      anomaly(8, 'INTERVENTION_REQUISE', '2026-08-20 21:00:00.000', '2026-09-30 21:59:59.999'),
    ])
    .execute();
  const alert = (doctorant: number, type: string, sentAt: string) => ({ doctorant_id: doctorant, inscription_id: 1, type_alerte: type, date_envoi: sentAt, duree_jours: 2200, job_execution_id: null });
  await batch
    .insertInto('alerte_duree_envoyee')
    .values([
      alert(990_001, 'DEPASSEMENT', '2026-10-12 06:00:00.000'),
      alert(990_002, 'DEPASSEMENT', '2026-09-30 21:59:59.999'),
      alert(990_003, 'DEPASSEMENT', '2026-10-31 22:59:00.000'),
      alert(990_004, 'DEPASSEMENT', '2026-11-02 07:00:00.000'),
      alert(990_005, '3_ANS', '2026-10-12 06:00:00.000'),
    ])
    .execute();
  const stamp = '2026-10-01 00:00:00.000';
  await batch.insertInto('batch_job_instance').values({ job_name: 'tokenCleanupJob', job_key: 'planted-for-the-report', identifying_parameters: '{}', created_at: stamp, current_execution_id: null }).execute();
  const { instance } = await one<{ instance: number }>(env.databases.batch, sql`SELECT MAX(id) AS instance FROM batch_job_instance`);
  const execution = (status: string, end: string, message: string) => ({
    job_instance_id: instance, job_name: 'tokenCleanupJob', status, exit_code: status, exit_message: message, parameters: '{}', execution_context: '{}', metrics: '{}',
    dry_run: 0, trigger_type: 'SCHEDULED', triggered_by: null, restart_of: null, created_at: end, start_time: end, end_time: end, last_updated: end, heartbeat_at: end,
    running_job: null, host: 'planted', owner: null,
  });
  await batch
    .insertInto('batch_job_execution')
    .values([
      execution('FAILED', '2026-10-05 01:00:00.000', 'userdb unreachable (planted)'),
      execution('FAILED', '2026-09-30 21:59:00.000', 'September failure (planted)'),
      execution('COMPLETED', '2026-10-06 01:00:00.000', ''),
      execution('FAILED', '2026-11-02 01:00:00.000', 'November failure (planted)'),
    ])
    .execute();
}

const BAND_KEYS = { MOINS_3_ANS: 'moins3Ans', '3_ANS': 'troisAns', '6_ANS': 'sixAns', DEPASSEMENT: 'depassement' } as const;
const band = (first: string, day: string) => BAND_KEYS[recountBand(first, day, WARNING_MONTHS)];

const tally = (list: readonly { key: string | null; n: number | string | bigint }[]) => Object.fromEntries(list.map((r) => [r.key ?? 'SANS_MENTION', Number(r.n)]));

/** The people active at `day`, by this file's SQL: their id, the directeur of their latest row, their first enrollment. */
export async function activeAt(env: TestEnvironment, day: string): Promise<{ doctorant: number; directeur: number | null; first: string }[]> {
  const latestValidated = await rows<{ doctorant: number; directeur: number | null; first: string }>(
    env.databases.inscription,
    sql`SELECT i.doctorant_id AS doctorant, i.directeur_id AS directeur,
               (SELECT MIN(f.date_premiere_inscription) FROM inscriptions f WHERE f.doctorant_id = i.doctorant_id AND f.date_inscription <= ${day}) AS first
          FROM inscriptions i
         WHERE i.date_inscription <= ${day} AND i.statut = 'VALIDÉ'
           AND NOT EXISTS (SELECT 1 FROM inscriptions j
                            WHERE j.doctorant_id = i.doctorant_id AND j.date_inscription <= ${day}
                              AND (j.date_inscription > i.date_inscription OR (j.date_inscription = i.date_inscription AND j.id > i.id)))`,
  );
  const dayAfter = `${new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)} 00:00:00`;
  const defended = new Set(
    (
      await rows<{ doctorant: number }>(
        env.databases.defense,
        sql`SELECT DISTINCT doctorant_id AS doctorant FROM soutenances
             WHERE statut = 'SOUTENUE' AND (date_soutenance <= ${day} OR (date_soutenance IS NULL AND updated_at < ${dayAfter}))`,
      )
    ).map((r) => Number(r.doctorant)),
  );
  return latestValidated
    .filter((r) => !defended.has(Number(r.doctorant)))
    .map((r) => ({ doctorant: Number(r.doctorant), directeur: r.directeur === null ? null : Number(r.directeur), first: String(r.first).slice(0, 10) }));
}

/** Every figure the report shows for month `m` (names of directeurs aside), recounted. */
export async function recountMonth(env: TestEnvironment, m: MonthBounds) {
  const dbs = env.databases;
  // Inscriptions (rows) dated in the month.
  const byTypeStatut = await rows<{ type: string; statut: string; n: number }>(
    dbs.inscription,
    sql`SELECT type, statut, COUNT(*) AS n FROM inscriptions WHERE date_inscription >= ${m.firstDay} AND date_inscription <= ${m.lastDay} GROUP BY type, statut`,
  );
  const sum = (list: readonly { n: number | string }[]) => list.reduce((a, r) => a + Number(r.n), 0);
  const byStatut: Record<string, number> = {};
  for (const r of byTypeStatut) byStatut[r.statut] = (byStatut[r.statut] ?? 0) + Number(r.n);
  const validated = byStatut['VALIDÉ'] ?? 0;
  const decided = validated + (byStatut['REJETÉ'] ?? 0) + (byStatut['SUSPENDU'] ?? 0);
  // People active at the month's last day.
  const active = await activeAt(env, m.lastDay);
  const bands = { moins3Ans: 0, troisAns: 0, sixAns: 0, depassement: 0 };
  for (const a of active) bands[band(a.first, m.lastDay)]++;
  const perDirecteur = new Map<number, number>();
  for (const a of active) if (a.directeur !== null) perDirecteur.set(a.directeur, (perDirecteur.get(a.directeur) ?? 0) + 1);
  const ranked = [...perDirecteur].sort(([ia, a], [ib, b]) => b - a || ia - ib);
  const tenth = ranked[9]?.[1] ?? 0;
  const trendRows = await rows<{ month: string; n: number }>(
    dbs.inscription,
    sql`SELECT SUBSTR(date_inscription, 1, 7) AS month, COUNT(*) AS n FROM inscriptions
         WHERE date_inscription >= ${m.trendFrom} AND date_inscription <= ${m.lastDay} GROUP BY SUBSTR(date_inscription, 1, 7)`,
  );
  const trendMonths = Array.from({ length: 12 }, (_, i) => plusMonths(m.trendFrom, i).slice(0, 7));
  const enrollment = {
    newInscriptions: { total: sum(byTypeStatut), premiere: sum(byTypeStatut.filter((r) => r.type === 'PREMIERE')), reinscription: sum(byTypeStatut.filter((r) => r.type === 'REINSCRIPTION')) },
    byStatut,
    validation: { validated, decided, undecided: byStatut['EN_ATTENTE'] ?? 0, rate: decided === 0 ? null : validated / decided },
    activeDoctorants: active.length,
    topDirecteurs: ranked.filter(([, n], i) => i < 10 || n === tenth).map(([directeurId, doctorants]) => ({ directeurId, doctorants })),
    durationBands: bands,
    trend: trendMonths.map((month) => ({ month, count: Number(trendRows.find((r) => String(r.month) === month)?.n ?? 0) })),
  };

  // Soutenances by their own dates.
  const delay = env.dialect === 'sqlite' ? sql`CAST(julianday(date_soutenance) - julianday(SUBSTR(created_at, 1, 10)) AS INTEGER)` : sql`DATEDIFF(date_soutenance, created_at)`;
  const { requests } = await one<{ requests: number }>(dbs.defense, sql`SELECT COUNT(*) AS requests FROM soutenances WHERE created_at >= ${m.start} AND created_at < ${m.end}`);
  const held = await rows<{ mention: string | null; d: number }>(
    dbs.defense,
    sql`SELECT mention, ${delay} AS d FROM soutenances WHERE statut = 'SOUTENUE' AND date_soutenance >= ${m.firstDay} AND date_soutenance <= ${m.lastDay}`,
  );
  const delays = held.map((r) => Number(r.d)).sort((a, b) => a - b);
  const middle = delays.length % 2 ? [delays[(delays.length - 1) / 2]!] : delays.slice(delays.length / 2 - 1, delays.length / 2 + 1);
  const byMention: Record<string, number> = {};
  for (const r of held) byMention[r.mention ?? 'SANS_MENTION'] = (byMention[r.mention ?? 'SANS_MENTION'] ?? 0) + 1;
  const defense = {
    requests: Number(requests),
    held: held.length,
    byMention,
    meanDelayDays: delays.length === 0 ? null : delays.reduce((a, b) => a + b, 0) / delays.length,
    medianDelayDays: middle.length === 0 ? null : middle.reduce((a, b) => a + b, 0) / middle.length,
  };

  // Notifications created in the month.
  const inMonth = sql`created_at >= ${m.start} AND created_at < ${m.end}`;
  const notificationStatuts = await rows<{ key: string; n: number }>(dbs.notification, sql`SELECT statut AS ${sql.ref('key')}, COUNT(*) AS n FROM notifications WHERE ${inMonth} GROUP BY statut`);
  const notificationTypes = await rows<{ key: string; n: number }>(dbs.notification, sql`SELECT type AS ${sql.ref('key')}, COUNT(*) AS n FROM notifications WHERE ${inMonth} GROUP BY type`);
  const { stuck } = await one<{ stuck: number }>(dbs.notification, sql`SELECT COUNT(*) AS stuck FROM notifications WHERE ${inMonth} AND statut = 'PENDING' AND created_at < ${m.endMinusDay}`);
  const total = sum(notificationStatuts);
  const notification = {
    byStatut: tally(notificationStatuts),
    byType: tally(notificationTypes),
    total,
    deliveryRate: total === 0 ? null : (tally(notificationStatuts).SENT ?? 0) / total,
    pendingOver24h: Number(stuck),
  };

  // Accounts by created_at; roles and the flag as they are now.
  const { created } = await one<{ created: number }>(dbs.user, sql`SELECT COUNT(*) AS created FROM users WHERE created_at >= ${m.start} AND created_at < ${m.end}`);
  const newByRole = await rows<{ key: string; n: number }>(
    dbs.user,
    sql`SELECT r.role AS ${sql.ref('key')}, COUNT(*) AS n FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.created_at >= ${m.start} AND u.created_at < ${m.end} GROUP BY r.role`,
  );
  const byRole = await rows<{ key: string; n: number }>(dbs.user, sql`SELECT r.role AS ${sql.ref('key')}, COUNT(*) AS n FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.created_at < ${m.end} GROUP BY r.role`);
  const [flags] = await rows<{ accounts: number; enabled: number }>(dbs.user, sql`SELECT COUNT(*) AS accounts, SUM(CASE WHEN enabled = 1 THEN 1 ELSE 0 END) AS enabled FROM users WHERE created_at < ${m.end}`);
  const user = {
    newAccounts: Number(created),
    newByRole: tally(newByRole),
    accounts: Number(flags!.accounts),
    byRole: tally(byRole),
    enabled: Number(flags!.enabled),
    disabled: Number(flags!.accounts) - Number(flags!.enabled),
  };

  // batchdb: the month's failures and overruns, the anomalies open at its end.
  const [start, end] = [`${m.start}.000`, `${m.end}.000`];
  const failures = await rows<{ id: number; job_name: string; exit_code: string; exit_message: string | null }>(
    dbs.batch,
    sql`SELECT id, job_name, exit_code, exit_message FROM batch_job_execution WHERE status = 'FAILED' AND end_time >= ${start} AND end_time < ${end} ORDER BY id DESC`,
  );
  const { overruns } = await one<{ overruns: number }>(
    dbs.batch,
    sql`SELECT COUNT(*) AS overruns FROM alerte_duree_envoyee WHERE type_alerte = 'DEPASSEMENT' AND date_envoi >= ${start} AND date_envoi < ${end}`,
  );
  const open = await rows<{ type: string; entity: string; entity_id: number; action: string; details: string; first_seen: string }>(
    dbs.batch,
    sql`SELECT type, entity, entity_id, action, details, first_seen FROM consistency_anomaly
         WHERE first_seen < ${end} AND (resolved_at IS NULL OR resolved_at >= ${end})
         ORDER BY CASE WHEN action = 'INTERVENTION_REQUISE' THEN 0 ELSE 1 END, first_seen, id`,
  );
  const alerts = {
    failedExecutions: failures.length,
    failures: failures.slice(0, 10).map((f) => ({ jobName: f.job_name, executionId: Number(f.id), exitCode: f.exit_code, message: (f.exit_message ?? '').slice(0, 160) })),
    durationOverruns: Number(overruns),
    openAnomalies: open.length,
    anomaliesNeedingAPerson: open.filter((a) => a.action === 'INTERVENTION_REQUISE').length,
    anomalies: open.slice(0, 30).map((a) => ({ type: a.type, entity: a.entity, entityId: Number(a.entity_id), action: a.action, outcome: outcomeOf(a.action, a.details), firstSeen: `${String(a.first_seen).replace(' ', 'T')}Z` })),
  };
  return { enrollment, defense, notification, user, alerts };
}

/** The figures the job stored for `month`, names of directeurs left out (the recount does not read them). */
export async function storedFigures(env: TestEnvironment, month: string) {
  const row = await env.databases.batch.db.selectFrom('report_snapshot').selectAll().where('month', '=', month).executeTakeFirst();
  if (!row) throw new Error(`no snapshot of ${month}`);
  const figures = JSON.parse(row.figures) as Awaited<ReturnType<typeof recountMonth>> & { enrollment: { topDirecteurs: { directeurId: number; doctorants: number; nom?: string }[] } };
  return {
    ...figures,
    enrollment: { ...figures.enrollment, topDirecteurs: figures.enrollment.topDirecteurs.map(({ directeurId, doctorants }) => ({ directeurId, doctorants })) },
  };
}

/** What the job did, as the reports say it: « corrigée » only when the details record a change it made. */
function outcomeOf(action: string, details: string): string {
  if (action !== 'AUTO_CORRIGÉE') return 'needsPerson';
  const correction = (JSON.parse(details) as { correction?: string }).correction ?? '';
  if (correction.startsWith('aucune')) return 'needsPerson';
  return correction === '' || correction.startsWith('déjà') ? 'alreadyCorrected' : 'corrected';
}
