/**
 * The fault harness (issue 23): real `run`, `restart` and `serve` processes of the built
 * CLI against real SQLite files and a MariaDB server of its own, faults injected at random
 * points, invariants checked after each scenario. Seeded: the same `--seed` draws the
 * same scenarios, and each violation prints the command that replays its scenario alone.
 *
 *   npm run faults -- --scenarios 500 --seed 1
 *   npm run faults -- --seed 1 --from 37 --scenarios 1      # replays scenario 37
 *
 * Exit code 1 when any invariant was violated. See bench/README.md, "Fault harness".
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { archiveKeys, makeTemplate, type Template } from './world.js';
import { startOwnMariadb, type OwnMariadb } from './mariadb.js';
import { Random, scenarioSeed } from './random.js';
import { FAULTS, JOBS, MARIADB_ONLY, runScenario, type Baseline, type Fault, type JobName, type ScenarioResult, type ScenarioSpec } from './scenario.js';
import { volatileColumns, volatileFigures } from './invariants.js';

interface Options {
  seed: number;
  scenarios: number;
  from: number;
  dialects: ('sqlite' | 'mysql')[];
  faults: Fault[];
  jobs: JobName[];
  scale: number;
  keep: boolean;
  out: string | undefined;
  verbose: boolean;
}

function parse(argv: readonly string[]): Options {
  const hasMariadb = spawnSync('sh', ['-c', 'command -v mariadbd && command -v mariadb-install-db'], { encoding: 'utf8' }).status === 0;
  const options: Options = {
    seed: Math.floor(Math.random() * 1_000_000),
    scenarios: 20,
    from: 0,
    dialects: hasMariadb ? ['sqlite', 'mysql'] : ['sqlite'],
    faults: FAULTS.filter((f) => f !== 'none'),
    jobs: [...JOBS],
    scale: 0.1,
    keep: false,
    out: undefined,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const list = <T extends string>(allowed: readonly T[]) =>
      value()
        .split(',')
        .map((v) => {
          if (!allowed.includes(v as T)) throw new Error(`${arg}: ${v} is not one of ${allowed.join(', ')}`);
          return v as T;
        });
    if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--scenarios') options.scenarios = Number(value());
    else if (arg === '--from') options.from = Number(value());
    else if (arg === '--dialects') options.dialects = list(['sqlite', 'mysql'] as const);
    else if (arg === '--faults') options.faults = list(FAULTS);
    else if (arg === '--jobs') options.jobs = list(JOBS);
    else if (arg === '--scale') options.scale = Number(value());
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--out') options.out = value();
    else if (arg === '--verbose') options.verbose = true;
    else throw new Error(`unknown option ${arg} (--seed --scenarios --from --dialects --faults --jobs --scale --keep --out --verbose)`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new Error('--seed: a non-negative integer');
  if (!Number.isSafeInteger(options.scenarios) || options.scenarios < 1) throw new Error('--scenarios: a positive integer');
  return options;
}

/** Scenario `index` of the run: dialect, job and fault drawn from its own seed. */
export function drawScenario(options: Options, index: number): ScenarioSpec {
  const seed = scenarioSeed(options.seed, index);
  const random = new Random(seed);
  const dialect = random.pick(options.dialects);
  const job = random.pick(options.jobs);
  const faults = options.faults.filter((f) => dialect === 'mysql' || !MARIADB_ONLY.has(f));
  const fault = faults.length > 0 ? random.pick(faults) : 'none';
  // The scenario's own generator starts after these draws, from the same seed.
  return { index, seed: (seed ^ 0x5bd1e995) >>> 0, dialect, job, fault };
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  const command = `npm run faults -- --seed ${options.seed} --scenarios ${options.scenarios}${options.from ? ` --from ${options.from}` : ''}`;
  console.log(`fault harness: seed ${options.seed}, scenarios ${options.from}..${options.from + options.scenarios - 1}, dialects ${options.dialects.join(',')}, scale ${options.scale}`);
  console.log(`replay the whole run: ${command}${options.faults.length < FAULTS.length - 1 ? ` --faults ${options.faults.join(',')}` : ''}${options.jobs.length < JOBS.length ? ` --jobs ${options.jobs.join(',')}` : ''}`);
  const specs = Array.from({ length: options.scenarios }, (_, i) => drawScenario(options, options.from + i));
  const needed = new Set(specs.map((s) => s.dialect));

  let own: OwnMariadb | undefined;
  const templates = new Map<string, Template>();
  const baselines = new Map<string, Baseline>();
  const noBaseline = new Map<string, string>();
  const keys = archiveKeys();
  const results: ScenarioResult[] = [];
  let harnessError: unknown;
  const skipped: ScenarioSpec[] = [];
  try {
    if (needed.has('mysql')) {
      own = await startOwnMariadb();
      console.log(`own MariaDB on 127.0.0.1:${own.port} (restarted by the db-restart fault; not the suite's server)`);
    }
    for (const dialect of needed) {
      const t0 = Date.now();
      templates.set(dialect, await makeTemplate(dialect, options.seed, options.scale, own));
      console.log(`${dialect}: demo data (seed ${options.seed}, scale ${options.scale}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    let recent: string[] = [];
    const trace = (line: string) => {
      recent.push(line);
      if (options.verbose) console.log(`      … ${line}`);
    };
    const harnessFor = (dialect: string) => ({ template: templates.get(dialect)!, own, archiveKeys: keys, keep: options.keep, trace });
    /** A scenario past this is the harness's own bug: say where it stood and stop. */
    const bounded = async (spec: ScenarioSpec, baseline: Baseline | undefined) => {
      recent = [];
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`scenario #${spec.index} (${spec.dialect} ${spec.job} ${spec.fault}) still running after 6 minutes; its last steps:\n${recent.join('\n')}`)), 360_000);
      });
      try {
        return await Promise.race([runScenario(spec, harnessFor(spec.dialect), baseline), limit]);
      } finally {
        clearTimeout(timer);
      }
    };

    const baselineOf = async (dialect: 'sqlite' | 'mysql', job: JobName): Promise<Baseline> => {
      const key = `${dialect}/${job}`;
      const known = baselines.get(key);
      if (known) return known;
      // Two unfaulted runs: what they disagree on (times of day, random ids) is not compared.
      const runs: ScenarioResult[] = [];
      for (const n of [0, 1]) {
        const spec: ScenarioSpec = { index: 900_000 + baselines.size * 2 + n, seed: 1, dialect, job, fault: 'none' };
        const result = await bounded(spec, undefined);
        if (result.violations.length > 0 || !result.figures) {
          // Nothing to compare with: this job's scenarios are skipped, and said so.
          const why = `the unfaulted run of ${key} breaks the invariants itself:\n${result.violations.map((v) => `  ${v.kind}: ${v.detail}`).join('\n')}\n${result.log}`;
          noBaseline.set(key, why);
          throw new Error(why);
        }
        runs.push(result);
      }
      const [a, b] = runs as [ScenarioResult, ScenarioResult];
      const baseline: Baseline = {
        effects: a.effects,
        volatile: volatileColumns(a.effects, b.effects),
        figures: a.figures!,
        volatileFigures: volatileFigures(a.figures!, b.figures!),
        jobMs: Math.max(a.jobMs, b.jobMs),
      };
      baselines.set(key, baseline);
      const unstable = [...baseline.volatile].filter(([, c]) => c.size > 0).map(([t, c]) => `${t}(${[...c].join(',')})`);
      console.log(`baseline ${key}: job ${(baseline.jobMs / 1000).toFixed(1)} s after its launch; not compared (differ between two unfaulted runs): ${unstable.join(' ') || 'nothing'}`);
      return baseline;
    };

    for (const spec of specs) {
      if (stopAsked) break;
      const key = `${spec.dialect}/${spec.job}`;
      if (noBaseline.has(key)) {
        skipped.push(spec);
        continue;
      }
      let baseline: Baseline;
      try {
        baseline = await baselineOf(spec.dialect, spec.job);
      } catch (error) {
        if (!noBaseline.has(key)) throw error;
        console.log(`NO BASELINE for ${key}: its scenarios are skipped. ${noBaseline.get(key)!.replace(/\n/g, '\n    ')}`);
        skipped.push(spec);
        continue;
      }
      const result = await bounded(spec, baseline);
      results.push(result);
      const mark = result.violations.length === 0 ? 'ok' : `${result.violations.length} VIOLATION(S)`;
      console.log(`#${spec.index} ${spec.dialect} ${spec.job} ${spec.fault}: ${result.plan}${spec.fault !== 'none' && result.faults === 0 ? ' (missed: the run had ended)' : ''}; ${result.executions} execution(s), ${(result.durationMs / 1000).toFixed(1)} s — ${mark}`);
      for (const v of result.violations) console.log(`    ${v.kind}: ${v.detail}`);
      if (result.violations.length > 0) {
        console.log(`    replay: npm run faults -- --seed ${options.seed} --from ${spec.index} --scenarios 1${options.faults.length < FAULTS.length - 1 ? ` --faults ${options.faults.join(',')}` : ''}${options.jobs.length < JOBS.length ? ` --jobs ${options.jobs.join(',')}` : ''}${options.dialects.length < 2 ? ` --dialects ${options.dialects.join(',')}` : ''}`);
      }
      if (options.verbose || result.violations.length > 0) console.log(result.log.replace(/^/gm, '      '));
    }
  } catch (error) {
    harnessError = error;
  } finally {
    await own?.stop();
    const { rmSync } = await import('node:fs');
    for (const t of templates.values()) rmSync(t.dir, { recursive: true, force: true });
  }

  printTable(results);
  if (options.out) {
    writeFileSync(options.out, JSON.stringify(results.map((r) => ({ ...r.spec, plan: r.plan, faults: r.faults, resent: r.resent, violations: r.violations, durationMs: r.durationMs })), null, 2));
  }
  if (skipped.length > 0) console.log(`${skipped.length} scenarios SKIPPED (no unfaulted run to compare with): ${[...new Set(skipped.map((s) => `${s.dialect}/${s.job}`))].join(', ')}`);
  if (harnessError) throw harnessError;
  const violated = results.filter((r) => r.violations.length > 0);
  console.log(`seed ${options.seed}: ${results.length} scenarios, ${violated.length} with violations`);
  return violated.length > 0 || skipped.length > 0 ? 1 : 0;
}

