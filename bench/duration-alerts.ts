/**
 * dureeDoctoratAlertJob against a plain baseline, in one process, on the same data: N
 * inscription rows shaped like a school's — one row per academic year from each
 * doctorant's first enrollment (up to eight), 10% of doctorants past a threshold (4% 3_ANS,
 * 3% 6_ANS, 3% over 6 years), one in ten of them defended before the run's date and one in
 * twenty with a latest row SUSPENDU (neither is active, so neither is alerted).
 * The baseline applies the same definition in plain SQL — the latest row of each doctorant
 * by the date (NOT EXISTS a later one), VALIDÉ, the defended doctorants read once from
 * defensedb — applies the same band rule and inserts the same alert rows with batched
 * INSERTs in one transaction: no events, no suspensions, no job repository, no
 * dedupe against alerts already sent. The job also writes the outbox events, suspends the
 * overruns and checks each page against the alerts already sent.
 * Usage: node --import tsx bench/duration-alerts.ts [--n 100000] [--db sqlite,mariadb]
 */
import { sql, type Insertable, type Kysely } from 'kysely';
import type { DefenseDb, InscriptionDb, UserDb } from '../src/db/schema/sibling-tables.js';
import type { Databases } from '../src/db/databases.js';
import { sqlTimestampMillis } from '../src/db/sql-time.js';
import { addDays, addMonths, addYears, daysBetween } from '../src/doctorate/calendar.js';
import { dureeDoctoratAlertJob } from '../src/jobs/dureeDoctoratAlertJob/duree-doctorat-alert-job.js';
import { durationBand } from '../src/doctorate/duration-band.js';
import { benchEnvironment, closeAfter, generateInChild, openBenchDatabases, quiesce, runJobToCompletion } from './environment.js';
import { argValue, measure, printTable, type Measurement } from './measure.js';

const n = Number(argValue('n', '100000', '2000'));
const engines = argValue('db', process.env.MARIADB_TEST_URL ? 'sqlite,mariadb' : 'sqlite').split(',');
const runAt = new Date('2026-03-16T12:00:00Z');
const runDate = '2026-03-16';
const created = sqlTimestampMillis(new Date('2015-01-01T00:00:00Z'));

/** Deterministic first-enrollment date for doctorant d. */
function firstEnrollment(d: number): string {
  const slot = d % 100;
  const jitter = (d * 7919) % 150;
  if (slot < 4) return addDays(addYears(runDate, -4), -jitter); // 3_ANS
  if (slot < 7) return addDays(addMonths(addYears(runDate, -6), 5), -(jitter % 140)); // 6_ANS
  if (slot < 10) return addDays(addYears(runDate, -7), -jitter); // DEPASSEMENT
  return addDays(addYears(runDate, -1), -((d * 31) % 700)); // under 3 years
}

const defended = (d: number) => d % 10 === 3;
const suspended = (d: number) => d % 20 === 7;

async function generate(databases: Databases): Promise<void> {
  const { user, inscription, defense, batch } = databases;
  await batch.db.deleteFrom('alerte_duree_envoyee').execute();
  await batch.db.deleteFrom('event_outbox').execute();
  await inscription.db.deleteFrom('inscriptions').execute();
  await defense.db.deleteFrom('soutenances').execute();
  await user.db.deleteFrom('user_roles').execute();
  await user.db.deleteFrom('users').execute();
  let rows: Insertable<InscriptionDb['inscriptions']>[] = [];
  let users: Insertable<UserDb['users']>[] = [];
  let soutenances: Insertable<DefenseDb['soutenances']>[] = [];
  const flush = async () => {
    if (users.length > 0) await user.db.insertInto('users').values(users).execute();
    if (rows.length > 0) await inscription.db.insertInto('inscriptions').values(rows).execute();
    if (soutenances.length > 0) await defense.db.insertInto('soutenances').values(soutenances).execute();
    [rows, users, soutenances] = [[], [], []];
  };
  const directeur = 1;
  let id = 0;
  let doctorant = 10;
  while (id < n) {
    doctorant++;
    const first = firstEnrollment(doctorant);
    const years = Math.min(8, Number(runDate.slice(0, 4)) - Number(first.slice(0, 4)) + (runDate.slice(5) >= first.slice(5) ? 1 : 0));
    users.push({ id: doctorant, email: `doctorant${doctorant}@univ-exemple.fr`, nom: `Nom${doctorant}`, prenom: 'Camille', enabled: 1, created_at: created });
    for (let year = 0; year < Math.max(1, years) && id < n; year++) {
      const latest = year === Math.max(1, years) - 1;
      rows.push({
        id: ++id,
        doctorant_id: doctorant,
        directeur_id: directeur,
        sujet_these: 'Sujet',
        annee_universitaire: null,
        type: year === 0 ? 'PREMIERE' : 'REINSCRIPTION',
        date_inscription: addYears(first, year),
        date_premiere_inscription: first,
        statut: latest && suspended(doctorant) ? 'SUSPENDU' : 'VALIDÉ',
        motif_suspension: null,
        archived: 0,
        created_at: created,
        updated_at: created,
      });
    }
    if (defended(doctorant)) {
      soutenances.push({ doctorant_id: doctorant, inscription_id: id, directeur_id: directeur, titre_these: 'Thèse', statut: 'SOUTENUE', date_soutenance: addDays(runDate, -30), mention: 'HONORABLE', pv_signe: 1, motif_blocage: null, archived: 0, created_at: created, updated_at: created });
    }
    if (rows.length >= 1000) await flush();
  }
  await flush();
  await user.db.insertInto('users').values({ id: directeur, email: 'directeur@univ-exemple.fr', nom: 'Durand', prenom: 'Paul', enabled: 1, created_at: created }).execute();
  await user.db.insertInto('users').values({ id: 2, email: 'admin@univ-exemple.fr', nom: 'Admin', prenom: 'Alice', enabled: 1, created_at: created }).execute();
  await user.db.insertInto('user_roles').values({ user_id: 2, role: 'ROLE_ADMIN' }).execute();
}

