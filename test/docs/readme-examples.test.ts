/**
 * The README's shell examples run, as a new user types them (issue 16, item 8).
 *
 * The blocks marked ```sh example (test/support/shell-examples.ts: the marker, and the
 * `# exit N: why` convention for a line that must not exit 0) are taken in README order
 * and run in that order, one bash session per block, with a fresh temporary folder as
 * working directory and a fresh temporary DATA_DIR on the embedded default: SQLite, no
 * MariaDB URL, no JWT_* variable (the token command and the service then share the
 * generated DATA_DIR/jwt-secret), and none of the service's variables from the
 * environment of whoever runs the tests. `batch-service` is a shim running the built
 * `dist/cli.js` (npm test's pretest builds it). In the sessions `curl` adds
 * `--fail-with-body`: a non-2xx answer fails its line (exit 22), body still printed; the
 * README shows plain curl, which is what a person types and reads the answer of.
 *
 * The service: a block that talks to `localhost:8085` needs it. Before the first such
 * block the runner starts `batch-service serve` on the same data directory and waits for
 * /actuator/health. It listens on a port the system picks (PORT=0: nothing on 8085, a
 * parallel test or a developer's own service, can collide with it), and the runner
 * rewrites `localhost:8085` in the commands to that port. Its scheduler is off: a
 * schedule's misfire at start-up (tokenCleanupJob between 02:00 and 03:00, say) would
 * make the examples' own launch of that job a 409 at some hours of the day. After the
 * last block it gets SIGTERM and must exit 0.
 *
 * Then: the examples left nothing in their working directory but the report they
 * download, and the log files hold what the README's Logs paragraph says (the commands:
 * warnings and errors only by default; the service: its info lines; never the link).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';
import { blockScript, markedExamples, shellQuoted, type ExampleBlock } from '../support/shell-examples.js';

/** The address the README's API examples use; rewritten to the test service's port. */
const README_ADDRESS = 'localhost:8085';
/** The one file the examples write to their working directory (`curl -OJ`, named by the service). */
const DOWNLOADED_REPORT = 'rapport_2026_10.pdf';
/** A generous bound for a whole block (a dozen commands of about 2 s each), not a timing claim. */
const BLOCK_TIMEOUT_MS = 180_000;
const SERVICE_START_TIMEOUT_MS = 60_000;

const BLOCKS = markedExamples(readFileSync(path.join(ROOT, 'README.md'), 'utf8'), 'README.md');
const needsService = (block: ExampleBlock) => block.commands.some((command) => command.text.includes(README_ADDRESS));

