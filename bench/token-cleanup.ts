/**
 * tokenCleanupJob against two baselines, in one process, on the same generated data:
 *   - hand loop: keyset select of `chunk` ids + `DELETE … IN`, one transaction per chunk
 *     (the same chunks as the job, without the engine);
 *   - set-based: one `DELETE … WHERE expiry_date < ?`.
 * N tokens per table, half of them expired, in the distributions `--dist` names (default
 * `alternate,demo`; issue 16, item 10):
 *   - alternate: every other id expired, tokens `refresh_tokens-<i>` (in index order
 *     nearly as ids are): a chunk's deletes fall on a few pages of every index;
 *   - demo: the rows of the demo generator (`planTokens`): expiry dates random over the
 *     past 180 days (refresh) or 2 years (password reset) or within the lifetime ahead,
 *     ids in creation order so the expired ones are the lowest ids, tokens of 64 random
 *     hex digits: each id deleted removes an entry from its own page of the unique index
 *     on `token`, about 100 pages written per chunk of 100;
 *   - demo-ordered-tokens (only when asked for): the demo rows with `refresh_tokens-<id>`
 *     as tokens, to tell the random tokens' cost from the expiry dates'.
 * `--repeat K` runs the three contenders K times in turn (each on fresh data) and reports
 * each one's median: one run per contender is at the mercy of whatever else the machine
 * does in its seconds, and the 1.10 target is narrower than that noise.
 * Usage: node --import tsx bench/token-cleanup.ts [--n 100000,1000000] [--db sqlite,mariadb] [--chunk 100] [--dist alternate,demo] [--repeat 1]
 * MariaDB needs MARIADB_TEST_URL (a user allowed to create `bt_%` databases).
 */
import type { Databases } from '../src/db/databases.js';
import { PASSWORD_RESET_TOKENS, REFRESH_TOKENS, planTokens } from '../src/db/fixtures/demo-people.js';
import { DemoRandom, loadDemoRandom } from '../src/db/fixtures/demo-random.js';
import { sqlTimestamp, sqlTimestampMillis } from '../src/db/sql-time.js';
import { tokenCleanupJob } from '../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { benchEnvironment, closeAfter, generateInChild, openBenchDatabases, quiesce, runJobToCompletion } from './environment.js';
import { argValue, measure, printTable, type Measurement } from './measure.js';

const sizes = argValue('n', '100000,1000000', '2000').split(',').map(Number);
const engines = argValue('db', process.env.MARIADB_TEST_URL ? 'sqlite,mariadb' : 'sqlite').split(',');
const chunk = Number(argValue('chunk', '100'));
const repeat = Number(argValue('repeat', '1'));
/** What the printed table says of each distribution. */
const DISTRIBUTIONS = {
  alternate: 'every other id expired, sequential tokens',
  demo: "demo-data's tokens: random expiry, expired ids first, random 64-hex tokens",
  'demo-ordered-tokens': 'the demo rows with sequential tokens',
} as const;
type Distribution = keyof typeof DISTRIBUTIONS;
const distributions = argValue('dist', 'alternate,demo', 'alternate').split(',').map(distributionNamed);
const runAt = new Date('2026-11-28T02:00:00Z');
const TABLES = ['refresh_tokens', 'password_reset_tokens'] as const;
const USERS = 2000;

type TokenRow = { id?: number; token: string; user_id: number; expiry_date: string; created_at: string };

/** The measurement of median time among one contender's rounds. */
function medianOf(measurements: readonly Measurement[]): Measurement {
  return [...measurements].sort((a, b) => a.ms - b.ms)[Math.floor(measurements.length / 2)]!;
}

function distributionNamed(name: string): Distribution {
  if (!Object.hasOwn(DISTRIBUTIONS, name)) {
    throw new Error(`--dist: unknown distribution ${JSON.stringify(name)}; expected ${Object.keys(DISTRIBUTIONS).join(', ')}`);
  }
  return name as Distribution;
}

