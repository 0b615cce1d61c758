/**
 * `GET /api/batch/jobs` as the service serves it (JWT verification, admin check, the
 * repository's query) against a bare Fastify route returning the same JSON, both in
 * this process, loaded by autocannon from a child process on loopback (so the load
 * generator does not share the server's thread). Then the same API while
 * tokenCleanupJob deletes 1,000,000 tokens in this process (p99 target under 50 ms).
 * Prints req/s, p50/p99 and the ratio (target: the API at least 60% of the bare route).
 * Usage: npm run bench:api -- [--seconds 10] [--connections 10]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createSiblingTables } from '../src/db/databases.js';
import { buildServer } from '../src/http/server.js';
import { silentLogger } from '../src/observability/logger.js';
import { mintToken } from '../src/security/token-minter.js';
import { argValue, printTable } from './measure.js';

const seconds = Number(argValue('seconds', '10'));
const connections = Number(argValue('connections', '10'));
const autocannonCli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

interface Load {
  readonly requests: { readonly average: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly non2xx: number;
  readonly errors: number;
}

/** autocannon in a child process (asynchronously: this process must go on serving); its JSON report. */
function load(url: string, headers: Record<string, string>, duration: number): Promise<Load> {
  const args = [autocannonCli, '--json', '-c', String(connections), '-d', String(duration)];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...args, url], { encoding: 'utf8', maxBuffer: 1 << 24 }, (error, stdout) => {
      if (error) return reject(error);
      const result = JSON.parse(stdout) as Load;
      if (result.non2xx > 0 || result.errors > 0) return reject(new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`));
      resolve(result);
    });
  });
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-api-'));
const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: 'bench-secret-of-at-least-thirty-two-bytes', SCHEDULER_ENABLED: 'false', DEMO_DATA: 'never', LOG_LEVEL: 'warn' });
const app = await createApp(config, silentLogger);
const server = await buildServer(app);
const token = await mintToken(config.jwt, { subject: 'bench', roles: ['ROLE_ADMIN'], ttl: '1h' });
const apiBase = await server.listen({ port: 0, host: '127.0.0.1' });
const url = `${apiBase}/api/batch/jobs`;
const auth = { authorization: `Bearer ${token}` };
const sample = await (await fetch(url, { headers: auth })).text();

const bare = Fastify({ logger: false });
bare.get('/jobs', async (_request, reply) => reply.type('application/json').send(sample));
const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' });

try {
  const baseline = await load(`${bareBase}/jobs`, {}, seconds);
  const api = await load(url, auth, seconds);

  // 2,000,000 tokens, every other one expired: the job deletes 1,000,000 while the API is loaded.
  await createSiblingTables(app.databases);
  await sql`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 2000000)
    INSERT INTO refresh_tokens (token, user_id, expiry_date, created_at)
    SELECT 'bench-' || i, 1, CASE WHEN i % 2 = 0 THEN '2020-01-01 00:00:00' ELSE '2099-01-01 00:00:00' END, '2020-01-01 00:00:00' FROM seq`.execute(app.databases.user.db);
  const { done } = await app.operator.start('tokenCleanupJob', { trigger: 'CLI' });
  const started = performance.now();
  const underLoad = await load(url, auth, Math.min(seconds, 5));
  const execution = await done;
  const jobMs = performance.now() - started;

  console.log(`GET /api/batch/jobs, ${seconds} s each, ${connections} connections, autocannon in a child process, SQLite batchdb, Node ${process.version}`);
  printTable([
    ['route', 'req/s', 'p50 ms', 'p99 ms'],
    ['bare Fastify, same JSON', Math.round(baseline.requests.average), baseline.latency.p50, baseline.latency.p99],
    ['API with JWT', Math.round(api.requests.average), api.latency.p50, api.latency.p99],
    ['API with JWT, tokenCleanupJob running', Math.round(underLoad.requests.average), underLoad.latency.p50, underLoad.latency.p99],
  ]);
  console.log(`ratio API / bare: ${((api.requests.average / baseline.requests.average) * 100).toFixed(1)}% (target ≥ 60%)`);
  console.log(`tokenCleanupJob meanwhile: ${execution.status}, ${String(execution.metrics.totalDeleted)} tokens deleted in ${Math.round(jobMs)} ms (p99 target < 50 ms)`);
} finally {
  await Promise.all([server.close(), bare.close()]);
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
