/**
 * dureeDoctoratAlertJob against a plain baseline, in one process, on the same data:
 * N active inscriptions, 10% of them past a threshold (4% 3_ANS, 3% 6_ANS, 3% over 6
 * years). The baseline reads every active inscription, applies the same band rule and
 * inserts the same alert rows with batched INSERTs in one transaction — no events, no
 * suspensions, no job repository. The job also writes the outbox events and suspends
 * the overruns.
 * Usage: node --import tsx bench/duration-alerts.ts [--n 100000] [--db sqlite,mariadb]
 */
import type { Databases } from '../src/db/databases.js';
import { sqlTimestampMillis } from '../src/db/sql-time.js';
import { addDays, addMonths, addYears, daysBetween } from '../src/doctorate/calendar.js';
import { dureeDoctoratAlertJob } from '../src/jobs/dureeDoctoratAlertJob/duree-doctorat-alert-job.js';
import { durationBand } from '../src/doctorate/duration-band.js';
import { benchEnvironment, closeAfter, generateInChild, openBenchDatabases, quiesce, runJobToCompletion } from './environment.js';
import { argValue, measure, printTable, type Measurement } from './measure.js';

const n = Number(argValue('n', '100000'));
const engines = argValue('db', process.env.MARIADB_TEST_URL ? 'sqlite,mariadb' : 'sqlite').split(',');
const runAt = new Date('2026-03-16T12:00:00Z');
const runDate = '2026-03-16';
const created = sqlTimestampMillis(new Date('2015-01-01T00:00:00Z'));

/** Deterministic first-enrollment date for inscription i. */
function firstEnrollment(i: number): string {
  const slot = i % 100;
  const jitter = (i * 7919) % 150;
  if (slot < 4) return addDays(addYears(runDate, -4), -jitter); // 3_ANS
  if (slot < 7) return addDays(addMonths(addYears(runDate, -6), 5), -(jitter % 140)); // 6_ANS
  if (slot < 10) return addDays(addYears(runDate, -7), -jitter); // DEPASSEMENT
  return addDays(addYears(runDate, -1), -((i * 31) % 700)); // under 3 years
}

async function generate(databases: Databases): Promise<void> {
  const { user, inscription, batch } = databases;
  await batch.db.deleteFrom('alerte_duree_envoyee').execute();
  await batch.db.deleteFrom('event_outbox').execute();
  await inscription.db.deleteFrom('inscriptions').execute();
  await user.db.deleteFrom('user_roles').execute();
  await user.db.deleteFrom('users').execute();
  const batchSize = 1000;
  for (let start = 0; start < n; start += batchSize) {
    const ids = Array.from({ length: Math.min(batchSize, n - start) }, (_, k) => start + k + 1);
    await user.db
      .insertInto('users')
      .values(ids.map((id) => ({ id, email: `doctorant${id}@univ-exemple.fr`, nom: `Nom${id}`, prenom: 'Camille', enabled: 1, created_at: created })))
      .execute();
    await inscription.db
      .insertInto('inscriptions')
      .values(
        ids.map((id) => ({
          id,
          doctorant_id: id,
          directeur_id: n + 1,
          sujet_these: 'Sujet',
          annee_universitaire: '2025-2026',
          type: 'REINSCRIPTION',
          date_inscription: '2025-09-01',
          date_premiere_inscription: firstEnrollment(id),
          statut: 'VALIDÉ',
          motif_suspension: null,
          archived: 0,
          created_at: created,
          updated_at: created,
        })),
      )
      .execute();
  }
  await user.db.insertInto('users').values({ id: n + 1, email: 'directeur@univ-exemple.fr', nom: 'Durand', prenom: 'Paul', enabled: 1, created_at: created }).execute();
  await user.db.insertInto('users').values({ id: n + 2, email: 'admin@univ-exemple.fr', nom: 'Admin', prenom: 'Alice', enabled: 1, created_at: created }).execute();
  await user.db.insertInto('user_roles').values({ user_id: n + 2, role: 'ROLE_ADMIN' }).execute();
}

/** Plain SQL: read every active inscription by id pages of 1000, band in JS, one transaction of batched INSERTs. */
async function baseline(databases: Databases): Promise<number> {
  const rows: { doctorant_id: number; inscription_id: number; type_alerte: string; date_envoi: string; duree_jours: number; job_execution_id: null }[] = [];
  let last = 0;
  for (;;) {
    const page = await databases.inscription.db
      .selectFrom('inscriptions')
      .select(['id', 'doctorant_id', 'date_premiere_inscription'])
      .where('id', '>', last)
      .where('statut', '=', 'VALIDÉ')
      .where('archived', '=', 0)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (page.length === 0) break;
    last = Number(page[page.length - 1]!.id);
    for (const row of page) {
      const band = durationBand(row.date_premiere_inscription, runDate, 6);
      if (band) {
        rows.push({
          doctorant_id: Number(row.doctorant_id),
          inscription_id: Number(row.id),
          type_alerte: band,
          date_envoi: sqlTimestampMillis(new Date()),
          duree_jours: daysBetween(row.date_premiere_inscription, runDate),
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
console.log(`dureeDoctoratAlertJob benchmark — runAt ${runAt.toISOString()}, 10% of active inscriptions past a threshold, Node ${process.version}`);
printTable(table);
