/**
 * One scenario: a job run by a `run` process (replica A) while a `serve` process
 * (replica B, scheduler off) sweeps for dead runs, a fault injected at a random point,
 * a takeover by a `restart` process as soon as the run is seen abandoned, then restarts
 * until the instance COMPLETED, then the invariants.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Connection } from 'mysql2/promise';
import type { ParsedMail } from 'mailparser';
import type { Env } from '../../src/config.js';
import { startSmtp } from '../../test/support/smtp.js';
import { checkFinalState, compareFigures, compareSideEffects, endedExecutions, resentCopies, sideEffects, type Figures, type Snapshot, type Violation, type Volatile } from './invariants.js';
import type { OwnMariadb } from './mariadb.js';
import { startFaultProxy, type FaultProxy } from './proxy.js';
import { Random } from './random.js';
import { freePort } from './mariadb.js';
import { dbEnv, makeWorld, REFERENCE, REPORT_MONTH, startProc, type Proc, type Sql, type Template, type World } from './world.js';

export const JOBS = ['tokenCleanupJob', 'dureeDoctoratAlertJob', 'monthlyReportJob', 'archiveJob', 'dataConsistencyJob'] as const;
export type JobName = (typeof JOBS)[number];

export const FAULTS = [
  'none',
  'kill',
  'pause-past-lease',
  'pause-within-lease',
  'kill-then-kill-sweeper',
  'clock-skew',
  'statement-hang',
  'proxy-delay',
  'proxy-late',
  'proxy-blackhole',
  'proxy-reset',
  'pool-exhausted',
  'db-restart',
] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * Faults drawn on MariaDB only: those that need the harness's own MariaDB (a proxy to it,
 * its connection limit, its restart), and clock skew. Processes sharing an SQLite file
 * share a host (SQLite over a network file system is unsupported), so they share its
 * clock: SQLite's « database clock » is each process's own, and skewing one process with
 * faketime makes a fault no deployment can have.
 */
export const MARIADB_ONLY: ReadonlySet<Fault> = new Set(['proxy-delay', 'proxy-late', 'proxy-blackhole', 'proxy-reset', 'pool-exhausted', 'db-restart', 'clock-skew']);

/** Short leases, in the harness only, through the documented variables. */
export const HEARTBEAT_INTERVAL_MS = 300;
export const HEARTBEAT_TIMEOUT_MS = 3_000;
const LEASE_MS = HEARTBEAT_TIMEOUT_MS - Math.max(HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS / 4);
const SWEEP_MS = HEARTBEAT_INTERVAL_MS * 3;
const PROCESS_LIMIT_MS = 90_000;

/** Where a job's writes go: the table a hanging statement locks. */
const WRITE_TARGET: Record<JobName, { db: 'batch' | 'user' | 'inscription' | 'notification'; table: string }> = {
  tokenCleanupJob: { db: 'user', table: 'refresh_tokens' },
  dureeDoctoratAlertJob: { db: 'batch', table: 'alerte_duree_envoyee' },
  monthlyReportJob: { db: 'batch', table: 'report_snapshot' },
  archiveJob: { db: 'inscription', table: 'inscriptions' },
  dataConsistencyJob: { db: 'batch', table: 'consistency_anomaly' },
};

export function jobArgs(job: JobName): string[] {
  const runAt = ['--param', `runAt=${REFERENCE.toISOString()}`];
  return job === 'monthlyReportJob' ? [...runAt, '--param', `month=${REPORT_MONTH}`] : runAt;
}

export interface ScenarioSpec {
  readonly index: number;
  readonly seed: number;
  readonly dialect: 'sqlite' | 'mysql';
  readonly job: JobName;
  readonly fault: Fault;
}

export interface Baseline {
  readonly effects: Snapshot;
  readonly volatile: Volatile;
  readonly figures: Figures;
  readonly volatileFigures: ReadonlySet<string>;
  readonly jobMs: number;
}

export interface ScenarioResult {
  readonly spec: ScenarioSpec;
  /** What was injected, in words (the random draws included). */
  readonly plan: string;
  /** Fault actions that landed while the run's process was alive. */
  readonly faults: number;
  readonly violations: Violation[];
  /** Job mails delivered again under the same Message-ID (at least once; not a violation). */
  readonly resent: number;
  readonly effects: Snapshot;
  readonly figures: Figures | undefined;
  readonly runMs: number;
  /** From the execution recorded to the run's process exit. */
  readonly jobMs: number;
  readonly durationMs: number;
  readonly executions: number;
  readonly log: string;
}

