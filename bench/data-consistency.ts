/**
 * dataConsistencyJob in one process, on the same generated data, against the plainest way
 * to find orphan files. Three contenders, in this order:
 *   1. `find <uploads> -type f` as a process and the exported `chemin` list of both
 *      document tables, each sorted, compared in one merge (the baseline of the walk);
 *   2. the job's orphan walk alone: `scanOrphans` with the job's lookup, nothing moved;
 *   3. the whole job through the engine: the five checks (inscriptions suspended,
 *      soutenances blocked, roles synced, documents checked and orphans moved, PENDING
 *      notifications re-sent) and the anomaly report, every mail written as `.eml`.
 * 1 and 2 only read, so 3 meets the data as generated. Items: files for 1 and 2; for 3,
 * inscriptions + soutenances + users + files + document rows.
 * Usage: node --expose-gc dist-bench/bench/data-consistency.js [--scale 1] [--db sqlite,mariadb]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Databases } from '../src/db/databases.js';
import { parseSqlTimestamp, sqlTimestamp } from '../src/db/sql-time.js';
import type { JsonObject } from '../src/engine/types.js';
import { dataConsistencyJob } from '../src/jobs/dataConsistencyJob/data-consistency-job.js';
import { referencedAmong } from '../src/jobs/dataConsistencyJob/document-checks.js';
import { scanOrphans } from '../src/jobs/dataConsistencyJob/orphan-files.js';
import { ACTIF, DOCTEUR } from '../src/jobs/dataConsistencyJob/role-sync.js';
import { createMailer } from '../src/mail/mailer.js';
import { silentLogger } from '../src/observability/logger.js';
import { AuditLog } from '../src/security/audit-log.js';
import { benchEnvironment, closeAfter, generateInChild, openBenchDatabases, quiesce, runJobToCompletion } from './environment.js';
import { argValue, measure, printTable } from './measure.js';

const scale = Number(argValue('scale', '1', '0.05'));
const engines = argValue('db', process.env.MARIADB_TEST_URL ? 'sqlite,mariadb' : 'sqlite').split(',');
const sized = (full: number) => Math.max(1, Math.round(full * scale));
const SIZE = {
  users: sized(70_000),
  inscriptions: sized(100_000),
  soutenances: sized(50_000),
  userRoles: sized(200_000),
  files: sized(100_000),
  notifications: sized(10_000),
  // Each one is a mail (an .eml file): kept small so the checks, not the mailer, are measured.
  pendingOld: sized(200),
};
// The targets, for the full-scale data on this machine.
const TARGET_MS: Readonly<Record<string, number>> = { sqlite: 15_000, mariadb: 30_000 };
const WALK_TARGET = 2;
const RSS_TARGET_MB = 250;
const runAt = new Date('2026-12-02T22:00:00Z');
const HOUR = 3_600_000;
const AT = '2024-01-01 00:00:00';
const TECH = 'dsi@univ-exemple.fr';
const uploadsOf = (location: string, engine: string) => path.join(engine === 'sqlite' ? location : tmpdir(), `bench-uploads-${engine}`);

async function insertAll<T>(rows: readonly T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await insert(rows.slice(i, i + 500));
}

/**
 * Inscriptions: 70% VALIDÉ, 5% of them archived, the rest EN_ATTENTE, SUSPENDU or REJETÉ;
 * 0.5% name a doctorant that is not in users. Soutenances rest on valid inscriptions, 30%
 * SOUTENUE; 1% are open on a missing or SUSPENDU inscription. Roles are what the rule
 * wants, wrong for 1% of users. Files: two per folder, 5% unreferenced and two days old,
 * 0.5% younger than a day; 0.1% of document rows name a file that does not exist.
 */
