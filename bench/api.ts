/**
 * `GET /api/batch/jobs` as the service serves it (JWT verification, admin check, the
 * repository's queries) against a bare Fastify route returning the same JSON, both
 * in this process, on loopback, with autocannon. Prints req/s, p99 and the ratio
 * (target: the API at least 60% of the bare route's req/s).
 * Usage: node --import tsx bench/api.ts [--seconds 10] [--connections 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { buildServer } from '../src/http/server.js';
import { silentLogger } from '../src/observability/logger.js';
import { mintToken } from '../src/security/token-minter.js';
import { argValue, printTable } from './measure.js';

const seconds = Number(argValue('seconds', '10'));
const connections = Number(argValue('connections', '10'));

async function load(url: string, headers: Record<string, string>): Promise<autocannon.Result> {
  const result = await autocannon({ url, headers, duration: seconds, connections });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-api-'));
const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: 'bench-secret-of-at-least-thirty-two-bytes', SCHEDULER_ENABLED: 'false', DEMO_DATA: 'never', LOG_LEVEL: 'warn' });
const app = await createApp(config, silentLogger);
const server = await buildServer(app);
const token = await mintToken(config.jwt, { subject: 'bench', roles: ['ROLE_ADMIN'], ttl: '1h' });
const apiBase = await server.listen({ port: 0, host: '127.0.0.1' });
const url = `${apiBase}/api/batch/jobs`;
const sample = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();

const bare = Fastify({ logger: false });
bare.get('/jobs', async (_request, reply) => reply.type('application/json').send(sample));
const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' });

try {
  const baseline = await load(`${bareBase}/jobs`, {});
  const api = await load(url, { authorization: `Bearer ${token}` });
  console.log(`GET /api/batch/jobs, ${seconds} s each, ${connections} connections, SQLite batchdb, Node ${process.version}`);
  printTable([
    ['route', 'req/s', 'p50 ms', 'p99 ms'],
    ['bare Fastify, same JSON', Math.round(baseline.requests.average), baseline.latency.p50, baseline.latency.p99],
    ['API with JWT', Math.round(api.requests.average), api.latency.p50, api.latency.p99],
  ]);
  console.log(`ratio API / bare: ${((api.requests.average / baseline.requests.average) * 100).toFixed(1)}% (target ≥ 60%)`);
} finally {
  await Promise.all([server.close(), bare.close()]);
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
