/**
 * dureeDoctoratAlertJob's estimate (issue 14): each band's step counts the active
 * inscriptions of its candidate range, which is what its reader then reads (the
 * processor, not the reader, keeps those truly in the band).
 */
import { operatorFor } from '../../engine/harness.js';
import { dialects } from '../../support/databases.js';
import { describe, expect, test } from '../../support/fixtures.js';
import { alertJob, seedDoctorants } from './fixtures.js';

const runAt = '2026-03-15T12:00:00Z';
const DATES = ['2023-03-16', '2023-03-15', '2020-09-15', '2020-03-15', '2020-03-14', '2018-02-28', '2023-02-28', '2025-01-01', '2023-03-19'];

describe.each(dialects)('dureeDoctoratAlertJob estimate (%s)', (dialect) => {
  test.override({ dialect });

  test('each step expects the inscriptions it then reads', async ({ env }) => {
    await seedDoctorants(env, DATES);
    // An inscription that is no longer active is read by no step, so counted by none.
    await env.databases.inscription.db.updateTable('inscriptions').set({ statut: 'SUSPENDU' }).where('date_premiere_inscription', '=', '2023-03-15').execute();
    const operator = operatorFor(env.databases, [alertJob(env, { chunkSize: 2 })]);

    const done = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt }, trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    const steps = await operator.repository.stepExecutions(done.id);
    expect(steps.every((s) => s.counts.read > 0)).toBe(true);
    expect(steps.map((s) => [s.stepName, s.estimatedTotal])).toEqual(steps.map((s) => [s.stepName, s.counts.read]));
  });
});
