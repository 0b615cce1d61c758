/**
 * Property 43 (6.2): any accepted launch answers 202 with the execution id, the job, the
 * status, the start time and the parameters as given — `runAt` in its one normalised
 * spelling, and the resolved `runAt` when none was given.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, awaitEnd, type Api } from './api-harness.js';

const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,20}$/).filter((k) => !['runAt', 'dryRun', 'nonce', '__proto__', 'constructor'].includes(k));
const instant = fc.date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true });

describe('launch answers (sqlite)', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('sqlite', {
      env: { RATE_LIMIT_RUN_PER_MINUTE: '100000' },
      jobs: () => [{ name: 'quickJob', description: 'does nothing', steps: [{ kind: 'tasklet', name: 'nothingStep', run: async () => undefined }] }],
    });
  });
  afterAll(() => api?.close());

  it('Property 43: id, job, status, start time and the parameters as given', async () => {
    let nonce = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(key, fc.string({ maxLength: 40 }), { maxKeys: 6 }),
        fc.option(fc.tuple(instant, fc.constantFrom('Z', '+01:00', '-05:30')), { nil: undefined }),
        fc.option(fc.boolean(), { nil: undefined }),
        async (given, runAt, dryRun) => {
          // Each launch its own instance: a repeated parameter set would (rightly) be refused as complete.
          const parameters: Record<string, string> = { ...given, nonce: String(++nonce) };
          if (runAt) parameters.runAt = spell(runAt[0], runAt[1]);
          const before = Date.now();
          const response = await api.call('/api/batch/jobs/quickJob/run', { method: 'POST', body: JSON.stringify({ parameters, ...(dryRun === undefined ? {} : { dryRun }) }) });
          expect(response.status).toBe(202);
          const body = (await response.json()) as { executionId: number; jobName: string; status: string; startTime: string; parameters: Record<string, string>; dryRun: boolean };
          expect(Number.isSafeInteger(body.executionId) && body.executionId > 0).toBe(true);
          expect(response.headers.get('location')).toBe(`/api/batch/jobs/executions/${body.executionId}`);
          expect(body.jobName).toBe('quickJob');
          expect(body.status).toBe('STARTED');
          expect(Date.parse(body.startTime)).toBeGreaterThanOrEqual(before - 1_000);
          expect(Date.parse(body.startTime)).toBeLessThanOrEqual(Date.now() + 1_000);
          expect(body.dryRun).toBe(dryRun === true);
          // A dry run is always a new instance: its own run.id beside the parameters given.
          const { runAt: answeredRunAt, dryRun: dryRunParameter, 'run.id': runId, ...rest } = body.parameters;
          expect(runId === undefined).toBe(dryRun !== true);
          expect(rest).toEqual(Object.fromEntries(Object.entries(parameters).filter(([k]) => k !== 'runAt')));
          if (runAt) expect(answeredRunAt).toBe(runAt[0].toISOString());
          else expect(Math.abs(Date.parse(answeredRunAt!) - Date.parse(body.startTime))).toBeLessThan(1_000);
          expect(dryRunParameter).toBe(dryRun ? 'true' : undefined);
          await awaitEnd(api, body.executionId);
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** The instant written with the given offset, as a client in that zone would. */
function spell(instant: Date, offset: string): string {
  if (offset === 'Z') return instant.toISOString().replace('.000Z', 'Z');
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number) as [number, number];
  const local = new Date(instant.getTime() + sign * (h * 60 + m) * 60_000);
  return `${local.toISOString().slice(0, 23)}${offset}`;
}