async function generate(databases: Databases, uploads: string): Promise<void> {
  const users = Array.from({ length: SIZE.users }, (_, i) => ({ id: i + 1, email: `u${i + 1}@univ-exemple.fr`, nom: `Nom${i + 1}`, prenom: `Prénom${i + 1}`, enabled: 1, created_at: AT }));
  const directeurOf = (id: number) => ((id * 7) % SIZE.users) + 1;

  const inscriptions = Array.from({ length: SIZE.inscriptions }, (_, i) => {
    const id = i + 1;
    const band = id % 20;
    const statut = band < 14 || band === 18 ? 'VALIDÉ' : band === 16 ? 'SUSPENDU' : band === 17 ? 'REJETÉ' : 'EN_ATTENTE';
    const doctorant = id % 199 === 0 ? SIZE.users + id : ((id - 1) % SIZE.users) + 1;
    return {
      id, doctorant_id: doctorant, directeur_id: directeurOf(id), sujet_these: `Sujet ${id}`, annee_universitaire: '2025-2026', type: 'PREMIERE',
      date_inscription: '2025-10-01', date_premiere_inscription: '2023-10-01', statut, motif_suspension: null, archived: band === 18 ? 1 : 0, created_at: AT, updated_at: AT,
    };
  });
  const valid = inscriptions.filter((i) => i.statut === 'VALIDÉ' && i.archived === 0 && i.doctorant_id <= SIZE.users);
  const suspended = inscriptions.filter((i) => i.statut === 'SUSPENDU');

  const soutenances = Array.from({ length: SIZE.soutenances }, (_, i) => {
    const id = i + 1;
    const band = id % 10;
    const statut = band < 3 ? 'SOUTENUE' : band < 5 ? 'DEMANDEE' : band === 5 ? 'AUTORISEE' : band === 6 || band === 9 ? 'PLANIFIEE' : band === 7 ? 'REJETEE' : 'BLOQUEE';
    const base = valid[i % valid.length]!;
    const invalid = id % 100 === 4 ? (id % 200 === 4 ? SIZE.inscriptions + id : suspended[i % suspended.length]!.id) : undefined;
    return {
      id, doctorant_id: base.doctorant_id, inscription_id: invalid ?? base.id, directeur_id: base.directeur_id, titre_these: `Thèse ${id}`, statut,
      date_soutenance: '2026-06-01', mention: null, pv_signe: 1, motif_blocage: statut === 'BLOQUEE' ? 'DOSSIER_INCOMPLET' : null, archived: 0, created_at: AT, updated_at: AT,
    };
  });

  const active = new Set(valid.map((i) => i.doctorant_id));
  const docteurs = new Set(soutenances.filter((s) => s.statut === 'SOUTENUE').map((s) => s.doctorant_id));
  const roles: { user_id: number; role: string }[] = [];
  for (const { id } of users) {
    roles.push({ user_id: id, role: id === 1 ? 'ROLE_ADMIN' : 'ROLE_DOCTORANT' });
    const wrong = id % 100 === 42;
    if (docteurs.has(id)) roles.push({ user_id: id, role: wrong ? ACTIF : DOCTEUR });
    else if (active.has(id) && !wrong) roles.push({ user_id: id, role: ACTIF });
  }
  // Roles the job never reads, up to the count of user_roles rows.
  for (const role of ['ROLE_USER', 'ROLE_DIRECTEUR', 'ROLE_JURY']) {
    for (let id = 2; id <= SIZE.users && roles.length < SIZE.userRoles; id++) roles.push({ user_id: id, role });
  }

  rmSync(uploads, { recursive: true, force: true });
  const documents: { inscription_id: number; type: string; nom_fichier: string; chemin: string; taille: number; created_at: string }[] = [];
  const defenseDocuments: { soutenance_id: number; type: string; nom_fichier: string; chemin: string; taille: number; created_at: string }[] = [];
  const inscriptionFiles = Math.round((SIZE.files * 2) / 3);
  let folder = '';
  for (let k = 0; k < SIZE.files; k++) {
    const side = k < inscriptionFiles;
    const j = side ? k : k - inscriptionFiles;
    const owner = Math.floor(j / 2) + 1;
    const chemin = side ? `inscriptions/${owner}/piece-${(j % 2) + 1}.pdf` : `soutenances/${owner}/pv-${(j % 2) + 1}.pdf`;
    const file = path.join(uploads, chemin);
    if (path.dirname(file) !== folder) {
      folder = path.dirname(file);
      mkdirSync(folder, { recursive: true });
    }
    writeFileSync(file, `${k}\n`);
    const orphan = k % 20 === 19;
    const age = orphan ? 48 * HOUR : k % 200 === 0 ? HOUR : 30 * 24 * HOUR;
    const mtime = new Date(runAt.getTime() - age);
    utimesSync(file, mtime, mtime);
    const missing = k % 1000 === 500 ? [chemin.replace(/[^/]+$/, `manquant-${k}.pdf`)] : [];
    for (const c of [...(orphan ? [] : [chemin]), ...missing]) {
      const row = { type: 'PIECE', nom_fichier: path.basename(c), chemin: c, taille: 8, created_at: AT };
      if (side) documents.push({ ...row, inscription_id: owner });
      else defenseDocuments.push({ ...row, soutenance_id: owner });
    }
  }

  const notifications = Array.from({ length: SIZE.notifications }, (_, i) => {
    const id = i + 1;
    const pending = id <= SIZE.pendingOld || id % 100 === 1;
    const created = new Date(runAt.getTime() - (id <= SIZE.pendingOld ? 72 * HOUR : id % 100 === 1 ? 2 * HOUR : 240 * HOUR));
    return {
      id, user_id: (id % SIZE.users) + 1, destinataire_email: `u${(id % SIZE.users) + 1}@univ-exemple.fr`, type: 'INFO', sujet: `Votre dossier n° ${id}`,
      contenu: `Bonjour,\n\nVotre dossier n° ${id} a été mis à jour. Connectez-vous à la plateforme pour le consulter.\n`,
      statut: pending ? 'PENDING' : id % 10 === 3 ? 'FAILED' : 'SENT', tentatives: 0, derniere_erreur: null, created_at: sqlTimestamp(created), sent_at: pending ? null : sqlTimestamp(created),
    };
  });

  await insertAll(users, (b) => databases.user.db.insertInto('users').values(b).execute());
  await insertAll(roles, (b) => databases.user.db.insertInto('user_roles').values(b).execute());
  await insertAll(inscriptions, (b) => databases.inscription.db.insertInto('inscriptions').values(b).execute());
  await insertAll(documents, (b) => databases.inscription.db.insertInto('documents').values(b).execute());
  await insertAll(soutenances, (b) => databases.defense.db.insertInto('soutenances').values(b).execute());
  await insertAll(defenseDocuments, (b) => databases.defense.db.insertInto('soutenance_documents').values(b).execute());
  await insertAll(notifications, (b) => databases.notification.db.insertInto('notifications').values(b).execute());
}

