/**
 * A SQLite statement that computes without end cannot be interrupted (better-sqlite3 binds
 * no sqlite3_interrupt); the watchdog thread ends its process instead, after one line on
 * stderr naming the database and the statement. A real process, a real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchdogLimitMs } from '../../src/db/sqlite-watchdog.js';
import { startChild, type RunningChild } from '../support/child.js';

describe('the SQLite watchdog', () => {
  let dir: string | undefined;
  let child: RunningChild | undefined;

  afterEach(() => {
    child?.process.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    child = dir = undefined;
  });

  it('ends a process whose statement runs past its limit, and says which', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'batch-watchdog-'));
    const running = startChild(['test/fixtures/sqlite-hang-child.ts', path.join(dir, 'user.sqlite')], {}, { tsx: true });
    child = running;
    // Statements that end are left alone.
    await running.waitForLine(/^done 1000$/m);
    await running.waitForLine(/^hanging$/m);
    const hangingSince = Date.now();
    // Without the watchdog the statement never returns: give up well past the limit.
    const giveUp = setTimeout(() => running.process.kill('SIGTERM'), 30_000);
    const result = await running.exited;
    clearTimeout(giveUp);
    expect(running.process.signalCode).toBe('SIGKILL');
    expect(Date.now() - hangingSince).toBeGreaterThanOrEqual(watchdogLimitMs(100));
    expect(result.stdout).not.toContain('returned');
    const line = JSON.parse(result.stderr.trim().split('\n').at(-1)!) as { level: number; database: string; sql: string; msg: string };
    expect(line).toMatchObject({ level: 60, database: 'userdb' });
    expect(line.sql).toContain('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*)');
    expect(line.msg).toContain('DB_STATEMENT_TIMEOUT_MS');
  }, 60_000);

  it('sets the limit at twice the statement timeout, never under 5 s', () => {
    expect(watchdogLimitMs(100)).toBe(5_000);
    expect(watchdogLimitMs(15_000)).toBe(30_000);
  });
});