export interface Harness {
  readonly template: Template;
  readonly own: OwnMariadb | undefined;
  readonly archiveKeys: string;
  readonly keep: boolean;
  /** Hears each step of a scenario as it happens (the main loop shows them when one hangs). */
  readonly trace?: (line: string) => void;
}

interface Ctx {
  readonly spec: ScenarioSpec;
  readonly random: Random;
  readonly world: World;
  readonly sql: Sql;
  readonly env: Env;
  readonly harness: Harness;
  proxy: FaultProxy | undefined;
  runner: Proc | undefined;
  serve: Proc | undefined;
  serveKilled: boolean;
  readonly helpers: Proc[];
  faults: number;
  launchedAt: number | undefined;
  readonly notes: string[];
  readonly violations: Violation[];
}

const note = (ctx: Ctx, text: string) => {
  const line = `${((Date.now() - started.get(ctx)!) / 1000).toFixed(2)}s ${text}`;
  ctx.notes.push(line);
  ctx.harness.trace?.(line);
};
const started = new WeakMap<Ctx, number>();

async function currentExecution(sql: Sql, job: string): Promise<{ id: number; status: string } | undefined> {
  const rows = await sql.all('batch', 'SELECT e.id, e.status FROM batch_job_instance i JOIN batch_job_execution e ON e.id = i.current_execution_id WHERE i.job_name = ?', [job]);
  const row = rows[0];
  return row ? { id: Number(row.id), status: String(row.status) } : undefined;
}

async function waitExit(ctx: Ctx, proc: Proc, limitMs = PROCESS_LIMIT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  const result = await Promise.race([proc.exited, sleep(limitMs).then(() => undefined)]);
  if (!result) {
    ctx.violations.push({ kind: 'hang', detail: `${proc.name} (pid ${proc.pid}) had not exited after ${limitMs / 1000} s; killed` });
    proc.signal('SIGCONT');
    proc.signal('SIGKILL');
    return proc.exited;
  }
  return result;
}

function checkExit(ctx: Ctx, proc: Proc, result: { code: number | null; signal: NodeJS.Signals | null } | undefined, expectKilled: boolean): void {
  if (!result || expectKilled) return;
  // 0: COMPLETED, 1: FAILED or STOPPED or lease lost, 2: refused (already running, already complete).
  if (result.signal || result.code === null || result.code > 2) {
    ctx.violations.push({ kind: 'crash', detail: `${proc.name} ended with ${result.signal ?? `exit ${result.code}`}: ${lastLines(proc.output())}` });
  }
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 600);
}

