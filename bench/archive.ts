/**
 * archiveJob against `zip` + `openssl enc -aes-256-ctr` run as processes on the same
 * files, in one process, on the same generated data: N records × 5 documents × 200 KB
 * (three incompressible `.pdf`, two compressible `.txt`). The baseline zips each record's
 * documents and encrypts the ZIP (no verification, no database, nothing deleted); the job
 * builds, encrypts, verifies by decrypting and hashing, records, flags and deletes — so it
 * runs last, on files the baseline only read. Items = records; MB/s of document bytes.
 * Usage: node --expose-gc dist-bench/bench/archive.js [--records 100] [--db sqlite,mariadb]
 * With `--retrieval-mb 1024`, instead: verification and download of one archive of that
 * size, each against a plain baseline (bench/archive-retrieval.ts).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Databases } from '../src/db/databases.js';
import { archiveJob } from '../src/jobs/archiveJob/archive-job.js';
import { AuditLog } from '../src/security/audit-log.js';
import { benchEnvironment, closeAfter, generateInChild, openBenchDatabases, quiesce, runJobToCompletion } from './environment.js';
import { argValue, measure, printTable } from './measure.js';

const records = Number(argValue('records', '100', '10'));
const engines = argValue('db', process.env.MARIADB_TEST_URL ? 'sqlite,mariadb' : 'sqlite').split(',');
const DOCUMENT = 200 * 1024;
const KEY = { id: 'bench', key: Buffer.alloc(32, 7) };
const uploadsOf = (location: string, engine: string) => path.join(engine === 'sqlite' ? location : tmpdir(), `bench-uploads-${engine}`);

function chemins(id: number): string[] {
  return [1, 2, 3].map((n) => `inscriptions/${id}/piece-${n}.pdf`).concat([1, 2].map((n) => `inscriptions/${id}/notes-${n}.txt`));
}

async function generate(databases: Databases, uploads: string): Promise<void> {
  rmSync(uploads, { recursive: true, force: true });
  const text = Buffer.from('Procès-verbal de la commission : avis favorable, inscription validée.\n'.repeat(Math.ceil(DOCUMENT / 70))).subarray(0, DOCUMENT);
  const at = '2024-01-01 00:00:00';
  const rows = [];
  const documents = [];
  for (let id = 1; id <= records; id++) {
    rows.push({ id, doctorant_id: id, directeur_id: null, sujet_these: 'Sujet', annee_universitaire: '2023-2024', type: 'PREMIERE', date_inscription: '2023-10-01', date_premiere_inscription: '2023-10-01', statut: 'VALIDÉ', motif_suspension: null, archived: 0, created_at: at, updated_at: at });
    for (const chemin of chemins(id)) {
      const file = path.join(uploads, chemin);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, chemin.endsWith('.pdf') ? randomBytes(DOCUMENT) : text);
      documents.push({ inscription_id: id, type: 'PIECE', nom_fichier: path.basename(chemin), chemin, taille: DOCUMENT, created_at: at });
    }
  }
  await databases.inscription.db.deleteFrom('documents').execute();
  await databases.inscription.db.deleteFrom('inscriptions').execute();
  for (let i = 0; i < rows.length; i += 200) await databases.inscription.db.insertInto('inscriptions').values(rows.slice(i, i + 200)).execute();
  for (let i = 0; i < documents.length; i += 500) await databases.inscription.db.insertInto('documents').values(documents.slice(i, i + 500)).execute();
}

/** `zip -q - files… | openssl enc -aes-256-ctr -K … -iv … -out archive`, one pair of processes per record. */
function zipAndEncrypt(uploads: string, out: string, id: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const zip = spawn('zip', ['-q', '-', ...chemins(id)], { cwd: uploads, stdio: ['ignore', 'pipe', 'inherit'] });
    const enc = spawn('openssl', ['enc', '-aes-256-ctr', '-K', KEY.key.toString('hex'), '-iv', '00'.repeat(16), '-out', path.join(out, `${id}.enc`)], { stdio: ['pipe', 'ignore', 'inherit'] });
    zip.stdout.pipe(enc.stdin);
    let left = 2;
    const done = (code: number | null) => (code === 0 ? --left === 0 && resolve() : reject(new Error(`zip/openssl exited ${code}`)));
    zip.on('close', done);
    enc.on('close', done);
  });
}

async function baseline(uploads: string): Promise<void> {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-zip-'));
  try {
    for (let id = 1; id <= records; id++) await zipAndEncrypt(uploads, out, id);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function runJob(databases: Databases, uploads: string): Promise<void> {
  const archives = mkdtempSync(path.join(tmpdir(), 'bench-archives-'));
  try {
    const job = archiveJob({
      ...databases,
      audit: new AuditLog(databases.batch.db),
      uploadsDir: uploads,
      archivesDir: archives,
      logDir: path.join(archives, 'logs'),
      timeZone: 'UTC',
      skipLimit: 0,
      keys: () => ({ current: KEY, byId: new Map([[KEY.id, KEY]]) }),
    });
    await runJobToCompletion(databases, job, { runAt: '2026-06-01T00:00:00Z' });
  } finally {
    rmSync(archives, { recursive: true, force: true });
  }
}

const retrievalMb = Number(argValue('retrieval-mb', '0'));
// Imported only when asked for: its server modules would weigh on the job's RSS below.
if (process.argv.includes('--generate-retrieval')) {
  await (await import('./archive-retrieval.js')).generateRetrievalData(argValue('location', ''), retrievalMb);
  process.exit(0);
}
if (retrievalMb > 0) {
  await (await import('./archive-retrieval.js')).measureRetrieval(import.meta.filename, retrievalMb);
  process.exit(0);
}

if (process.argv.includes('--generate')) {
  const engine = argValue('db', 'sqlite');
  const location = argValue('location', '');
  const databases = openBenchDatabases(engine, location);
  await closeAfter(databases, () => generate(databases, uploadsOf(location, engine)));
  process.exit(0);
}

console.log(`RSS before any work: ${Math.round(process.memoryUsage.rss() / 1048576)} MB`);
const table: (string | number)[][] = [['database', 'records', 'run', 'ms', 'records/s', 'MB/s', 'peak RSS MB', 'job / run']];
const megabytes = (records * 5 * DOCUMENT) / 1048576;
for (const engine of engines) {
  const env = await benchEnvironment(engine);
  const uploads = uploadsOf(env.location, engine);
  try {
    generateInChild(import.meta.filename, env, ['--records', String(records)]);
    await quiesce(env);
    const base = await measure('zip | openssl (processes)', records, () => baseline(uploads));
    const job = await measure('archiveJob', records, () => runJob(env.databases, uploads));
    for (const m of [base, job]) table.push([engine, records, m.label, Math.round(m.ms), m.itemsPerSecond, (megabytes / (m.ms / 1000)).toFixed(1), m.peakRssMb, (job.ms / m.ms).toFixed(2)]);
  } finally {
    rmSync(uploads, { recursive: true, force: true });
    await env.cleanup();
  }
}
console.log(`archiveJob benchmark — ${records} records × 5 documents × 200 KB (${megabytes.toFixed(0)} MB), Node ${process.version}`);
printTable(table);