/** Runs `find <uploads> -type f`; returns the paths relative to uploads. */
function findFiles(uploads: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const find = spawn('find', [uploads, '-type', 'f'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    find.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    find.on('error', reject);
    find.on('close', (code) => {
      if (code !== 0) return reject(new Error(`find exited ${code}`));
      const lines = Buffer.concat(chunks).toString('utf8').split('\n');
      resolve(lines.filter((line) => line !== '').map((line) => line.slice(uploads.length + 1)));
    });
  });
}

async function exportedChemins(databases: Databases): Promise<string[]> {
  const [a, b] = await Promise.all([
    databases.inscription.db.selectFrom('documents').select('chemin').execute(),
    databases.defense.db.selectFrom('soutenance_documents').select('chemin').execute(),
  ]);
  return [...a, ...b].map((r) => r.chemin);
}

/** Contender 1, what `comm -23 <(find … | sort) <(export | sort)` does; returns the unreferenced files. */
async function findAndCompare(databases: Databases, uploads: string): Promise<number> {
  const [files, chemins] = await Promise.all([findFiles(uploads), exportedChemins(databases)]);
  files.sort();
  chemins.sort();
  let unreferenced = 0;
  let j = 0;
  for (const file of files) {
    while (j < chemins.length && chemins[j]! < file) j++;
    if (chemins[j] !== file) unreferenced++;
  }
  return unreferenced;
}

