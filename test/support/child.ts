/** Runs a TypeScript fixture or the built CLI as a separate process, as another replica would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Env } from '../../src/config.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningChild {
  readonly process: ChildProcess;
  /** Resolves with the first stdout line matching the pattern. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The same on stderr (where the logs go). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<ChildResult>;
}

function childEnv(env: Env): NodeJS.ProcessEnv {
  // Only what the test chose: the CI's own *_DB_URL variables must not leak in.
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env } as NodeJS.ProcessEnv;
}

export interface ChildOptions {
  readonly tsx?: boolean;
  readonly cwd?: string;
  /** Run as this user (and group): file permissions do not bind root, the tests' user. */
  readonly uid?: number;
}

export function startChild(args: readonly string[], env: Env, options: ChildOptions = {}): RunningChild {
  const nodeArgs = options.tsx ? ['--import', 'tsx', ...args] : [...args];
  const user = options.uid === undefined ? {} : { uid: options.uid, gid: options.uid };
  const child = spawn(process.execPath, nodeArgs, { cwd: options.cwd ?? ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'], ...user });
  const output = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (chunk: string) => {
      output[stream] += chunk;
      for (const waiter of waiters.filter((w) => w.stream === stream)) {
        const match = output[stream].match(waiter.pattern);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    });
  }
  const exited = new Promise<ChildResult>((resolve) => child.on('close', (code) => resolve({ code, ...output })));
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 30_000) => {
    const found = output[stream].match(pattern);
    if (found) return Promise.resolve(found);
    return new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${stream} line ${pattern} within ${timeoutMs} ms; stdout: ${output.stdout}; stderr: ${output.stderr}`)), timeoutMs);
      waiters.push({ stream, pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      void exited.then(() => reject(new Error(`process exited before ${pattern}; stdout: ${output.stdout}; stderr: ${output.stderr}`)));
    });
  };
  return {
    process: child,
    exited,
    waitForLine: (pattern, timeoutMs) => waitFor('stdout', pattern, timeoutMs),
    waitForStderr: (pattern, timeoutMs) => waitFor('stderr', pattern, timeoutMs),
  };
}

export function runChild(args: readonly string[], env: Env, options: ChildOptions = {}): Promise<ChildResult> {
  return startChild(args, env, options).exited;
}

/** The built command line, as `batch-service …`. */
export function runCli(args: readonly string[], env: Env, cwd?: string): Promise<ChildResult> {
  return runChild([path.join(ROOT, 'dist/cli.js'), ...args], env, { cwd });
}
