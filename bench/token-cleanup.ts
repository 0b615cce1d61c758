/**
 * tokenCleanupJob against two baselines, in one process, on the same generated data:
 *   - hand loop: keyset select of `chunk` ids + `DELETE … IN`, one transaction per chunk
 *     (the same chunks as the job, without the engine);
 *   - set-based: one `DELETE … WHERE expiry_date < ?`.
 * Usage: node --import tsx bench/token-cleanup.ts [--n 100000,1000000] [--db sqlite,mariadb] [--chunk 100]
 * MariaDB needs MARIADB_TEST_URL (a user allowed to create `bt_%` databases).
 */
import type { Databases } from '../src/db/databases.js';
import { sqlTimestamp, sqlTimestampMillis } from '../src/db/sql-time.js';
import { tokenCleanupJob } from '../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { benchEnvironment, closeAfter, generateInChild, openBenchDatabases, quiesce, runJobToCompletion } from './environment.js';
import { argValue, measure, printTable, type Measurement } from './measure.js';

const sizes = argValue('n', '100000,1000000').split(',').map(Number);
const engines = argValue('db', process.env.MARIADB_TEST_URL ? 'sqlite,mariadb' : 'sqlite').split(',');
const chunk = Number(argValue('chunk', '100'));
const runAt = new Date('2026-11-28T02:00:00Z');
const TABLES = ['refresh_tokens', 'password_reset_tokens'] as const;

/** N tokens per table, every other one expired, ids in insertion order. */
async function generate(databases: Databases, n: number): Promise<void> {
  const { db } = databases.user;
  const created = sqlTimestampMillis(new Date('2026-01-01T00:00:00Z'));
  const expired = sqlTimestampMillis(new Date(runAt.getTime() - 86_400_000));
  const alive = sqlTimestampMillis(new Date(runAt.getTime() + 86_400_000));
  for (const table of TABLES) {
    await db.deleteFrom(table).execute();
    for (let start = 0; start < n; start += 2000) {
      const rows: { token: string; user_id: number; expiry_date: string; created_at: string }[] = [];
      for (let i = start; i < Math.min(n, start + 2000); i++) {
        rows.push({ token: `${table}-${i}`, user_id: 1 + (i % 2000), expiry_date: i % 2 === 0 ? expired : alive, created_at: created });
      }
      await db.transaction().execute((trx) => trx.insertInto(table).values(rows).execute());
    }
  }
}

async function handLoop(databases: Databases): Promise<number> {
  const { db } = databases.user;
  const cutoff = sqlTimestamp(runAt);
  let deleted = 0;
  for (const table of TABLES) {
    let last = 0;
    for (;;) {
      const ids = (
        await db.selectFrom(table).select('id').where('id', '>', last).where('expiry_date', '<', cutoff).orderBy('id').limit(chunk).execute()
      ).map((r) => Number(r.id));
      if (ids.length === 0) break;
      last = ids[ids.length - 1]!;
      // One statement in autocommit: one transaction per chunk, as the job's writer.
      const result = await db.deleteFrom(table).where('id', 'in', ids).where('expiry_date', '<', cutoff).executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
  }
  return deleted;
}

async function setBased(databases: Databases): Promise<number> {
  const cutoff = sqlTimestamp(runAt);
  let deleted = 0;
  for (const table of TABLES) {
    deleted += Number((await databases.user.db.deleteFrom(table).where('expiry_date', '<', cutoff).executeTakeFirst()).numDeletedRows);
  }
  return deleted;
}

async function runJob(databases: Databases, attempt: number): Promise<number> {
  const job = tokenCleanupJob({ userDb: databases.user, chunkSize: chunk });
  const metrics = await runJobToCompletion(databases, job, { runAt: runAt.toISOString(), attempt: String(attempt) });
  return Number(metrics.totalDeleted);
}

if (process.argv.includes('--generate')) {
  const databases = openBenchDatabases(argValue('db', 'sqlite'), argValue('location', ''));
  await closeAfter(databases, () => generate(databases, Number(argValue('n', '0'))));
  process.exit(0);
}

console.log(`RSS before any work: ${Math.round(process.memoryUsage.rss() / 1048576)} MB`);
const rows: (string | number)[][] = [['database', 'tokens', 'run', 'deleted', 'ms', 'items/s', 'peak RSS MB', 'job / run']];
let attempt = 0;
for (const engine of engines) {
  const env = await benchEnvironment(engine);
  const { databases, cleanup } = env;
  try {
    for (const n of sizes) {
      const results: Measurement[] = [];
      // Each contender gets freshly generated, identical data and a settled database; the
      // job runs last so the baselines cannot benefit from a cache it warmed.
      for (const [label, phase] of [
        ['set-based DELETE', setBased],
        ['hand loop', handLoop],
        ['tokenCleanupJob', (d: Databases) => runJob(d, ++attempt)],
      ] as const) {
        generateInChild(import.meta.filename, env, ['--n', String(n)]);
        await quiesce(env);
        let deleted = 0;
        results.push(await measure(label, n, async () => (deleted = await phase(databases))));
        if (deleted !== n) throw new Error(`${label} deleted ${deleted}, expected ${n}`);
      }
      const job = results[2]!;
      for (const r of results) {
        rows.push([engine, 2 * n, r.label, n, Math.round(r.ms), r.itemsPerSecond, r.peakRssMb, (job.ms / r.ms).toFixed(2)]);
      }
    }
  } finally {
    await cleanup();
  }
}
console.log(`tokenCleanupJob benchmark — chunk ${chunk}, half of each table expired, Node ${process.version}`);
printTable(rows);
