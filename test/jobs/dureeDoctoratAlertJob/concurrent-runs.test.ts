import { runChild } from '../../support/child.js';
import { dialects } from '../../support/databases.js';
import { describe, expect, test } from '../../support/fixtures.js';
import { alertState, seedDoctorants } from './fixtures.js';

const CHILD = 'test/fixtures/alert-child.ts';
const DATES = Array.from({ length: 30 }, (_, i) => `${2017 + (i % 7)}-0${1 + (i % 9)}-1${i % 10}`);

describe.each(dialects)('dureeDoctoratAlertJob in two processes at once (%s)', (dialect) => {
  test.override({ dialect });

  test('the same job launched twice makes one run', async ({ env }) => {
    await seedDoctorants(env, DATES);
    const startAt = String(Date.now() + 2_500);
    const results = await Promise.all([0, 1].map(() => runChild([CHILD, 'dureeDoctoratAlertJob', startAt], env.env, { tsx: true })));
    const statuses = results.map((r) => (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { status: string }).status).sort();
    expect(statuses).toEqual(['COMPLETED', 'REFUSED']);
  });

  test('two runs past the engine lock still record each alert and its event once', async ({ env }) => {
    await seedDoctorants(env, DATES);
    const startAt = String(Date.now() + 2_500);
    const results = await Promise.all(
      ['dureeDoctoratAlertJob', 'dureeDoctoratAlertJobTwin'].map((name) => runChild([CHILD, name, startAt], env.env, { tsx: true })),
    );
    const outcomes = results.map((r) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { status: string; error: string | null; metrics: { totalAlertes: number } });
    expect(outcomes.map((o) => o.status), outcomes.map((o) => o.error).join('; ')).toEqual(['COMPLETED', 'COMPLETED']);
    const state = await alertState(env);
    expect(new Set(state.alerts).size).toBe(state.alerts.length);
    expect(state.events).toEqual(state.alerts);
    // Between them the two runs recorded each alert exactly once.
    expect(outcomes[0]!.metrics.totalAlertes + outcomes[1]!.metrics.totalAlertes).toBe(state.alerts.length);
    expect(state.alerts.length).toBeGreaterThan(10);
  });
});