interface WalkResult {
  readonly files: number;
  readonly orphans: number;
  /** Time spent inside the lookup, to split the walk between the database and the disk. */
  readonly lookupMs: number;
}

/** Contender 2: the job's walk and lookup, nothing moved. */
async function walk(databases: Databases, uploads: string): Promise<WalkResult> {
  let files = 0;
  let orphans = 0;
  let lookupMs = 0;
  const referenced = async (chemins: readonly string[]) => {
    const started = performance.now();
    const known = await referencedAmong(databases, chemins);
    lookupMs += performance.now() - started;
    return known;
  };
  for await (const batch of scanOrphans({ uploadsDir: uploads, runAt, referenced })) {
    files += batch.filesSeen;
    orphans += batch.orphans.length;
  }
  return { files, orphans, lookupMs };
}

interface JobResult {
  readonly metrics: JsonObject;
  readonly mails: number;
}

/** Contender 3. Mail goes to .eml files (no SMTP_URL), as in a deployment without SMTP. */
async function runJob(databases: Databases, uploads: string): Promise<JobResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-consistency-'));
  const mailDir = path.join(dir, 'mail');
  const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir }, silentLogger);
  try {
    const job = dataConsistencyJob({
      ...databases,
      mailer,
      audit: new AuditLog(databases.batch.db),
      logger: silentLogger,
      uploadsDir: uploads,
      reportsDir: path.join(dir, 'reports'),
      techAdmins: [TECH],
      topic: 'notifications',
      timeZone: 'Europe/Paris',
    });
    const metrics = await runJobToCompletion(databases, job, { runAt: runAt.toISOString() });
    return { metrics, mails: readdirSync(mailDir).length };
  } finally {
    mailer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each step's duration and counts, from the job repository: what the job's time is made of. */
async function stepBreakdown(databases: Databases): Promise<(string | number)[][]> {
  const steps = await databases.batch.db.selectFrom('batch_step_execution').select(['step_name', 'start_time', 'end_time', 'read_count', 'write_count']).orderBy('id').execute();
  return steps.map((s) => [
    s.step_name,
    s.end_time === null ? '—' : parseSqlTimestamp(s.end_time).getTime() - parseSqlTimestamp(s.start_time).getTime(),
    Number(s.read_count),
    Number(s.write_count),
  ]);
}

async function rowCounts(databases: Databases): Promise<{ users: number; inscriptions: number; soutenances: number; documents: number; userRoles: number }> {
  const count = async (query: { executeTakeFirstOrThrow(): Promise<{ n: unknown }> }) => Number((await query.executeTakeFirstOrThrow()).n);
  return {
    users: await count(databases.user.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n'))),
    userRoles: await count(databases.user.db.selectFrom('user_roles').select((eb) => eb.fn.countAll().as('n'))),
    inscriptions: await count(databases.inscription.db.selectFrom('inscriptions').select((eb) => eb.fn.countAll().as('n'))),
    soutenances: await count(databases.defense.db.selectFrom('soutenances').select((eb) => eb.fn.countAll().as('n'))),
    documents:
      (await count(databases.inscription.db.selectFrom('documents').select((eb) => eb.fn.countAll().as('n')))) +
      (await count(databases.defense.db.selectFrom('soutenance_documents').select((eb) => eb.fn.countAll().as('n')))),
  };
}

if (process.argv.includes('--generate')) {
  const engine = argValue('db', 'sqlite');
  const location = argValue('location', '');
  const databases = openBenchDatabases(engine, location);
  await closeAfter(databases, () => generate(databases, uploadsOf(location, engine)));
  process.exit(0);
}

console.log(`RSS before any work: ${Math.round(process.memoryUsage.rss() / 1048576)} MB`);
const table: (string | number)[][] = [['database', 'run', 'items', 'ms', 'items/s', 'peak RSS MB', 'orphans found', 'vs baseline / target']];
const breakdowns: string[][][] = [];
const outcomes: string[] = [];
for (const engine of engines) {
  const env = await benchEnvironment(engine);
  const uploads = uploadsOf(env.location, engine);
  try {
    generateInChild(import.meta.filename, env, ['--scale', String(scale)]);
    const rows = await rowCounts(env.databases);
    const items = rows.inscriptions + rows.soutenances + rows.users + SIZE.files + rows.documents;
    await quiesce(env);
    let unreferenced = 0;
    const base = await measure('find | sorted comparison', SIZE.files, async () => {
      unreferenced = await findAndCompare(env.databases, uploads);
    });
    await quiesce(env);
    let walked: WalkResult = { files: 0, orphans: 0, lookupMs: 0 };
    const scan = await measure('orphan walk (scanOrphans + lookup)', SIZE.files, async () => {
      walked = await walk(env.databases, uploads);
    });
    await quiesce(env);
    // The baseline's sort and the walk grow the heap, and RSS rarely shrinks back: this says how much of the job's peak it inherited.
    global.gc?.();
    const rssBeforeJob = Math.round(process.memoryUsage.rss() / 1048576);
    let result: JobResult = { metrics: {}, mails: 0 };
    const job = await measure('dataConsistencyJob', items, async () => {
      result = await runJob(env.databases, uploads);
    });
    const ratio = scan.ms / base.ms;
    const target = TARGET_MS[engine] ?? TARGET_MS.mariadb!;
    const fullScale = scale === 1;
    table.push([engine, base.label, base.items, Math.round(base.ms), base.itemsPerSecond, base.peakRssMb, unreferenced, '1.00']);
    table.push([engine, scan.label, scan.items, Math.round(scan.ms), scan.itemsPerSecond, scan.peakRssMb, walked.orphans, `${ratio.toFixed(2)} (target ≤ ${WALK_TARGET})`]);
    table.push([engine, job.label, job.items, Math.round(job.ms), job.itemsPerSecond, job.peakRssMb, Number(result.metrics.orphansMoved ?? 0), fullScale ? `target < ${target / 1000} s` : '—']);
    breakdowns.push((await stepBreakdown(env.databases)).map((r) => [engine, ...r].map(String)));
    outcomes.push(
      `${engine}: ${rows.users} users, ${rows.userRoles} user_roles, ${rows.inscriptions} inscriptions, ${rows.soutenances} soutenances, ${rows.documents} document rows, ${SIZE.files} files; ` +
        `walk lookups ${Math.round(walked.lookupMs)} ms of ${Math.round(scan.ms)} ms; RSS before the job ${rssBeforeJob} MB; job metrics ${JSON.stringify(result.metrics)}; ${result.mails} .eml written` +
        (fullScale
          ? `\n  targets: job ${Math.round(job.ms)} ms ${job.ms < target ? 'met' : 'MISSED'} (< ${target} ms); walk / find ${ratio.toFixed(2)} ${ratio <= WALK_TARGET ? 'met' : 'MISSED'} (≤ ${WALK_TARGET}); ` +
            `peak RSS ${job.peakRssMb} MB ${job.peakRssMb < RSS_TARGET_MB ? 'met' : 'MISSED'} (< ${RSS_TARGET_MB} MB)`
          : ''),
    );
  } finally {
    rmSync(uploads, { recursive: true, force: true });
    await env.cleanup();
  }
}
console.log(`dataConsistencyJob benchmark — scale ${scale}, runAt ${runAt.toISOString()}, Node ${process.version}`);
printTable(table);
console.log('\nsteps of the job (from batch_step_execution):');
printTable([['database', 'step', 'ms', 'read', 'write'], ...breakdowns.flat()]);
for (const line of outcomes) console.log(`\n${line}`);
