import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';
import { createItems, itemsJob, itemsStep, operatorFor, processedIds } from './harness.js';

const transient = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe.each(dialects)('fault tolerance (%s)', (dialect) => {
  test.override({ dialect });

  test('skips bad items up to the limit and records each with its reason', async ({ env }) => {
    const db = await createItems(env.databases, 30);
    const bad = new Set([4, 17, 25]);
    const process = (id: number) => {
      if (bad.has(id)) throw new Error(`item ${id} is malformed`);
      return id;
    };
    const operator = operatorFor(env.databases, [
      itemsJob(db, [itemsStep(db, 's', 10, { process }, { skip: { limit: 3 } })], 'lenient'),
      itemsJob(db, [itemsStep(db, 's', 10, { process }, { skip: { limit: 2 } })], 'strict'),
    ]);

    const lenient = await (await operator.start('lenient', { trigger: 'CLI' })).done;
    expect(lenient.status).toBe('COMPLETED');
    const [step] = await operator.repository.stepExecutions(lenient.id);
    expect(step?.counts).toMatchObject({ read: 30, write: 27, processSkip: 3 });
    const skips = await operator.repository.skips(lenient.id);
    expect(skips.map((s) => [s.phase, s.item, s.reason])).toEqual([
      ['PROCESS', '4', 'item 4 is malformed'],
      ['PROCESS', '17', 'item 17 is malformed'],
      ['PROCESS', '25', 'item 25 is malformed'],
    ]);
    expect(await processedIds(db)).toHaveLength(27);

    const strict = await (await operator.start('strict', { trigger: 'CLI' })).done;
    expect(strict.status).toBe('FAILED');
    expect(strict.exitMessage).toContain('more than 2 items skipped');
  });

  test('finds the bad item of a failing chunk write by scanning it and skips only that one', async ({ env }) => {
    const db = await createItems(env.databases, 20);
    const step = itemsStep(db, 's', 10, {
      beforeWrite: (_call, ids) => {
        if (ids.includes(13)) throw new Error('constraint violated by 13');
      },
    }, { skip: { limit: 1 } });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])]);
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(await processedIds(db)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1).filter((id) => id !== 13));
    const [step1] = await operator.repository.stepExecutions(done.id);
    expect(step1?.counts).toMatchObject({ write: 19, writeSkip: 1, rollback: 1 });
  });

  test('a write error the policy does not call an item\'s fails the chunk without a scan', async ({ env }) => {
    const db = await createItems(env.databases, 20);
    const calls: number[][] = [];
    const step = itemsStep(db, 's', 10, {
      beforeWrite: (_call, ids) => {
        calls.push([...ids]);
        if (ids.includes(13)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    }, { skip: { limit: 5, skippable: (error) => !(error as { code?: string }).code } });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])]);
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('FAILED');
    expect(done.exitMessage).toMatch(/ENOSPC/);
    // The first chunk, then the second once: no item-by-item retry of it.
    expect(calls.map((c) => c.length)).toEqual([10, 10]);
    expect(await processedIds(db)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await operator.repository.skips(done.id)).toEqual([]);
  });

  test('retries transient errors with growing, jittered waits, then succeeds', async ({ env }) => {
    const db = await createItems(env.databases, 10);
    let failures = 3;
    const waits: number[] = [];
    const step = itemsStep(db, 's', 10, {
      beforeWrite: () => {
        if (failures-- > 0) throw transient();
      },
    }, { retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 10_000 } });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])], {
      retryHooks: { sleep: async (ms) => void waits.push(ms) },
    });
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(waits).toHaveLength(3);
    waits.forEach((wait, i) => {
      const ceiling = 100 * 2 ** i;
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
      expect(wait).toBeLessThanOrEqual(ceiling);
    });
    const [s] = await operator.repository.stepExecutions(done.id);
    expect(s?.counts).toMatchObject({ write: 10, rollback: 3 });
  });

  test('gives up after the last attempt and fails the step', async ({ env }) => {
    const db = await createItems(env.databases, 10);
    const step = itemsStep(db, 's', 10, { beforeWrite: () => { throw transient(); } }, { retry: { attempts: 2 } });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])]);
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('FAILED');
    expect(done.exitMessage).toContain('database is locked');
    expect(await processedIds(db)).toEqual([]);
  });

  test('fails a step that outlives its timeout', async ({ env }) => {
    const db = await createItems(env.databases, 50);
    let now = 0;
    const step = itemsStep(db, 's', 10, { afterWrite: () => void (now += 400) }, { timeoutMs: 1_000 });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])], { clock: () => new Date(Date.UTC(2026, 0, 1) + now) });
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('FAILED');
    expect(done.exitMessage).toContain('step timeout');
    expect((await processedIds(db)).length).toBeLessThan(50);
  });

  test('runs a conditional step only when its condition holds', async ({ env }) => {
    const db = await createItems(env.databases, 5);
    const ran: string[] = [];
    const job = itemsJob(db, [
      { kind: 'tasklet', name: 'detect', run: async (ctx) => ctx.jobContext.set('anomalies', 0) },
      { kind: 'tasklet', name: 'report', condition: (ctx) => Number(ctx.get('anomalies')) > 0, run: async () => void ran.push('report') },
    ]);
    const operator = operatorFor(env.databases, [job]);
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(ran).toEqual([]);
    const steps = await operator.repository.stepExecutions(done.id);
    expect(steps.map((s) => [s.stepName, s.exitCode])).toEqual([['detect', 'COMPLETED'], ['report', 'NOOP']]);
  });

  test('a dry run reads and processes but never calls the writer', async ({ env }) => {
    const db = await createItems(env.databases, 25);
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 's', 10)])]);
    const dry = await (await operator.start('itemsJob', { trigger: 'CLI', dryRun: true })).done;
    expect(dry.status).toBe('COMPLETED');
    expect(dry.dryRun).toBe(true);
    expect(await processedIds(db)).toEqual([]);
    const [s] = await operator.repository.stepExecutions(dry.id);
    // Written 0: what it would write has its own count, in written's place in the sum.
    expect(s?.counts).toMatchObject({ read: 25, write: 0, wouldWrite: 25, filter: 0 });
    // A dry run changes nothing, so the same one again is a new instance, never refused as complete.
    const again = await (await operator.start('itemsJob', { trigger: 'CLI', dryRun: true })).done;
    expect(again.status).toBe('COMPLETED');
    expect(again.id).not.toBe(dry.id);
    expect(await processedIds(db)).toEqual([]);
  });
});
