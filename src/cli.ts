#!/usr/bin/env node
/**
 * `batch-service`, the command line (README, Command line). Every command reads the same
 * configuration as the service (environment and `.env`).
 */
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createApp, type App } from './app.js';
import { registerAnomaliesCommand } from './cli/anomalies-command.js';
import { registerArchiveCommand } from './cli/archive-command.js';
import { registerAuditCommand } from './cli/audit-command.js';
import { demoDataSummary, demoProgressDisplay } from './cli/demo-progress.js';
import { registerEventsCommand } from './cli/events-command.js';
import { registerReportCommand } from './cli/report-command.js';
import { executionSummary, table } from './cli/format.js';
import { stepProgressDisplay } from './cli/step-progress.js';
import { executionJson } from './engine/execution-json.js';
import { registerTokenCommand } from './cli/token-command.js';
import { ConfigError, DATABASE_NAMES, loadConfig, loadDotEnv, maskUrl, type Config } from './config.js';
import { checkParameters } from './engine/job-parameters.js';
import type { JobExecution } from './engine/types.js';
import { sqliteFile } from './db/connect.js';
import { checkContract, describeContractGap } from './db/contract-check.js';
import { batchDbExists, closeDatabases, migrate, openDatabases } from './db/databases.js';
import { generateDemoData } from './db/fixtures/demo-data.js';
import { JobNotFoundError } from './engine/errors.js';
import { allSchedules } from './jobs/schedules.js';
import { stopRunsOnSignal } from './lifecycle/interrupt-run.js';
import { createLogger } from './observability/logger.js';
import { withEmbeddedArchiveKey } from './lifecycle/first-start.js';
import { startService } from './service.js';

/** Whether commander printed an error itself (parse errors), or one of ours still has to be. */
let commanderSpoke = false;

const program = new Command('batch-service')
  .description('Batch back office of the doctoral school platform')
  .showHelpAfterError()
  // Commander exits 1 on its own parse errors, the code of a FAILED run; thrown instead,
  // they end below as every other refusal: 2. Subcommands inherit these settings.
  .exitOverride()
  .configureOutput({
    writeErr: (text) => {
      commanderSpoke = true;
      process.stderr.write(text);
    },
  });

const positiveInt = (label: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${label} must be a positive integer`);
  return Number(value);
};
const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const keyValue = (value: string, previous: Record<string, string>) => {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
};

/**
 * Who acts from the command line (10.8): the operating-system account — `os.userInfo()`,
 * not `$USER`, which supervisors and cron often leave unset — from this host.
 */
const cliUser = (() => {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
})();
const cliHost = hostname();

function config() {
  loadDotEnv();
  // The embedded default's archive key, when `serve` has made one (lifecycle/first-start.ts).
  return withEmbeddedArchiveKey(loadConfig(), { create: false }).config;
}

/** A refusal explained in full, one line per problem: printed as it is, exit 2, no stack. */
class Refusal extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join('; '));
  }
}

/** A database as messages name it: a SQLite file by its absolute path, a server URL with its password masked. */
function databaseLocation(url: string): string {
  return url.startsWith('sqlite:') ? path.resolve(sqliteFile(url)) : maskUrl(url);
}

/**
 * Issue 16: which data the command works on, in one line, before it does anything — a
 * command run from the wrong folder or with the wrong `.env` says so at once.
 */
function whereLine(cfg: Config): string {
  if (embeddedDefault(cfg)) return `data directory ${cfg.dataDir} (embedded SQLite)`;
  const databases = DATABASE_NAMES.map((name) => `${name}=${cfg.databases[name].startsWith('sqlite:') ? 'sqlite:' : ''}${databaseLocation(cfg.databases[name])}`);
  return `data directory ${cfg.dataDir}; databases ${databases.join(', ')}`;
}

/** Every database is its SQLite file in the data directory. */
function embeddedDefault(cfg: Config): boolean {
  return DATABASE_NAMES.every((name) => cfg.databases[name] === `sqlite:${embeddedFile(cfg, name)}`);
}

function embeddedFile(cfg: Config, name: (typeof DATABASE_NAMES)[number]): string {
  return path.join(cfg.dataDir, `${name}db.sqlite`);
}

/** The commands that touch no database. */
const WITHOUT_DATABASE: ReadonlySet<string> = new Set(['token']);
/**
 * The commands that create and migrate batchdb when there is none. Every other one
 * reads or acts on what batchdb recorded, so a missing batchdb is a refusal, not a new
 * empty database in whatever folder the command ran from (issue 16).
 */
const CREATING_BATCHDB: ReadonlySet<string> = new Set(['serve', 'migrate', 'demo-data', 'run']);

/** Refuses, naming every sibling database off the contract, before a run meets `no such table` (issue 16). */
async function refuseOffContract(app: App): Promise<void> {
  const gaps = await checkContract(app.databases);
  if (gaps.length > 0) throw new Refusal(gaps.map(describeContractGap));
}

/**
 * Opens the app for one command; logs go to stderr so stdout stays the command's output.
 * With `interruptible`, SIGINT/SIGTERM stop the command's runs at a chunk boundary.
 */
async function withApp<T>(work: (app: App) => Promise<T>, options: { progress?: boolean; interruptible?: boolean } = {}): Promise<T> {
  const cfg = config();
  const logger = createLogger({ level: process.env.LOG_LEVEL ? cfg.logLevel : 'warn', console: 'stderr', logDir: cfg.logDir });
  const progress = options.progress && process.stderr.isTTY ? stepProgressDisplay(process.stderr) : undefined;
  const app = await createApp(cfg, logger, { listeners: progress ? [progress.listener] : [] });
  const release = options.interruptible ? stopRunsOnSignal(app.operator, cfg.operations.shutdownTimeoutMs, logger) : () => undefined;
  try {
    return await work(app);
  } finally {
    progress?.close();
    release();
    await app.close();
  }
}

// Before every command's action: say where it works; refuse a missing batchdb where it would only be created empty.
program.hook('preAction', async (_program, command) => {
  let topLevel = command;
  while (topLevel.parent && topLevel.parent !== program) topLevel = topLevel.parent;
  if (WITHOUT_DATABASE.has(topLevel.name())) return;
  const cfg = config();
  console.error(`batch-service: ${whereLine(cfg)}`);
  if (!CREATING_BATCHDB.has(topLevel.name()) && !(await batchDbExists(cfg))) {
    throw new Refusal([`no batch database at ${databaseLocation(cfg.databases.batch)}; run \`batch-service migrate\` or set BATCH_DB_URL`]);
  }

});

