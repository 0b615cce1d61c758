/**
 * `GET /api/batch/jobs` as the service serves it (JWT verification, admin check, the
 * repository's query) against a bare Fastify route returning the same JSON, both in
 * this process, loaded by autocannon from a child process on loopback (so the load
 * generator does not share the server's thread). Then the same API while
 * tokenCleanupJob deletes 1,000,000 tokens in this process (p99 target under 50 ms).
 * Every job has run once before, so each entry of the list carries its last execution.
 * Prints req/s, p50/p99 and the ratio (target: the API at least 60% of the bare route).
 * Usage: npm run bench:api -- [--seconds 5] [--rounds 5] [--connections 10] [--tokens 2000000] [--smoke]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

const seconds = Number(argValue('seconds', '5', '1'));
const rounds = Number(argValue('rounds', '5', '1'));
/** Tokens in refresh_tokens while the API is loaded, every other one expired. */
const tokens = Number(argValue('tokens', '2000000', '2000'));
const connections = Number(argValue('connections', '10'));
const autocannonCli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

interface Load {
  readonly requests: { readonly average: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly non2xx: number;
  readonly errors: number;
}

/** Rounds of one contender as one: mean req/s, the worst p50 and p99. */
function combined(runs: readonly Load[]): Load {
  return {
    requests: { average: runs.reduce((sum, r) => sum + r.requests.average, 0) / runs.length },
    latency: { p50: Math.max(...runs.map((r) => r.latency.p50)), p99: Math.max(...runs.map((r) => r.latency.p99)) },
    non2xx: 0,
    errors: 0,
  };
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
// An archive key, or archiveJob cannot run and the list lacks its last execution.
const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: 'bench-secret-of-at-least-thirty-two-bytes', ARCHIVE_KEYS: `bench:${randomBytes(32).toString('base64')}`, SCHEDULER_ENABLED: 'false', DEMO_DATA: 'never', LOG_LEVEL: 'warn' });
const app = await createApp(config, silentLogger);
const server = await buildServer(app);
const token = await mintToken(config.jwt, { subject: 'bench', roles: ['ROLE_ADMIN'], ttl: '1h' });
// Every job ran once, so the list carries a last execution for each, as in service.
await createSiblingTables(app.databases);
for (const name of app.operator.jobNames()) await (await app.operator.start(name, { trigger: 'CLI' })).done;
const apiBase = await server.listen({ port: 0, host: '127.0.0.1' });
const url = `${apiBase}/api/batch/jobs`;
const auth = { authorization: `Bearer ${token}` };
const sample = await (await fetch(url, { headers: auth })).text();

const bare = Fastify({ logger: false });
bare.get('/jobs', async (_request, reply) => reply.type('application/json').send(sample));
const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' });

try {
  // Warmed up first (JIT, caches); then alternated, so a slow spell of the machine
  // weighs on both contenders rather than on whichever ran during it.
  await load(`${bareBase}/jobs`, {}, Math.min(2, seconds));
  await load(url, auth, Math.min(2, seconds));
  const baselines: Load[] = [];
  const apis: Load[] = [];
  for (let round = 0; round < rounds; round++) {
    baselines.push(await load(`${bareBase}/jobs`, {}, seconds));
    apis.push(await load(url, auth, seconds));
  }
  const baseline = combined(baselines);
  const api = combined(apis);

  // 2,000,000 tokens, every other one expired: the job deletes 1,000,000 while the API is loaded.
  await sql`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${tokens})
    INSERT INTO refresh_tokens (token, user_id, expiry_date, created_at)
    SELECT 'bench-' || i, 1, CASE WHEN i % 2 = 0 THEN '2020-01-01 00:00:00' ELSE '2099-01-01 00:00:00' END, '2020-01-01 00:00:00' FROM seq`.execute(app.databases.user.db);
  const { done } = await app.operator.start('tokenCleanupJob', { trigger: 'CLI' });
  const started = performance.now();
  const underLoad = await load(url, auth, Math.min(seconds, 5));
  const execution = await done;
  const jobMs = performance.now() - started;

  console.log(`GET /api/batch/jobs, ${rounds} alternated rounds of ${seconds} s each, ${connections} connections, autocannon in a child process, SQLite batchdb, Node ${process.version}`);
  printTable([
    ['route', 'req/s', 'p50 ms', 'p99 ms'],
    ['bare Fastify, same JSON', Math.round(baseline.requests.average), baseline.latency.p50, baseline.latency.p99],
    ['API with JWT', Math.round(api.requests.average), api.latency.p50, api.latency.p99],
    ['API with JWT, tokenCleanupJob running', Math.round(underLoad.requests.average), underLoad.latency.p50, underLoad.latency.p99],
  ]);
  const ratios = apis.map((a, i) => `${((a.requests.average / baselines[i]!.requests.average) * 100).toFixed(0)}%`);
  console.log(`ratio API / bare: ${((api.requests.average / baseline.requests.average) * 100).toFixed(1)}% (target ≥ 60%; rounds: ${ratios.join(', ')})`);
  console.log(`tokenCleanupJob meanwhile: ${execution.status}, ${String(execution.metrics.totalDeleted)} tokens deleted in ${Math.round(jobMs)} ms (p99 target < 50 ms)`);
} finally {
  await Promise.all([server.close(), bare.close()]);
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