async function health(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/actuator/health/liveness`);
    return response.ok;
  } catch {
    return false;
  }
}

/** The fault, at a random point of the run. Returns what it did, in words. */
async function inject(ctx: Ctx, baselineJobMs: number): Promise<string> {
  const { random, spec } = ctx;
  const runner = ctx.runner!;
  // One fault in ten lands while the process starts (the launch itself included); the
  // others at a random point of the run, from the moment its execution is recorded.
  const duringStart = random.next() < 0.1;
  const at = Math.round(random.between(0, duringStart ? 1_500 : 1.1 * baselineJobMs));
  if (!duringStart && spec.fault !== 'none' && spec.fault !== 'clock-skew') await launched(ctx);
  const lands = () => {
    if (runner.alive()) ctx.faults++;
  };
  const within = async <T>(what: () => Promise<T>) => {
    await sleep(at);
    lands();
    return what();
  };
  switch (spec.fault) {
    case 'none':
      return 'no fault';
    case 'kill':
      await within(async () => runner.signal('SIGKILL'));
      return `SIGKILL the run at ${at} ms`;
    case 'pause-past-lease':
    case 'pause-within-lease': {
      const pause = Math.round(spec.fault === 'pause-past-lease' ? random.between(1.2, 3.5) * HEARTBEAT_TIMEOUT_MS : random.between(0.1, 0.6) * LEASE_MS);
      await within(async () => runner.signal('SIGSTOP'));
      note(ctx, 'SIGSTOP');
      await sleep(pause);
      runner.signal('SIGCONT');
      note(ctx, 'SIGCONT');
      return `SIGSTOP the run at ${at} ms for ${pause} ms`;
    }
    case 'kill-then-kill-sweeper': {
      const after = Math.round(random.between(0.8, 1) * HEARTBEAT_TIMEOUT_MS + random.between(0, 3) * SWEEP_MS);
      await within(async () => runner.signal('SIGKILL'));
      await sleep(after);
      ctx.serve?.signal('SIGKILL');
      ctx.serveKilled = true;
      note(ctx, 'serve SIGKILL');
      return `SIGKILL the run at ${at} ms, then the sweeping serve ${after} ms later`;
    }
    case 'clock-skew':
      return 'clock skewed from the start';
    case 'statement-hang': {
      const hold = Math.round(random.between(0.3, 3) * HEARTBEAT_TIMEOUT_MS);
      const onRun = random.next() < 0.5;
      const target = onRun ? 'the execution row' : `${WRITE_TARGET[spec.job].db}.${WRITE_TARGET[spec.job].table}`;
      await sleep(at);
      lands();
      const release = await lockFor(ctx, onRun);
      note(ctx, `lock taken on ${target}`);
      await sleep(hold);
      await release();
      note(ctx, 'lock released');
      return `lock ${target} at ${at} ms for ${hold} ms (its statements hang)`;
    }
    case 'proxy-delay': {
      const ms = Math.round(random.between(50, 1.5 * LEASE_MS));
      const hold = Math.round(random.between(0.5, 3) * HEARTBEAT_TIMEOUT_MS);
      await within(async () => ctx.proxy!.set({ kind: 'delay', ms }));
      await sleep(hold);
      ctx.proxy!.set({ kind: 'pass' });
      return `delay every byte by ${ms} ms from ${at} ms, for ${hold} ms`;
    }
    case 'proxy-late': {
      const hold = Math.round(random.between(0.3, 2.5) * HEARTBEAT_TIMEOUT_MS);
      await within(async () => ctx.proxy!.set({ kind: 'hold' }));
      note(ctx, 'link held');
      await sleep(hold);
      ctx.proxy!.set({ kind: 'pass' });
      note(ctx, 'link delivers late');
      return `cut the link at ${at} ms, deliver its bytes ${hold} ms late`;
    }
    case 'proxy-blackhole': {
      const hold = Math.round(random.between(0.3, 2.5) * HEARTBEAT_TIMEOUT_MS);
      await within(async () => ctx.proxy!.set({ kind: 'blackhole' }));
      await sleep(hold);
      ctx.proxy!.set({ kind: 'pass' });
      return `drop every byte from ${at} ms for ${hold} ms, then reset those connections`;
    }
    case 'proxy-reset': {
      const times = random.int(1, 3);
      await sleep(at);
      for (let i = 0; i < times; i++) {
        lands();
        ctx.proxy!.reset();
        const gap = Math.round(random.between(50, 800));
        if (i < times - 1) await sleep(gap);
      }
      return `reset every connection ${times} time(s) from ${at} ms`;
    }
    case 'pool-exhausted': {
      const hold = Math.round(random.between(0.3, 2.5) * HEARTBEAT_TIMEOUT_MS);
      await sleep(at);
      lands();
      const release = await exhaustConnections(ctx);
      note(ctx, 'connections exhausted');
      await sleep(hold);
      await release();
      return `fill the server's connections at ${at} ms for ${hold} ms`;
    }
    case 'db-restart': {
      const signal = random.next() < 0.5 ? 'SIGKILL' : 'SIGTERM';
      const down = Math.round(random.between(0, 2_000));
      await sleep(at);
      lands();
      note(ctx, `MariaDB ${signal}`);
      await ctx.harness.own!.restart(signal, down);
      note(ctx, 'MariaDB back');
      return `restart MariaDB (${signal}, down ${down} ms) at ${at} ms`;
    }
  }
}

/** Resolves once the run's execution is in batchdb (or its process is gone). */
async function launched(ctx: Ctx): Promise<void> {
  while (ctx.runner!.alive()) {
    if (await currentExecution(ctx.sql, ctx.spec.job).catch(() => undefined)) {
      ctx.launchedAt ??= Date.now();
      return;
    }
    await sleep(40);
  }
}