function printTable(results: readonly ScenarioResult[]): void {
  const rows = new Map<string, { runs: number; faults: number; resent: number; violations: number; scenarios: number }>();
  for (const r of results) {
    const key = `${r.spec.fault} (${r.spec.dialect})`;
    const row = rows.get(key) ?? { runs: 0, faults: 0, resent: 0, violations: 0, scenarios: 0 };
    row.runs++;
    row.faults += r.faults;
    row.resent += r.resent;
    row.violations += r.violations.length;
    if (r.violations.length > 0) row.scenarios++;
    rows.set(key, row);
  }
  const lines = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const total = lines.reduce(
    (t, [, r]) => ({ runs: t.runs + r.runs, faults: t.faults + r.faults, resent: t.resent + r.resent, violations: t.violations + r.violations, scenarios: t.scenarios + r.scenarios }),
    { runs: 0, faults: 0, resent: 0, violations: 0, scenarios: 0 },
  );
  console.log('');
  console.log('| scenario | runs | faults | mails resent, same Message-ID | invariant violations (scenarios) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [key, r] of lines) console.log(`| ${key} | ${r.runs} | ${r.faults} | ${r.resent} | ${r.violations} (${r.scenarios}) |`);
  console.log(`| total | ${total.runs} | ${total.faults} | ${total.resent} | ${total.violations} (${total.scenarios}) |`);
  const kinds = new Map<string, number>();
  for (const r of results) for (const v of r.violations) kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
  if (kinds.size > 0) console.log(`violations by invariant: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
}

/** A first SIGINT or SIGTERM ends the run after the current scenario, with its table; a second at once. */
let stopAsked = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopAsked) process.exit(130);
    stopAsked = true;
    console.log(`${signal}: stopping after the current scenario (again to stop at once)`);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(2);
  },
);