program
  .command('serve')
  .description('HTTP API and scheduler (what npm start runs)')
  .action(async () => {
    await startService(config());
  });

program
  .command('migrate')
  .description("apply batchdb's migrations")
  .action(async () => {
    const databases = openDatabases(config());
    try {
      const applied = await migrate(databases);
      console.log(applied.length === 0 ? 'batchdb is up to date' : `applied: ${applied.join(', ')}`);
    } finally {
      await closeDatabases(databases);
    }
  });

program
  .command('demo-data')
  .description('fill empty sibling databases with deterministic demo data')
  .option('--seed <n>', 'random seed', positiveInt('--seed'), 42)
  .option('--scale <n>', '1 = about 2,000 users, 1,500 inscriptions, 20,000 tokens', positiveNumber, 1)
  .action(async (opts: { seed: number; scale: number }) => {
    const started = Date.now();
    const cfg = config();
    const databases = openDatabases(cfg);
    const progress = process.stderr.isTTY ? demoProgressDisplay(process.stderr) : undefined;
    try {
      await migrate(databases);
      const summary = await generateDemoData(databases, { seed: opts.seed, scale: opts.scale, uploadsDir: cfg.uploadsDir, onProgress: progress?.update });
      progress?.close();
      console.log(demoDataSummary(summary, Date.now() - started));
    } finally {
      progress?.close();
      await closeDatabases(databases);
    }
  });

program
  .command('run <jobName>')
  .description('run a job to its end; exit 0 only when it COMPLETED')
  .option('--param <key=value>', 'identifying job parameter (repeatable), e.g. runAt=2026-11-28T02:00:00Z', keyValue, {})
  .option('--dry-run', 'read and process, change nothing')
  .option('--json', 'print the execution as JSON')
  .action(async (jobName: string, opts: { param: Record<string, string>; dryRun?: boolean; json?: boolean }) => {
    // What needs no database is refused first; the operator checks the parameters again.
    checkParameters(opts.param);
    const cfg = config();
    const jobNames = allSchedules(cfg).map((s) => s.jobName);
    if (!jobNames.includes(jobName)) throw new JobNotFoundError(jobName, jobNames);
    // On the embedded default with none of its five files, a run could only meet empty
    // sibling databases: the wrong folder, most likely. Refused before anything is created.
    if (embeddedDefault(cfg) && DATABASE_NAMES.every((name) => !existsSync(embeddedFile(cfg, name)))) {
      throw new Refusal([`no data in ${cfg.dataDir}; for the embedded default run \`batch-service demo-data\` there first, or set DATA_DIR or the *_DB_URL variables`]);
    }
    await withApp(
      async (app) => {
        await refuseOffContract(app);
        const { execution, done } = await app.operator.start(jobName, {
          parameters: opts.param,
          dryRun: Boolean(opts.dryRun),
          trigger: 'CLI',
          triggeredBy: cliUser,
        });
        await app.audit.append({ action: 'JOB_RUN', actor: cliUser, clientAddress: cliHost, target: `${jobName}#${execution.id}`, details: { parameters: opts.param, dryRun: Boolean(opts.dryRun) } });
        await report(app, await done, Boolean(opts.json));
      },
      { progress: !opts.json, interruptible: true },
    );
  });