/** A statement that hangs: a lock held by the harness on the run's row or on a table the job writes. */
async function lockFor(ctx: Ctx, onRun: boolean): Promise<() => Promise<void>> {
  const { world, spec } = ctx;
  const target = onRun ? { db: 'batch' as const, table: 'batch_job_execution' } : WRITE_TARGET[spec.job];
  if (world.dialect === 'sqlite') {
    // SQLite locks the whole file: a write transaction held open.
    const db = new Database(world.names[target.db]);
    db.pragma('busy_timeout = 10000');
    db.exec('BEGIN IMMEDIATE');
    return async () => {
      db.exec('COMMIT');
      db.close();
    };
  }
  const connection: Connection = await ctx.harness.own!.root();
  if (onRun) {
    const current = await currentExecution(ctx.sql, spec.job);
    await connection.query('START TRANSACTION');
    await connection.query(`SELECT id FROM \`${world.names.batch}\`.batch_job_execution WHERE id = ? FOR UPDATE`, [current?.id ?? 0]);
    return async () => {
      await connection.query('ROLLBACK').catch(() => undefined);
      await connection.end().catch(() => undefined);
    };
  }
  await connection.query(`LOCK TABLES \`${world.names[target.db]}\`.\`${target.table}\` WRITE`);
  return async () => {
    await connection.query('UNLOCK TABLES').catch(() => undefined);
    await connection.end().catch(() => undefined);
  };
}

/** Opens connections as the service's account until the server refuses more. */
async function exhaustConnections(ctx: Ctx): Promise<() => Promise<void>> {
  const { createConnection } = await import('mysql2/promise');
  const held: Connection[] = [];
  const url = ctx.world.urls.batch;
  for (let i = 0; i < 400; i++) {
    try {
      held.push(await createConnection(url));
    } catch {
      break;
    }
  }
  return async () => {
    await Promise.all(held.map((c) => c.end().catch(() => c.destroy())));
  };
}

