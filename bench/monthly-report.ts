/**
 * monthlyReportJob against a plain baseline, in one process, on the same demo data: the
 * baseline computes the report's figures for the month and the month before (aggregate
 * queries, and the active doctorants page by page: the least work any report needs);
 * the job (with recompute=true, so no stored snapshot spares it the work) adds the engine, the PDF (fonts, charts, tables,
 * atomic save) and one mail per admin (written as .eml files). Items = the rows of the
 * four sibling tables the statistics aggregate over.
 * Usage: node --expose-gc dist-bench/bench/monthly-report.js [--scale 20] [--db sqlite,mariadb]
 */
import type { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Databases } from '../src/db/databases.js';
import { generateDemoData } from '../src/db/fixtures/demo-data.js';
import { defenseStats } from '../src/jobs/monthlyReportJob/defense-stats.js';
import { enrollmentStats } from '../src/jobs/monthlyReportJob/enrollment-stats.js';
import { ACTIVE_DOCTORANT_PAGE_SIZE, monthlyReportJob } from '../src/jobs/monthlyReportJob/monthly-report-job.js';
import { notificationStats } from '../src/jobs/monthlyReportJob/notification-stats.js';
import { reportPeriod } from '../src/jobs/monthlyReportJob/report-period.js';
import { userStats } from '../src/jobs/monthlyReportJob/user-stats.js';
import { createMailer } from '../src/mail/mailer.js';
import { silentLogger } from '../src/observability/logger.js';
import { benchEnvironment, closeAfter, generateInChild, openBenchDatabases, quiesce, runJobToCompletion } from './environment.js';
import { argValue, measure, printTable } from './measure.js';

const scale = Number(argValue('scale', '20', '0.2'));
const engines = argValue('db', process.env.MARIADB_TEST_URL ? 'sqlite,mariadb' : 'sqlite').split(',');
const MONTH = '2026-10';
const ZONE = 'Europe/Paris';
const runAt = new Date('2026-11-01T08:00:00Z');

async function rows(databases: Databases): Promise<number> {
  const count = async (db: Databases[keyof Databases], table: string) =>
    Number((await (db.db as unknown as Kysely<Record<string, object>>).selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return (await count(databases.inscription, 'inscriptions')) + (await count(databases.defense, 'soutenances')) + (await count(databases.notification, 'notifications')) + (await count(databases.user, 'users'));
}

async function baseline(databases: Databases): Promise<void> {
  for (const month of [MONTH, '2026-09']) {
    const period = reportPeriod(month, ZONE);
    await enrollmentStats(databases, period, 6, ACTIVE_DOCTORANT_PAGE_SIZE);
    await defenseStats(databases.defense, period);
    await notificationStats(databases.notification, period);
    await userStats(databases.user, period);
  }
}

async function runJob(databases: Databases, attempt: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-report-'));
  const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir: path.join(dir, 'mail') }, silentLogger);
  try {
    const job = monthlyReportJob({ ...databases, mailer, logger: silentLogger, reportsDir: path.join(dir, 'reports'), timeZone: ZONE, topic: 'notifications', warningMonths: 6, techAdmins: [] });
    await runJobToCompletion(databases, job, { month: MONTH, runAt: runAt.toISOString(), attempt: String(attempt), recompute: 'true' });
  } finally {
    mailer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--generate')) {
  const databases = openBenchDatabases(argValue('db', 'sqlite'), argValue('location', ''));
  const uploads = mkdtempSync(path.join(tmpdir(), 'bench-uploads-'));
  await closeAfter(databases, () => generateDemoData(databases, { scale, uploadsDir: uploads, referenceDate: runAt }));
  rmSync(uploads, { recursive: true, force: true });
  process.exit(0);
}

console.log(`RSS before any work: ${Math.round(process.memoryUsage.rss() / 1048576)} MB`);
const table: (string | number)[][] = [['database', 'rows', 'run', 'ms', 'rows/s', 'peak RSS MB', 'job / run']];
let attempt = 0;
for (const engine of engines) {
  const env = await benchEnvironment(engine);
  try {
    generateInChild(import.meta.filename, env, ['--scale', String(scale)]);
    await quiesce(env);
    const n = await rows(env.databases);
    const base = await measure('baseline (figures only)', n, () => baseline(env.databases));
    const job = await measure('monthlyReportJob', n, () => runJob(env.databases, ++attempt));
    for (const m of [base, job]) table.push([engine, n, m.label, Math.round(m.ms), m.itemsPerSecond, m.peakRssMb, (job.ms / m.ms).toFixed(2)]);
  } finally {
    await env.cleanup();
  }
}
console.log(`monthlyReportJob benchmark — demo data at scale ${scale}, month ${MONTH} in ${ZONE}, Node ${process.version}`);
printTable(table);
