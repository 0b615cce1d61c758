/**
 * Exit codes (README, Command line): 0 completed or an answer (help), 1 only a run that
 * ended FAILED or STOPPED, 2 every refusal — the argument parser's own included (an
 * unknown option, a missing argument, a value outside the accepted ones).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/child.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'batch-exit-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const REFUSED: readonly (readonly string[])[] = [
  ['nope'],
  ['run'],
  ['run', 'tokenCleanupJob', '--param', 'foo'],
  ['run', 'tokenCleanupJob', '--bogus'],
  ['executions'],
  ['restart', 'abc'],
  ['stop', '-1'],
  ['events', '--status', 'bogus'],
  ['anomalies', '--status', 'bogus'],
  ['archive', 'list', '--type', 'bogus'],
  ['archive', 'restore', 'inscription'],
  ['token'],
  ['demo-data', '--scale', 'zero'],
];

describe('batch-service exit codes', () => {
  it.each(REFUSED)('refused: %s … exits 2 with a message', async (...args) => {
    const result = await runCli(args, { DATA_DIR: dataDir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim().length).toBeGreaterThan(0);
  });

  it('a bad setting stops the command before it starts: exit 2 naming the variable', async () => {
    const result = await runCli(['migrate'], { DATA_DIR: dataDir, BATCH_RETENTION_DAYS: '7' });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('BATCH_RETENTION_DAYS="7": expected an integer between 30 and 36500');
  });

  it.each([[['--help']], [['run', '--help']], [['archive', '--help']]])('%s is an answer: exit 0', async (args) => {
    const result = await runCli(args, { DATA_DIR: dataDir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Usage: batch-service/);
  });
});
