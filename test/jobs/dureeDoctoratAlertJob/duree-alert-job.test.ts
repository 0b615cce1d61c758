import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/events/event-types.js';
import { operatorFor } from '../../engine/harness.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { openWithLostAcks } from '../../support/lost-ack.js';
import { ADMIN_ID, alertJob, alertState, DIRECTEUR_ID, seedDoctorants } from './fixtures.js';

const runAt = '2026-03-15T12:00:00Z';
// Index: 0 under 3 years, 1 exactly 3 years, 2 at 6 years − 6 months, 3 exactly 6 years,
// 4 six years and a day, 5 a 29 February eight years back, 6 a 29 February three years back.
const DATES = ['2023-03-16', '2023-03-15', '2020-09-15', '2020-03-15', '2020-03-14', '2018-02-28', '2023-02-28'];

describe.each(dialects)('dureeDoctoratAlertJob (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('alerts each band once with its event, suspends overruns, and records the counts', async () => {
    env = await createTestEnvironment(dialect);
    await seedDoctorants(env, DATES);
    const operator = operatorFor(env.databases, [alertJob(env)]);
    const done = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt }, trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    expect(done.metrics).toEqual({ alertes3Ans: 2, alertes6Ans: 2, alertesDepassement: 2, totalAlertes: 6, inscriptionsSuspendues: 2 });
    const state = await alertState(env);
    expect(state.alerts).toEqual(['3_ANS:101', '3_ANS:106', '6_ANS:102', '6_ANS:103', 'DEPASSEMENT:104', 'DEPASSEMENT:105']);
    expect(state.events).toEqual(state.alerts);
    expect(state.suspended).toEqual([1004, 1005]);
    const steps = await operator.repository.stepExecutions(done.id);
    expect(steps.map((s) => s.stepName)).toEqual(['check3YearThresholdStep', 'check6YearThresholdStep', 'checkExceeded6YearStep']);

    const rows = await env.databases.batch.db.selectFrom('event_outbox').selectAll().orderBy('id').execute();
    const events = rows.map((r) => ({ key: r.message_key, status: r.status, event: JSON.parse(r.payload) as AlertEvent }));
    const overrun = events.find((e) => e.event.typeAlerte === 'DEPASSEMENT' && e.event.doctorant.id === 104)!;
    expect(overrun.key).toBe('104');
    expect(overrun.status).toBe('PENDING');
    expect(overrun.event).toMatchObject({
      type: 'DUREE_DOCTORAT_ALERT',
      inscriptionId: 1004,
      datePremiereInscription: '2020-03-14',
      duree: { jours: 2192, annees: 6, mois: 0 },
      doctorant: { id: 104, email: 'doctorant104@univ-exemple.fr', prenom: 'Élodie', nom: 'Nom104' },
      directeur: { id: DIRECTEUR_ID, email: 'directeur@univ-exemple.fr' },
      occurredAt: '2026-03-15T12:00:00.000Z',
    });
    expect(overrun.event.recipients).toEqual(['doctorant104@univ-exemple.fr', 'directeur@univ-exemple.fr', 'admin@univ-exemple.fr']);
    expect(overrun.event.message).toMatch(/a dépassé la durée maximale de 6 ans.*suspendue/);
    expect(overrun.event.eventId).toMatch(/^[0-9a-f-]{36}$/);
    const threeYears = events.find((e) => e.event.doctorant.id === 101)!;
    // 2.3: the 3-year alert is for the doctorant and the directeur only.
    expect(threeYears.event.recipients).toEqual(['doctorant101@univ-exemple.fr', 'directeur@univ-exemple.fr']);
    expect(threeYears.event.recipients).not.toContain(`admin${ADMIN_ID}`);
  });

  it('Property 12: later runs never repeat an alert, and a later band gets only its own alert', async () => {
    env = await createTestEnvironment(dialect);
    await seedDoctorants(env, DATES);
    const operator = operatorFor(env.databases, [alertJob(env)]);
    await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt }, trigger: 'CLI' })).done;
    const first = await alertState(env);

    const again = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt, again: '1' }, trigger: 'CLI' })).done;
    expect(again.metrics).toMatchObject({ totalAlertes: 0 });
    expect(await alertState(env)).toEqual(first);

    // Two years later: 100 has reached 3 years; 101 and 106 are still in 3_ANS (nothing new);
    // 102 and 103, alerted at 6_ANS, are overruns now; 104 and 105 are suspended, no longer read.
    const later = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt: '2028-03-15T12:00:00Z' }, trigger: 'CLI' })).done;
    expect(later.status).toBe('COMPLETED');
    const state = await alertState(env);
    expect(state.alerts).toEqual([
      '3_ANS:100', '3_ANS:101', '3_ANS:106', '6_ANS:102', '6_ANS:103',
      'DEPASSEMENT:102', 'DEPASSEMENT:103', 'DEPASSEMENT:104', 'DEPASSEMENT:105',
    ].sort());
    expect(state.events).toEqual(state.alerts);
  });

  it('skips and records an inscription whose doctorant is missing from userdb, and alerts the others', async () => {
    env = await createTestEnvironment(dialect);
    await seedDoctorants(env, ['2020-03-14', '2020-03-13', '2020-03-12'], { missingUsers: [101] });
    const operator = operatorFor(env.databases, [alertJob(env)]);
    const done = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt }, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect((await alertState(env)).alerts).toEqual(['DEPASSEMENT:100', 'DEPASSEMENT:102']);
    const skips = await operator.repository.skips(done.id);
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatchObject({ stepName: 'checkExceeded6YearStep', phase: 'WRITE' });
    expect(skips[0]!.reason).toMatch(/doctorant 101 is not in userdb/);
    expect(JSON.parse(skips[0]!.item)).toEqual({ inscriptionId: 1001, doctorantId: 101 });
  });

  it('a chunk whose alerts committed but whose acknowledgement was lost counts them as sent, not filtered, when retried (found by the fault harness)', async () => {
    env = await createTestEnvironment(dialect);
    await seedDoctorants(env, DATES);
    const lost = openWithLostAcks(env);
    try {
      const operator = operatorFor(env.databases, [alertJob(env, { batch: { ...env.databases.batch, db: lost.db } })]);
      // The first chunk's alerts and events commit, then the caller is told ECONNRESET; the engine retries it.
      lost.loseNext(/^insert into .alerte_duree_envoyee./i);
      const done = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt }, trigger: 'CLI' })).done;
      expect(lost.lost, 'the fault fired').toHaveLength(1);
      expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
      // As the undisturbed run of the first test: each alert once, with its one event, and counted as sent.
      const state = await alertState(env);
      expect(state.alerts).toEqual(['3_ANS:101', '3_ANS:106', '6_ANS:102', '6_ANS:103', 'DEPASSEMENT:104', 'DEPASSEMENT:105']);
      expect(state.events).toEqual(state.alerts);
      expect(done.metrics).toEqual({ alertes3Ans: 2, alertes6Ans: 2, alertesDepassement: 2, totalAlertes: 6, inscriptionsSuspendues: 2 });
      const steps = await operator.repository.stepExecutions(done.id);
      // Each step wrote its band's two alerts; the first chunk's are not counted as already sent.
      expect(steps.map((s) => [s.stepName, s.counts.write])).toEqual([
        ['check3YearThresholdStep', 2],
        ['check6YearThresholdStep', 2],
        ['checkExceeded6YearStep', 2],
      ]);
    } finally {
      await lost.close();
    }
  });

  it('a dry run finds the alerts and writes nothing', async () => {
    env = await createTestEnvironment(dialect);
    await seedDoctorants(env, DATES);
    const operator = operatorFor(env.databases, [alertJob(env)]);
    const dry = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt }, dryRun: true, trigger: 'CLI' })).done;
    expect(dry.metrics).toEqual({ dryRun: expect.objectContaining({ totalAlertes: 6 }) });
    expect(await alertState(env)).toEqual({ alerts: [], events: [], suspended: [] });
  });
});