export async function runScenario(spec: ScenarioSpec, harness: Harness, baseline: Baseline | undefined): Promise<ScenarioResult> {
  const began = Date.now();
  const random = new Random(spec.seed);
  const world = await makeWorld(harness.template, String(spec.index), harness.own);
  const sql = world.sql();
  const smtp = await startSmtp();
  const mails: ParsedMail[] = smtp.received;
  const env: Env = {
    DATA_DIR: world.dataDir,
    ...dbEnv(world.urls),
    DEMO_DATA: 'never',
    SCHEDULER_ENABLED: 'false',
    BATCH_TIMEZONE: 'UTC',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    SMTP_URL: smtp.url,
    MAIL_FROM: 'batch@faults.test',
    TECH_ADMIN_EMAILS: 'tech@faults.test',
    ARCHIVE_KEYS: harness.archiveKeys,
    BATCH_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
    BATCH_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
    DB_POOL_SIZE: '4',
    DB_CONNECT_TIMEOUT_MS: '2000',
    TOKEN_CLEANUP_CHUNK_SIZE: '5',
    DUREE_ALERT_CHUNK_SIZE: '5',
  };
  const ctx: Ctx = { spec, random, world, sql, env, harness, proxy: undefined, runner: undefined, serve: undefined, serveKilled: false, helpers: [], faults: 0, launchedAt: undefined, notes: [], violations: [] };
  started.set(ctx, began);
  let plan = '';
  let runMs: number;
  let jobMs: number;
  const seen = new Map<number, string>();
  let polling = true;
  const poll = async () => {
    while (polling) {
      try {
        for (const [id, state] of await endedExecutions(sql, spec.job)) if (!seen.has(id)) seen.set(id, state);
      } catch {
        // the database restarting: next round
      }
      await sleep(100);
    }
  };
  let poller: Promise<void> = Promise.resolve();
  try {
    // Replica B: a service that sweeps for dead runs every three heartbeat intervals.
    const port = await freePort();
    const skew = spec.fault === 'clock-skew' ? drawSkew(random) : undefined;
    ctx.serve = startProc('serve', ['serve'], { ...env, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: '10000' }, { faketime: skew?.target === 'serve' ? skew.offset : undefined });
    const serve = ctx.serve;
    // Not waited for: the run starts alongside it (a CLI start costs seconds on a busy machine).
    const serveUp = (async () => {
      for (let i = 0; i < 300 && serve.alive() && !(await health(port)); i++) await sleep(100);
      if (!serve.alive() && !ctx.serveKilled) ctx.violations.push({ kind: 'crash', detail: `serve did not start: ${lastLines(serve.output())}` });
    })();
    poller = poll();

    // Replica A: the run, through the proxy when the fault sits on the link.
    let runnerEnv = env;
    if (spec.fault.startsWith('proxy-')) {
      ctx.proxy = await startFaultProxy(harness.own!.port);
      runnerEnv = { ...env, ...dbEnv(world.proxiedUrls(ctx.proxy.port)) };
    }
    const runStart = Date.now();
    ctx.runner = startProc('run', ['run', spec.job, ...jobArgs(spec.job), '--json'], runnerEnv, { faketime: skew?.target === 'run' ? skew.offset : undefined });
    const runner = ctx.runner;
    if (skew) {
      ctx.faults++;
      plan = `clock of ${skew.target} at ${skew.offset}`;
    }

    // Replica C: as soon as the run is seen ended unfinished while its process may still
    // be alive, an operator restarts it elsewhere (the takeover a zombie must not disturb).
    let takeover: Proc | undefined;
    let watching = true;
    const watcher = (async () => {
      while (watching && !takeover) {
        try {
          const current = await currentExecution(sql, spec.job);
          if (current && (current.status === 'FAILED' || current.status === 'STOPPED') && runner.alive()) {
            note(ctx, `takeover: restart ${current.id} (${current.status})`);
            takeover = startProc('restart-takeover', ['restart', String(current.id), '--json'], env);
            ctx.helpers.push(takeover);
          }
        } catch {
          // next round
        }
        await sleep(150);
      }
    })();

    const launch = launched(ctx);
    const injected = inject(ctx, baseline?.jobMs ?? 2_000).then((text) => (plan = plan || text));
    const runnerExit = await waitExit(ctx, runner);
    runMs = Date.now() - runStart;
    await launch;
    jobMs = ctx.launchedAt ? Date.now() - ctx.launchedAt : 0;
    note(ctx, `run exited ${runnerExit?.signal ?? runnerExit?.code}`);
    checkExit(ctx, runner, runnerExit, spec.fault === 'kill' || spec.fault === 'kill-then-kill-sweeper');
    await injected;
    watching = false;
    await watcher;
    if (takeover) checkExit(ctx, takeover, await waitExit(ctx, takeover), false);
    ctx.proxy?.set({ kind: 'pass' });

    await serveUp;
    note(ctx, 'recovery');
    // Recovery: restart until the instance completes, as an operator would.
    for (let attempt = 0; attempt < 8; attempt++) {
      const current = await currentExecution(sql, spec.job).catch(() => undefined);
      if (current?.status === 'COMPLETED') break;
      if (!current) {
        // The fault came before the launch was recorded: the job is simply run again.
        const again = startProc(`run-again-${attempt}`, ['run', spec.job, ...jobArgs(spec.job), '--json'], env);
        ctx.helpers.push(again);
        const result = await waitExit(ctx, again);
        note(ctx, `run again exited ${result?.code}`);
        checkExit(ctx, again, result, false);
        continue;
      }
      if (current.status === 'STARTED' || current.status === 'STOPPING') {
        // The sweep (or the next launch) abandons it once its heartbeat is old enough.
        await sleep(HEARTBEAT_TIMEOUT_MS + SWEEP_MS);
      }
      const restart = startProc(`restart-${attempt}`, ['restart', String(current.id), '--json'], env);
      ctx.helpers.push(restart);
      const result = await waitExit(ctx, restart);
      note(ctx, `restart ${current.id} exited ${result?.code}`);
      checkExit(ctx, restart, result, false);
      if (attempt === 7) ctx.violations.push({ kind: 'recovery', detail: `not COMPLETED after 8 restarts: ${lastLines(restart.output())}` });
    }

    note(ctx, 'stopping serve');
    if (ctx.serve.alive()) {
      ctx.serve.signal('SIGTERM');
      const result = await waitExit(ctx, ctx.serve, 30_000);
      // Under faketime the wrapper (the group's leader) dies of the SIGTERM itself; node behind it stops as usual.
      const wrapped = skew?.target === 'serve' && result?.signal === 'SIGTERM';
      if (!ctx.serveKilled && !wrapped && result && result.code !== 0) ctx.violations.push({ kind: 'crash', detail: `serve ended with ${result.signal ?? `exit ${result.code}`} on SIGTERM: ${lastLines(ctx.serve.output())}` });
    } else if (!ctx.serveKilled) {
      const gone = await ctx.serve.exited;
      ctx.violations.push({ kind: 'crash', detail: `serve died during the scenario (${gone.signal ?? `exit ${gone.code}`}): ${lastLines(ctx.serve.output())}` });
    }
    // Mails sent in the background (abandonment notices) have had their chance.
    await sleep(300);
    polling = false;
    await poller;

    note(ctx, 'checking');
    const final = await checkFinalState(sql, spec.job, mails);
    ctx.violations.push(...final.violations);
    const now = await endedExecutions(sql, spec.job);
    for (const [id, first] of seen) {
      const last = now.get(id);
      if (last !== first) ctx.violations.push({ kind: 'ended execution changed', detail: `execution ${id} changed after it was seen ended: ${describeChange(first, last)}` });
    }
    const effects = await sideEffects(world, sql, mails);
    const resent = resentCopies(mails);
    if (resent > 0) note(ctx, `${resent} mail(s) delivered again under the same Message-ID`);
    if (baseline) {
      ctx.violations.push(...compareSideEffects(baseline.effects, baseline.volatile, effects));
      ctx.violations.push(...compareFigures(baseline.figures, baseline.volatileFigures, final.figures));
    }
    const log = [
      ...ctx.notes,
      `run: ${lastLines(runner.output(), 6)}`,
      ...ctx.helpers.map((h) => `${h.name}: ${lastLines(h.output(), 4)}`),
      `serve: ${lastLines(ctx.serve.output(), 6)}`,
    ].join('\n');
    return { spec, plan, faults: ctx.faults, violations: ctx.violations, resent, effects, figures: final.figures, runMs, jobMs, durationMs: Date.now() - began, executions: final.executions, log };
  } finally {
    note(ctx, 'cleaning up');
    polling = false;
    await poller;
    ctx.runner?.signal('SIGCONT');
    for (const p of [ctx.runner, ctx.serve, ...ctx.helpers]) p?.signal('SIGKILL');
    await Promise.all([ctx.runner, ctx.serve, ...ctx.helpers].map((p) => p?.exited));
    await ctx.proxy?.close();
    await Promise.race([smtp.close(), sleep(5_000)]);
    await sql.close();
    if (!harness.keep || ctx.violations.length === 0) await world.cleanup();
  }
}