interface Service {
  readonly process: ChildProcess;
  readonly port: number;
  /** stdout and stderr so far. */
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

describe("the README's shell examples (Command line, API)", () => {
  /** Holds `work` (the examples' working directory), `data` (DATA_DIR) and `bin` (the shim). */
  let root: string | undefined;
  let work: string;
  let logDir: string;
  let bin: string;
  let env: NodeJS.ProcessEnv;
  let service: Service | undefined;
  /** The app-*.log lines written before the service started: the commands' own. */
  let commandLogLines: Record<string, unknown>[] | undefined;
  const children = new Set<ChildProcess>();

  beforeAll(() => {
    const cli = path.join(ROOT, 'dist/cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test's pretest does)`);
    root = mkdtempSync(path.join(tmpdir(), 'batch-readme-'));
    work = path.join(root, 'work');
    bin = path.join(root, 'bin');
    const dataDir = path.join(root, 'data');
    logDir = path.join(dataDir, 'logs');
    env = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, HOME: root, DATA_DIR: dataDir };
    mkdirSync(work);
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'batch-service'), `#!/bin/sh\nexec ${shellQuoted(process.execPath)} ${shellQuoted(cli)} "$@"\n`);
    chmodSync(path.join(bin, 'batch-service'), 0o755);
  });

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  /** Starts a child and collects its output (stderr merged into `output`), forgetting it once it has exited. */
  function launch(file: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const child = spawn(file, args, { cwd: work, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const seen = { output: '', stdout: '', exitCode: undefined as number | null | undefined };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      seen.output += chunk;
      seen.stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      seen.output += chunk;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        children.delete(child);
        seen.exitCode = code;
        resolve(code);
      }),
    );
    return { child, seen, exited };
  }

  async function startService(): Promise<Service> {
    const { child, seen, exited } = launch(path.join(bin, 'batch-service'), ['serve'], { PORT: '0', SCHEDULER_ENABLED: 'false' });
    const deadline = Date.now() + SERVICE_START_TIMEOUT_MS;
    const stillStarting = (what: string) => {
      if (seen.exitCode !== undefined || Date.now() > deadline) throw new Error(`batch-service serve ${what}:\n${seen.output}`);
    };
    // Its port, from the JSON line announcing it (stdout is not a terminal: JSON lines).
    let port: number | undefined;
    while (port === undefined) {
      stillStarting('never said which port it listens on');
      port = seen.stdout
        .split('\n')
        .slice(0, -1) // the last one may be a line still coming
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; port?: number })
        .find((entry) => typeof entry.port === 'number' && /listening on port/.test(entry.msg ?? ''))?.port;
      if (port === undefined) await sleep(50);
    }
    while (!(await fetch(`http://127.0.0.1:${port}/actuator/health`).then((r) => r.ok, () => false))) {
      stillStarting('never answered /actuator/health with 200');
      await sleep(100);
    }
    return { process: child, port, output: () => seen.output, exited };
  }

  function appLogLines(): Record<string, unknown>[] {
    if (!existsSync(logDir)) return [];
    return readdirSync(logDir)
      .filter((name) => /^app-\d{4}-\d{2}-\d{2}\.log$/.test(name))
      .sort()
      .flatMap((name) => readFileSync(path.join(logDir, name), 'utf8').split('\n'))
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('finds the marked blocks of Command line and API (a vanished marker fails here)', () => {
    expect(BLOCKS.map((block) => block.section)).toEqual(expect.arrayContaining(['Command line', 'API']));
    for (const block of BLOCKS) expect(block.commands.length, `${block.where} holds no command`).toBeGreaterThan(0);
    expect(BLOCKS.some(needsService), `no marked block talks to ${README_ADDRESS}`).toBe(true);
  });

  for (const [index, block] of BLOCKS.entries()) {
    it(
      `${block.where} (${block.section}): ${block.commands.length} commands in order, each with its exit code`,
      async () => {
        if (needsService(block) && service === undefined) {
          commandLogLines = appLogLines();
          service = await startService();
        }
        const port = service?.port;
        const results = path.join(root!, `block-${index}.results`);
        const script = path.join(root!, `block-${index}.sh`);
        writeFileSync(script, blockScript(block, results, (command) => (port === undefined ? command : command.replaceAll(README_ADDRESS, `localhost:${port}`))));
        const { seen, exited } = launch('bash', [script]);
        await exited;

        const recorded = existsSync(results) ? readFileSync(results, 'utf8').split('\n').filter(Boolean) : [];
        const exits = new Map(recorded.map((line) => line.split(' ').map(Number) as [number, number]));
        const first = block.commands.findIndex((command, i) => exits.get(i) !== command.expectedExit);
        if (first === -1) return;
        const wrong = block.commands[first]!;
        const verdict = exits.has(first)
          ? `${wrong.where} exited ${exits.get(first)}, expected ${wrong.expectedExit}: ${wrong.text}`
          : `${wrong.where} never ran: ${wrong.text}`;
        const serviceOutput = service === undefined ? '' : `\n--- the service's output, its end ---\n${service.output().slice(-4_000)}`;
        assert.fail(`${verdict}\n--- transcript ---\n${seen.output}${serviceOutput}`);
      },
      BLOCK_TIMEOUT_MS,
    );
  }

  it('the service the API examples used stops on SIGTERM, exit 0', async () => {
    assert(service !== undefined, 'no marked block started the service');
    service.process.kill('SIGTERM');
    expect(await service.exited, service.output().slice(-4_000)).toBe(0);
  });

  it('the examples leave nothing in their working directory but the report they download', () => {
    expect(readdirSync(work)).toEqual([DOWNLOADED_REPORT]);
    expect(readFileSync(path.join(work, DOWNLOADED_REPORT)).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it("the log files hold what the README's Logs says: the commands' warnings and errors only, the service's info lines, never the link", () => {
    assert(commandLogLines !== undefined, 'the service never started');
    // pino levels: 30 info, 40 warn.
    for (const line of commandLogLines) expect(line.level as number, JSON.stringify(line)).toBeGreaterThanOrEqual(40);
    expect(appLogLines().some((line) => line.level === 30 && /listening on port/.test(String(line.msg)))).toBe(true);
    for (const name of readdirSync(logDir)) expect(readFileSync(path.join(logDir, name), 'utf8'), name).not.toContain('#token=');
  });
});
