/**
 * Properties 5 and 57 (1.6, 8.8, 8.9): whatever the job and whichever of its steps fails,
 * a failed run publishes exactly one failure event and sends exactly one mail to the
 * technical team, both carrying the job, the execution, the failed step and the error.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDefinition, StepDefinition } from '../../src/engine/types.js';
import type { JobFailureEvent } from '../../src/events/event-types.js';
import { listEvents } from '../../src/events/outbox.js';
import { createMailer } from '../../src/mail/mailer.js';
import { jobFailureNotifier } from '../../src/notifications/job-failure-notifier.js';
import { silentLogger } from '../../src/observability/logger.js';
import { operatorFor } from '../engine/harness.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';

const jobShape = fc.record({
  name: fc.stringMatching(/^[a-z][A-Za-z]{2,20}Job$/),
  steps: fc.array(fc.constantFrom<'chunk' | 'tasklet'>('chunk', 'tasklet'), { minLength: 1, maxLength: 4 }),
  failAt: fc.nat(),
  error: fc.stringMatching(/^[A-Za-zÀ-ÿ0-9 ,.:'()-]{1,60}$/).filter((s) => s.trim() === s),
});

function failingJob(shape: { name: string; steps: readonly ('chunk' | 'tasklet')[]; failAt: number; error: string }): { job: JobDefinition; failedStep: string } {
  const failing = shape.failAt % shape.steps.length;
  const steps = shape.steps.map((kind, i): StepDefinition => {
    const name = `step${i}${kind === 'chunk' ? 'Chunk' : 'Tasklet'}`;
    const fail = () => {
      if (i === failing) throw new Error(shape.error);
    };
    if (kind === 'tasklet') return { kind, name, run: async () => fail() };
    let given = false;
    const readOnce = async () => {
      if (given) return [];
      given = true;
      return [1, 2];
    };
    return {
      kind,
      name,
      chunkSize: 2,
      reader: () => ({ read: readOnce }),
      writer: () => ({ write: async () => fail() }),
    };
  });
  return { job: { name: shape.name, description: 'generated', steps }, failedStep: steps[failing]!.name };
}

describe('failure notification of any job (sqlite, real SMTP)', () => {
  let env: TestEnvironment;
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
    env = await createTestEnvironment('sqlite');
  });
  afterAll(async () => {
    await smtp?.close();
    await env?.cleanup();
  });

  it('Properties 5 and 57: one event and one mail with job, execution, step and error', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'batch@univ-exemple.fr', mailDir: env.dataDir }, silentLogger);
    const notifier = jobFailureNotifier({ db: env.databases.batch.db, mailer, topic: 'notifications', techAdmins: ['tech@univ-exemple.fr'], logger: silentLogger });
    try {
      await fc.assert(
        fc.asyncProperty(jobShape, async (shape) => {
          const { job, failedStep } = failingJob(shape);
          const mailsBefore = smtp.received.length;
          const operator = operatorFor(env.databases, [job], { listeners: [notifier] });
          const failed = await (await operator.start(job.name, { trigger: 'CLI' })).done;
          expect(failed.status).toBe('FAILED');

          const events = (await listEvents(env.databases.batch.db, undefined, 10_000))
            .map((r) => JSON.parse(r.payload) as JobFailureEvent)
            .filter((e) => e.executionId === failed.id);
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({ type: 'JOB_FAILURE', jobName: job.name, executionId: failed.id, failedStep, restartCommand: `batch-service restart ${failed.id}` });
          expect(events[0]!.error).toContain(shape.error);

          // The server parses what it accepted a moment after the client's send resolves.
          for (let i = 0; i < 100 && smtp.received.length === mailsBefore; i++) await new Promise((resolve) => setTimeout(resolve, 10));
          const mails = smtp.received.slice(mailsBefore);
          expect(mails).toHaveLength(1);
          expect(mails[0]!.subject).toBe(`[batch-service] Échec de la tâche « ${job.name} » (exécution n° ${failed.id})`);
          expect(mails[0]!.text).toContain(`Exécution : n° ${failed.id}`);
          expect(mails[0]!.text).toContain(`Étape en échec : ${failedStep}`);
          expect(mails[0]!.text).toContain(shape.error);
        }),
        { numRuns: 20 },
      );
    } finally {
      mailer.close();
    }
  });
});