function drawSkew(random: Random): { target: 'run' | 'serve'; offset: string } {
  const seconds = Math.round(random.between(1.5, 4) * HEARTBEAT_TIMEOUT_MS) / 1000;
  const choice = random.int(0, 2);
  if (choice === 0) return { target: 'run', offset: `-${seconds}s` };
  if (choice === 1) return { target: 'serve', offset: `+${seconds}s` };
  return { target: 'run', offset: `+${seconds}s` };
}

function describeChange(first: string, last: string | undefined): string {
  if (!last) return 'it is gone';
  const a = JSON.parse(first) as { execution: Record<string, unknown>; steps: Record<string, unknown>[] };
  const b = JSON.parse(last) as { execution: Record<string, unknown>; steps: Record<string, unknown>[] };
  const changed = Object.keys(a.execution).filter((k) => JSON.stringify(a.execution[k]) !== JSON.stringify(b.execution[k]));
  const parts = changed.map((k) => `${k}: ${JSON.stringify(a.execution[k])} → ${JSON.stringify(b.execution[k])}`.slice(0, 160));
  if (a.steps.length !== b.steps.length) parts.push(`steps: ${a.steps.length} → ${b.steps.length}`);
  else
    a.steps.forEach((s, i) => {
      const t = b.steps[i]!;
      const keys = Object.keys(s).filter((k) => JSON.stringify(s[k]) !== JSON.stringify(t[k]));
      if (keys.length > 0) parts.push(`step ${String(s.step_name)}: ${keys.map((k) => `${k} ${JSON.stringify(s[k])} → ${JSON.stringify(t[k])}`).join(', ').slice(0, 200)}`);
    });
  return parts.join('; ');
}
