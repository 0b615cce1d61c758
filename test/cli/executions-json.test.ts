/**
 * `batch-service executions <job> --json` prints each execution with its steps and their
 * counts, the same as `run --json` printed for it (it used to print `"steps": []`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/child.js';

interface ExecutionJson {
  readonly id: number;
  readonly dryRun: boolean;
  readonly steps: readonly { readonly name: string; readonly read: number; readonly write: number; readonly wouldWrite: number; readonly filter: number; readonly skip: number }[];
}

describe('batch-service executions --json', () => {
  let dataDir: string;
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints every execution of the page with its steps and counts, as run --json did', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-cli-'));
    const env = { DATA_DIR: dataDir, TECH_ADMIN_EMAILS: 'dsi@univ-exemple.fr' };
    expect((await runCli(['demo-data', '--scale', '0.05', '--seed', '11'], env)).code).toBe(0);
    const runAt = '2026-12-01T22:00:00Z';
    const dry = await runCli(['run', 'dataConsistencyJob', '--dry-run', '--param', `runAt=${runAt}`, '--json'], env);
    const real = await runCli(['run', 'dataConsistencyJob', '--param', `runAt=${runAt}`, '--json'], env);
    expect([dry.code, real.code], dry.stderr + real.stderr).toEqual([0, 0]);
    const ran = [JSON.parse(real.stdout) as ExecutionJson, JSON.parse(dry.stdout) as ExecutionJson];

    const listed = await runCli(['executions', 'dataConsistencyJob', '--json'], env);
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout) as { total: number; items: ExecutionJson[] };
    expect(page.total).toBe(2);
    expect(page.items.map((e) => [e.id, e.dryRun])).toEqual(ran.map((e) => [e.id, e.dryRun]));
    for (const [i, execution] of page.items.entries()) {
      expect(execution.steps).toHaveLength(6);
      expect(execution.steps).toEqual(ran[i]!.steps);
    }
    expect(page.items[0]!.steps.find((s) => s.name === 'verifyUserRolesStep')!.read).toBeGreaterThan(0);
  }, 120_000);
});