program
  .command('restart <executionId>')
  .description('restart a FAILED or STOPPED execution where it stopped')
  .option('--json', 'print the execution as JSON')
  .action(async (id: string, opts: { json?: boolean }) => {
    await withApp(
      async (app) => {
        const restartOf = positiveInt('executionId')(id);
        await refuseOffContract(app);
        const { execution, done } = await app.operator.restart(restartOf, { trigger: 'CLI', triggeredBy: cliUser });
        await app.audit.append({ action: 'JOB_RESTART', actor: cliUser, clientAddress: cliHost, target: `${execution.jobName}#${execution.id}`, details: { restartOf } });
        await report(app, await done, Boolean(opts.json));
      },
      { progress: !opts.json, interruptible: true },
    );
  });

program
  .command('stop <executionId>')
  .description('ask a running execution (in any process) to stop at its next chunk boundary')
  .action(async (id: string) => {
    await withApp(async (app) => {
      const execution = await app.operator.stop(positiveInt('executionId')(id));
      await app.audit.append({ action: 'JOB_STOP', actor: cliUser, clientAddress: cliHost, target: `${execution.jobName}#${execution.id}` });
      console.log(`execution ${execution.id} of ${execution.jobName}: ${execution.status}; it ends STOPPED at its next chunk boundary`);
    });
  });

program
  .command('executions <jobName>')
  .description('executions of a job, newest first')
  .option('--page <n>', 'page, from 0', (v) => positiveInt('--page')(String(Number(v) + 1)) - 1, 0)
  .option('--size <n>', 'page size', positiveInt('--size'), 20)
  .option('--json', 'print JSON')
  .action(async (jobName: string, opts: { page: number; size: number; json?: boolean }) => {
    await withApp(async (app) => {
      app.operator.job(jobName);
      const page = await app.executions.listExecutions(jobName, opts.page, opts.size);
      if (opts.json) {
        const steps = await app.executions.stepsOf(page.items.map((e) => e.id));
        console.log(JSON.stringify({ total: page.total, items: page.items.map((e) => executionJson(e, steps.get(e.id) ?? [])) }, null, 2));
        return;
      }
      const rows = page.items.map((e) => {
        const json = executionJson(e, []);
        return [String(e.id), e.status, e.exitCode, e.trigger, json.startTime ?? '', json.durationMs === null ? '' : `${json.durationMs} ms`, e.dryRun ? 'dry run' : ''];
      });
      console.log(table([['id', 'status', 'exit', 'trigger', 'start', 'duration', ''], ...rows]).join('\n'));
      console.log(`${page.total} execution(s)`);
    });
  });

registerEventsCommand(program, withApp);
registerTokenCommand(program, config);
registerAuditCommand(program, config);
registerArchiveCommand(program, config);
registerAnomaliesCommand(program, config);
registerReportCommand(program, withApp);

async function report(app: App, ended: JobExecution, json: boolean): Promise<void> {
  // Ended without the repository's word (lease lost, batchdb gone): say so, read nothing.
  if (ended.exitCode === 'LEASE_LOST' || ended.exitCode === 'UNRECORDED') {
    console.error(`batch-service: ${ended.jobName} execution ${ended.id} ended here without being recorded: ${ended.exitMessage ?? ended.exitCode}`);
    process.exitCode = 1;
    return;
  }
  const execution = await app.repository.getExecutionOrThrow(ended.id);
  const steps = await app.repository.stepExecutions(ended.id);
  console.log(json ? JSON.stringify(executionJson(execution, steps), null, 2) : executionSummary(execution, steps, app.operator.job(execution.jobName).dryRunWords));
  if (execution.status !== 'COMPLETED') process.exitCode = 1;
}

// The last line, not the mechanism: background promises are handled where they start.
process.on('unhandledRejection', (reason) => console.error('batch-service: unhandled rejection (a bug: please report it):', reason));

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version are answers, not refusals. A parse error commander has printed;
    // an InvalidArgumentError from an action (a bad id) it has not.
    const answer = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
    if (!answer && !commanderSpoke) console.error(`batch-service: ${error.message.replace(/^error: /, '')}`);
    process.exitCode = answer ? 0 : 2;
    return;
  }
  if (error instanceof Refusal) {
    for (const line of error.lines) console.error(`batch-service: ${line}`);
  } else if (error instanceof ConfigError) {
    console.error(`batch-service: ${error.message}`);
  } else {
    console.error(`batch-service: ${error instanceof Error ? error.message : String(error)}`);
  }
  // A stack trace is for who asked for one (issue 16).
  if (['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '')) console.error(error);
  process.exitCode = 2;
});