/** Every other one expired, ids in insertion order. */
function alternateTokens(table: (typeof TABLES)[number], n: number): TokenRow[] {
  const created = sqlTimestampMillis(new Date('2026-01-01T00:00:00Z'));
  const expired = sqlTimestampMillis(new Date(runAt.getTime() - 86_400_000));
  const alive = sqlTimestampMillis(new Date(runAt.getTime() + 86_400_000));
  return Array.from({ length: n }, (_, i) => ({ token: `${table}-${i}`, user_id: 1 + (i % USERS), expiry_date: i % 2 === 0 ? expired : alive, created_at: created }));
}

/**
 * Tokens made by the demo generator's own function, with runAt as its reference: those of
 * `demo-data --scale <n / 10,000>` but for the random stream and the owners, which do
 * not change where expired rows fall.
 */
function demoTokens(table: (typeof TABLES)[number], n: number): TokenRow[] {
  const owners = Array.from({ length: USERS }, (_, i) => ({ id: i + 1 }));
  const kind = table === 'refresh_tokens' ? REFRESH_TOKENS : PASSWORD_RESET_TOKENS;
  return planTokens(new DemoRandom(42, TABLES.indexOf(table) + 1), n, kind, owners, runAt);
}

/** N tokens per table, half of them expired. */
async function generate(databases: Databases, n: number, distribution: Distribution): Promise<void> {
  await loadDemoRandom();
  const { db } = databases.user;
  for (const table of TABLES) {
    await db.deleteFrom(table).execute();
    const tokens =
      distribution === 'alternate'
        ? alternateTokens(table, n)
        : distribution === 'demo'
          ? demoTokens(table, n)
          : demoTokens(table, n).map((row) => ({ ...row, token: `${table}-${row.id}` }));
    for (let start = 0; start < n; start += 2000) {
      const rows = tokens.slice(start, start + 2000);
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
  const job = tokenCleanupJob({ userDb: databases.user, batch: databases.batch, chunkSize: chunk, retentionDays: 400 });
  const metrics = await runJobToCompletion(databases, job, { runAt: runAt.toISOString(), attempt: String(attempt) });
  return Number(metrics.totalDeleted);
}

if (process.argv.includes('--generate')) {
  const databases = openBenchDatabases(argValue('db', 'sqlite'), argValue('location', ''));
  await closeAfter(databases, () => generate(databases, Number(argValue('n', '0')), distributionNamed(argValue('dist', ''))));
  process.exit(0);
}

console.log(`RSS before any work: ${Math.round(process.memoryUsage.rss() / 1048576)} MB`);
const rows: (string | number)[][] = [['database', 'distribution', 'tokens', 'run', 'deleted', 'ms', 'items/s', 'peak RSS MB', 'job / run']];
let attempt = 0;
for (const engine of engines) {
  const env = await benchEnvironment(engine);
  const { databases, cleanup } = env;
  try {
    for (const [distribution, n] of distributions.flatMap((d) => sizes.map((size) => [d, size] as const))) {
      const rounds: Measurement[][] = [];
      // Each contender gets freshly generated, identical data and a settled database; the
      // job runs last so the baselines cannot benefit from a cache it warmed.
      for (let round = 0; round < repeat; round++) {
        const results: Measurement[] = [];
        for (const [label, phase] of [
          ['set-based DELETE', setBased],
          ['hand loop', handLoop],
          ['tokenCleanupJob', (d: Databases) => runJob(d, ++attempt)],
        ] as const) {
          generateInChild(import.meta.filename, env, ['--n', String(n), '--dist', distribution]);
          await quiesce(env);
          let deleted = 0;
          results.push(await measure(label, n, async () => (deleted = await phase(databases))));
          if (deleted !== n) throw new Error(`${label} deleted ${deleted}, expected ${n}`);
        }
        rounds.push(results);
      }
      const results = rounds[0]!.map((_, i) => medianOf(rounds.map((r) => r[i]!)));
      const job = results[2]!;
      for (const r of results) {
        rows.push([engine, distribution, 2 * n, r.label, n, Math.round(r.ms), r.itemsPerSecond, r.peakRssMb, (job.ms / r.ms).toFixed(2)]);
      }
    }
  } finally {
    await cleanup();
  }
}
console.log(`tokenCleanupJob benchmark — chunk ${chunk}, half of each table expired, median of ${repeat} round(s), Node ${process.version}`);
for (const distribution of distributions) console.log(`  ${distribution}: ${DISTRIBUTIONS[distribution]}`);
printTable(rows);
