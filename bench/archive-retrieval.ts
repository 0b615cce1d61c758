/**
 * Reading one large archive back (`--retrieval-mb N` of bench/archive.ts): `verifyArchive`
 * and the download route on an archive of one record whose four stored documents make N MB,
 * each against a plain baseline on the unencrypted ZIP of the same bytes — `sha256sum` and
 * `unzip -tq` as processes for the verification, the same server sending that ZIP file as
 * it is for the download, fetched by `curl`. The archive is built by the service's own buildArchive from
 * documents written chunk by chunk, in a child process, so neither the data nor its
 * generation shows in this process's RSS. Items = megabytes of the ZIP.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { closeDatabases, migrate, openDatabases } from '../src/db/databases.js';
import { sqlTimestampMillis } from '../src/db/sql-time.js';
import { archiveRoutes } from '../src/http/archive-routes.js';
import { API_PREFIX, authenticator, requireAdminByDefault } from '../src/http/authentication.js';
import { problemOf, sendProblem } from '../src/http/problem.js';
import { buildArchive, verifyArchive, type BuiltArchive } from '../src/archives/record-archive.js';
import { silentLogger } from '../src/observability/logger.js';
import { decryptArchive, type MasterKeys } from '../src/archives/archive-envelope.js';
import { AuditLog } from '../src/security/audit-log.js';
import { mintToken } from '../src/security/token-minter.js';
import { createTokenVerifier } from '../src/security/token-verifier.js';
import { measure, printTable, type Measurement } from './measure.js';

const KEY = { id: 'bench', key: Buffer.alloc(32, 7) };
const KEYS: MasterKeys = { current: KEY, byId: new Map([[KEY.id, KEY]]) };
const DOCUMENTS = 4;
const CHUNK = 1 << 20;

/** `megabytes` of pseudo-random bytes (AES-CTR over zeros: fast, incompressible), a megabyte at a time. */
function noise(megabytes: number): Readable {
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16));
  const zeros = Buffer.alloc(CHUNK);
  return Readable.from(
    (function* () {
      for (let i = 0; i < megabytes; i++) yield cipher.update(zeros);
    })(),
  );
}

/** In the child: the documents, the archive (built and verified by buildArchive), the plain ZIP. */
export async function generateRetrievalData(dir: string, megabytes: number): Promise<void> {
  const uploadsDir = path.join(dir, 'uploads');
  const chemins = Array.from({ length: DOCUMENTS }, (_, i) => `inscriptions/1/piece-${i + 1}.pdf`);
  mkdirSync(path.join(uploadsDir, 'inscriptions/1'), { recursive: true });
  for (const chemin of chemins) await pipeline(noise(Math.ceil(megabytes / DOCUMENTS)), createWriteStream(path.join(uploadsDir, chemin)));
  const built = await buildArchive({ type: 'inscription', originalId: 1, row: { id: 1 }, chemins, resumed: false }, { uploadsDir, archivesDir: path.join(dir, 'archives') }, KEYS, new Date());
  rmSync(uploadsDir, { recursive: true, force: true });
  await pipeline(createReadStream(built.path), decryptArchive(KEYS), createWriteStream(path.join(dir, 'plain.zip')));
  writeFileSync(path.join(dir, 'built.json'), JSON.stringify(built));
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

/**
 * `curl` GETs `url` and drops the body, as a process: the client's buffers stay out of this
 * process's RSS, which is the server's. Checks that every byte of the ZIP arrived.
 */
function download(url: string, token: string, expectedBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--fail', '-o', '/dev/null', '-w', '%{size_download}', '-H', `authorization: Bearer ${token}`, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let written = '';
    child.stdout.on('data', (chunk: Buffer) => (written += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && Number(written) === expectedBytes ? resolve() : reject(new Error(`${url}: curl exited ${code} after ${written} bytes of ${expectedBytes}`))));
  });
}

export async function measureRetrieval(script: string, megabytes: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-retrieval-'));
  try {
    const generated = spawnSync(process.execPath, [...process.execArgv, script, '--generate-retrieval', '--location', dir, '--retrieval-mb', String(megabytes)], { stdio: 'inherit' });
    if (generated.status !== 0) throw new Error(`data generation failed (exit ${generated.status})`);
    const built = JSON.parse(readFileSync(path.join(dir, 'built.json'), 'utf8')) as BuiltArchive;
    const plain = path.join(dir, 'plain.zip');
    const zipBytes = statSync(plain).size;
    const zipMb = zipBytes / 1048576;

    const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), ARCHIVE_KEYS: `${KEY.id}:${KEY.key.toString('base64')}`, JWT_SECRET: 'bench-secret-of-at-least-thirty-two-bytes' });
    const databases = openDatabases(config);
    await migrate(databases);
    await databases.batch.db
      .insertInto('inscription_archive')
      .values({ original_id: 1, original_row: '{"id":1}', archive_path: built.path, size_bytes: built.sizeBytes, sha256: built.sha256, documents_count: built.documents.length, documents_bytes: built.documents.reduce((sum, d) => sum + d.size, 0), key_id: built.keyId, archived_at: sqlTimestampMillis(new Date()), job_execution_id: null, completed_at: null, shredded_at: null })
      .execute();
    // The archive routes as the service registers them, behind its token check, without the
    // rest of the service (report rendering and the admin console hold some 70 MB before any
    // request): what is measured is what a download adds.
    const server = Fastify({ logger: false });
    server.setErrorHandler((error, _request, reply) => sendProblem(reply, problemOf(error)));
    requireAdminByDefault(server, authenticator(createTokenVerifier(config.jwt)));
    await server.register(archiveRoutes({ config, databases, audit: new AuditLog(databases.batch.db), logger: silentLogger }), { prefix: API_PREFIX });
    server.get('/plain.zip', async (_request, reply) => reply.type('application/zip').header('content-length', zipBytes).send(createReadStream(plain)));
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    const token = await mintToken(config.jwt, { subject: 'bench', roles: ['ROLE_ADMIN'], ttl: '1h' });
    try {
      const rows: [Measurement, Measurement, number][] = [];
      const pair = async (baselineLabel: string, baseline: () => Promise<unknown>, label: string, work: () => Promise<unknown>) => {
        global.gc?.();
        const before = Math.round(process.memoryUsage.rss() / 1048576);
        const base = await measure(baselineLabel, zipMb, baseline);
        const measured = await measure(label, zipMb, work);
        rows.push([base, measured, before]);
      };
      await pair('sha256sum + unzip -tq (processes)', () => run('sha256sum', [plain]).then(() => run('unzip', ['-tq', plain])), 'verifyArchive', () => verifyArchive(built.path, KEYS, { sha256: built.sha256 }));
      await pair('GET of the plain ZIP file', () => download(`${base}/plain.zip`, token, zipBytes), 'GET …/download', () => download(`${base}${API_PREFIX}/archives/inscription/1/download`, token, zipBytes));
      console.log(`Archive retrieval — one archive of ${(built.sizeBytes / 1048576).toFixed(0)} MB (${DOCUMENTS} stored documents), Node ${process.version}`);
      const table: (string | number)[][] = [['run', 'MB', 'ms', 'MB/s', 'RSS before MB', 'peak RSS MB', 'service / baseline']];
      for (const [baseline, measured, before] of rows) {
        for (const m of [baseline, measured]) table.push([m.label, Math.round(zipMb), Math.round(m.ms), m.itemsPerSecond, before, m.peakRssMb, (measured.ms / m.ms).toFixed(2)]);
      }
      printTable(table);
    } finally {
      await server.close();
      await closeDatabases(databases);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
