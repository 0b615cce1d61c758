/**
 * The bound on a SQLite statement that computes for too long.
 *
 * better-sqlite3 runs a statement synchronously on the event loop and binds neither
 * `sqlite3_interrupt` nor a progress handler (its issue #568), so no timer of this
 * thread can run, let alone stop the statement, until it returns. The busy timeout bounds
 * a wait for another process's write lock; nothing bounds a statement that computes.
 *
 * A watchdog thread can still see it: the main thread marks each statement's start and
 * end in shared memory (two atomic increments), and the watchdog, on a timer of its own,
 * finds a statement still running past its limit. It cannot stop the statement either, so
 * it ends the process (SIGKILL, after one line on stderr naming the database and the
 * statement): the blocked process answers no health check and sends no heartbeat, and a
 * supervisor restarts it; its runs are abandoned when their lease expires and restart
 * from their last checkpoint, as after any crash.
 *
 * The limit is twice DB_STATEMENT_TIMEOUT_MS, at least 5 s: past a busy timeout's whole
 * wait, and, with the defaults (the statement timeout is at most a third of the lease),
 * before the lease expires, so no other process takes a run over while this one lives.
 * The 5 s floor keeps a short test setting from ending a process that is merely slow.
 */
import { Worker } from 'node:worker_threads';

const TEXT_BYTES = 1024;
/** Int32 slots: [0] the statement sequence (odd while one runs), [1] its limit in ms. */
const HEADER_BYTES = 16;
const MIN_LIMIT_MS = 5_000;
const TICK_MS = 250;

export function watchdogLimitMs(statementTimeoutMs: number): number {
  return Math.max(2 * statementTimeoutMs, MIN_LIMIT_MS);
}

export interface StatementWatch {
  /** Called before a statement runs; `end` must follow, whatever the statement does. */
  begin(database: string, sql: string, limitMs: number): void;
  end(): void;
}

// CommonJS, evaluated in the worker: a file of its own would need a path that differs
// between the sources (tests) and the build.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const state = new Int32Array(workerData.buffer, 0, 2);
const text = new Uint8Array(workerData.buffer, ${HEADER_BYTES});
let seen = 0;
let since = 0;
setInterval(() => {
  const sequence = Atomics.load(state, 0);
  if (sequence % 2 === 0) { seen = sequence; return; }
  const now = performance.now();
  if (sequence !== seen) { seen = sequence; since = now; return; }
  const limitMs = Atomics.load(state, 1);
  if (now - since < limitMs) return;
  const end = text.indexOf(0);
  const [database, sql] = new TextDecoder().decode(text.subarray(0, end < 0 ? text.length : end)).split('\\n');
  const msg = database + ': a SQLite statement has run for more than ' + limitMs + ' ms (twice DB_STATEMENT_TIMEOUT_MS, at least 5 s);'
    + ' better-sqlite3 cannot interrupt it, so the process ends now (SIGKILL); its runs restart from their last checkpoint once their lease expires: ' + sql;
  writeSync(2, JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, service: 'batch-service', database, sql, msg }) + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, ${TICK_MS});
`;

let shared: StatementWatch | undefined;

/** The process's one watchdog, started at the first SQLite database opened. */
export function sqliteWatchdog(): StatementWatch {
  shared ??= startWatchdog();
  return shared;
}

function startWatchdog(): StatementWatch {
  const buffer = new SharedArrayBuffer(HEADER_BYTES + TEXT_BYTES);
  const state = new Int32Array(buffer, 0, 2);
  const text = new Uint8Array(buffer, HEADER_BYTES);
  const encoder = new TextEncoder();
  // No inherited flags: under `--input-type=module` the eval'd source would be read as an
  // ES module, where `require` does not exist.
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, execArgv: [], workerData: { buffer } });
  // A watchdog that cannot run must not take the service down with it (an 'error' event
  // with no listener would): the statements run unwatched, as they did before it, and stderr says so.
  worker.on('error', (error) => process.stderr.write(`batch-service: the SQLite watchdog stopped (${error.message}); long statements are no longer bounded\n`));
  // It must not keep a finished command alive, nor its end be waited for.
  worker.unref();
  let written = '';
  return {
    begin(database, sql, limitMs) {
      // One statement at a time runs on this thread (the binding is synchronous), so one
      // slot is enough; the text is copied only when it changes.
      const label = `${database}\n${sql.slice(0, 400)}`;
      if (label !== written) {
        const { written: length } = encoder.encodeInto(label, text.subarray(0, TEXT_BYTES - 1));
        text[length] = 0;
        written = label;
      }
      Atomics.store(state, 1, limitMs);
      Atomics.add(state, 0, 1);
    },
    end() {
      Atomics.add(state, 0, 1);
    },
  };
}