/** Plain SQL: the definition's latest rows by id pages of 1000, the defended once, band in JS, one transaction of batched INSERTs. */
async function baseline(databases: Databases): Promise<number> {
  const defendedIds = new Set(
    (
      await sql<{ doctorant_id: number }>`select distinct doctorant_id from soutenances where statut = 'SOUTENUE' and date_soutenance <= ${runDate}`.execute(
        databases.defense.db as unknown as Kysely<unknown>,
      )
    ).rows.map((r) => Number(r.doctorant_id)),
  );
  const rows: { doctorant_id: number; inscription_id: number; type_alerte: string; date_envoi: string; duree_jours: number; job_execution_id: null }[] = [];
  let last = 0;
  for (;;) {
    const page = (
      await sql<{ id: number; doctorant_id: number; date_premiere_inscription: string }>`
        select i.id, i.doctorant_id, i.date_premiere_inscription from inscriptions i
        where i.id > ${last} and i.statut = 'VALIDÉ' and i.date_inscription <= ${runDate}
          and not exists (select 1 from inscriptions j where j.doctorant_id = i.doctorant_id and j.date_inscription <= ${runDate}
            and (j.date_inscription > i.date_inscription or (j.date_inscription = i.date_inscription and j.id > i.id)))
        order by i.id limit 1000`.execute(databases.inscription.db as unknown as Kysely<unknown>)
    ).rows;
    if (page.length === 0) break;
    last = Number(page[page.length - 1]!.id);
    for (const row of page) {
      if (defendedIds.has(Number(row.doctorant_id))) continue;
      const first = String(row.date_premiere_inscription).slice(0, 10);
      const band = durationBand(first, runDate, 6);
      if (band) {
        rows.push({
          doctorant_id: Number(row.doctorant_id),
          inscription_id: Number(row.id),
          type_alerte: band,
          date_envoi: sqlTimestampMillis(new Date()),
          duree_jours: daysBetween(first, runDate),
          job_execution_id: null,
        });
      }
    }
  }
  await databases.batch.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto('alerte_duree_envoyee').values(rows.slice(i, i + 500)).execute();
  });
  return rows.length;
}

async function runJob(databases: Databases, attempt: number): Promise<number> {
  const job = dureeDoctoratAlertJob({
    batch: databases.batch,
    user: databases.user,
    inscription: databases.inscription,
    defense: databases.defense,
    topic: 'notifications',
    timeZone: 'UTC',
    warningMonths: 6,
    chunkSize: 50,
    skipLimit: 0,
  });
  const metrics = await runJobToCompletion(databases, job, { runAt: runAt.toISOString(), attempt: String(attempt) });
  return Number(metrics.totalAlertes);
}

if (process.argv.includes('--generate')) {
  const databases = openBenchDatabases(argValue('db', 'sqlite'), argValue('location', ''));
  await closeAfter(databases, () => generate(databases));
  process.exit(0);
}

console.log(`RSS before any work: ${Math.round(process.memoryUsage.rss() / 1048576)} MB`);
const table: (string | number)[][] = [['database', 'inscriptions', 'run', 'alerts', 'ms', 'inscriptions/s', 'peak RSS MB', 'job / run']];
let attempt = 0;
for (const engine of engines) {
  const env = await benchEnvironment(engine);
  const { databases, cleanup } = env;
  try {
    const results: { m: Measurement; alerts: number }[] = [];
    for (const [label, phase] of [
      ['baseline (plain SQL)', baseline],
      ['dureeDoctoratAlertJob', (d: Databases) => runJob(d, ++attempt)],
    ] as const) {
      generateInChild(import.meta.filename, env, ['--n', String(n)]);
      await quiesce(env);
      let alerts = 0;
      const m = await measure(label, n, async () => (alerts = await phase(databases)));
      results.push({ m, alerts });
    }
    if (results[0]!.alerts !== results[1]!.alerts) throw new Error(`the job made ${results[1]!.alerts} alerts, the baseline ${results[0]!.alerts}`);
    const job = results[1]!.m;
    for (const { m, alerts } of results) table.push([engine, n, m.label, alerts, Math.round(m.ms), m.itemsPerSecond, m.peakRssMb, (job.ms / m.ms).toFixed(2)]);
  } finally {
    await cleanup();
  }
}
console.log(`dureeDoctoratAlertJob benchmark — runAt ${runAt.toISOString()}, 10% of doctorants past a threshold, some defended or suspended, Node ${process.version}`);
printTable(table);
