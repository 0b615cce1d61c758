/**
 * Tasklet semantics the side-effect jobs rely on: a timeout aborts the tasklet's signal
 * and fails the step once the tasklet has given up; a stop it obeys ends STOPPED with no
 * failure notification; a restart runs it again with the state it saved, so each unit
 * of work (a mail) is done once across the stop, and its counts are those saved with its
 * state: the restart counts nothing twice.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDefinition, TaskletContext } from '../../src/engine/types.js';
import { createMailer } from '../../src/mail/mailer.js';
import { jobFailureNotifier } from '../../src/notifications/job-failure-notifier.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { operatorFor } from './harness.js';

/** Waits until the signal is aborted, then gives up with its reason, as a well-behaved tasklet does. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

describe.each(dialects)('tasklet steps (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  const operatorWithNotifier = (jobs: readonly JobDefinition[]) => {
    const mailDir = path.join(env.dataDir, 'mail');
    const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir }, silentLogger);
    const notifier = jobFailureNotifier({ db: env.databases.batch.db, mailer, topic: 'notifications', techAdmins: ['tech@univ-exemple.fr'], logger: silentLogger });
    return { operator: operatorFor(env.databases, jobs, { listeners: [notifier] }), mails: () => (existsSync(mailDir) ? readdirSync(mailDir).length : 0) };
  };

  it('a timeout aborts the signal, waits for the tasklet to give up, and fails the step saying so', async () => {
    env = await createTestEnvironment(dialect);
    const events: string[] = [];
    const job: JobDefinition = {
      name: 'slowTaskletJob',
      description: 'waits for its signal',
      steps: [
        {
          kind: 'tasklet',
          name: 'waitStep',
          timeoutMs: 150,
          run: async (ctx) => {
            try {
              await untilAborted(ctx.signal);
            } finally {
              await sleep(50); // cleaning up after the abort: the step must wait for it
              events.push('tasklet settled');
            }
          },
        },
      ],
      listeners: [{ afterStep: () => void events.push('step recorded') }],
    };
    const operator = operatorFor(env.databases, [job]);
    const done = await (await operator.start('slowTaskletJob', { trigger: 'CLI' })).done;
    expect([done.status, done.exitMessage]).toEqual(['FAILED', 'waitStep failed: waitStep: still running after 150 ms (step timeout); restart to resume']);
    expect(events).toEqual(['tasklet settled', 'step recorded']);
    const [step] = await operator.repository.stepExecutions(done.id);
    expect([step?.status, step?.exitMessage]).toEqual(['FAILED', 'waitStep: still running after 150 ms (step timeout); restart to resume']);
  });

  it('a stop it obeys ends STOPPED without a failure mail; the restart resumes from its saved state and mails each once', async () => {
    env = await createTestEnvironment(dialect);
    const recipients = Array.from({ length: 8 }, (_, i) => `admin${i}@univ-exemple.fr`);
    const sent: string[] = [];
    let stopAfter: (() => Promise<void>) | undefined;
    const job: JobDefinition = {
      name: 'mailingJob',
      description: 'mails each recipient once',
      steps: [
        {
          kind: 'tasklet',
          name: 'sendStep',
          run: async (ctx: TaskletContext) => {
            const done = new Set((ctx.restoredContext.sent as string[] | undefined) ?? []);
            for (const to of recipients.filter((r) => !done.has(r))) {
              if (ctx.signal.aborted) throw ctx.signal.reason as Error;
              ctx.checkLease();
              sent.push(to);
              done.add(to);
              // Recorded before the next one is attempted: a restart never mails it again.
              await ctx.saveState({ sent: [...done] });
              if (done.size === 3) await stopAfter?.();
              await sleep(30);
            }
          },
        },
      ],
    };
    const { operator, mails } = operatorWithNotifier([job]);
    const { execution, done } = await operator.start('mailingJob', { trigger: 'CLI' });
    stopAfter = async () => {
      // saveState is durable when it resolves: a crash now would still know the three.
      const [step] = await operator.repository.stepExecutions(execution.id);
      expect(step?.context).toEqual({ sent: recipients.slice(0, 3) });
      await operator.stop(execution.id);
    };
    const stopped = await done;
    expect([stopped.status, stopped.exitCode]).toEqual(['STOPPED', 'STOPPED']);
    expect((await operator.repository.stepExecutions(stopped.id)).map((s) => s.status)).toEqual(['STOPPED']);
    await operator.stopAll();
    expect(mails()).toBe(0);
    expect(sent).toHaveLength(3);

    stopAfter = undefined;
    const restarted = await (await operator.restart(stopped.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    expect(sent).toEqual(recipients);
  });

  it('a stopped tasklet records the counts saved with its state, so its restart counts each item once', async () => {
    env = await createTestEnvironment(dialect);
    const items = Array.from({ length: 8 }, (_, i) => i + 1);
    let stop: (() => Promise<void>) | undefined;
    const job: JobDefinition = {
      name: 'countingJob',
      description: 'counts each item as it takes it, saves after doing it',
      steps: [
        {
          kind: 'tasklet',
          name: 'countStep',
          run: async (ctx: TaskletContext) => {
            const done = (ctx.restoredContext.done as number[] | undefined) ?? [];
            for (const item of items.filter((i) => !done.includes(i))) {
              // Counted as it is taken, given up before it is done: this count was never saved.
              ctx.count({ read: 1 });
              if (ctx.signal.aborted) throw ctx.signal.reason as Error;
              done.push(item);
              ctx.count({ write: 1 });
              await ctx.saveState({ done: [...done] });
              if (done.length === 3) await stop?.();
            }
          },
        },
      ],
    };
    const operator = operatorFor(env.databases, [job]);
    const { execution, done } = await operator.start('countingJob', { trigger: 'CLI' });
    stop = () => operator.stop(execution.id).then(() => undefined);
    const stopped = await done;
    expect(stopped.status).toBe('STOPPED');
    const [halted] = await operator.repository.stepExecutions(stopped.id);
    // What the restart starts from: the saved state and its counts agree.
    expect([halted?.context, halted?.counts.read, halted?.counts.write]).toEqual([{ done: [1, 2, 3] }, 3, 3]);
    await operator.stopAll();

    stop = undefined;
    const restarted = await (await operator.restart(stopped.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    const [step] = await operator.repository.stepExecutions(restarted.id);
    expect([step?.counts.read, step?.counts.write]).toEqual([items.length, items.length]);
  });
});
