/** `batch-service anomalies`, built, as an operator runs it: the API's items, all of them, or a table. */
import { plantAnomalies } from '../http/anomaly-rows.js';
import { sqlTimestampMillis } from '../../src/db/sql-time.js';
import { runCli } from '../support/child.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';

describe.each(dialects)('batch-service anomalies (%s)', (dialect) => {
  test.override({ dialect });

  test('prints the objects the API lists, filters by status, and refuses another status', async ({ startApi }) => {
    const api = await startApi();
    const planted = await plantAnomalies(api.env.databases.batch.db);
    const fromApi = ((await (await api.call('/api/batch/anomalies')).json()) as { items: unknown[] }).items;

    const all = await runCli(['anomalies', '--json'], api.env.env);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual(fromApi);

    const open = await runCli(['anomalies', '--status', 'open', '--json'], api.env.env);
    expect(open.code, open.stderr).toBe(0);
    expect((JSON.parse(open.stdout) as { id: number; status: string }[]).map((a) => [a.id, a.status])).toEqual(planted.open.map((id) => [id, 'open']));

    const text = await runCli(['anomalies', '--status', 'resolved'], api.env.env);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^type\s+entity\s+action\s+first seen\s+last seen\s+resolved$/);
    expect(lines[1]).toMatch(/^UTILISATEUR_INEXISTANT\s+inscription 12\s+AUTO_CORRIGÉE\s+2026-11-01T23:00:00\.000Z\s+2026-11-02T23:00:00\.000Z\s+2026-11-03T23:00:00\.000Z$/);
    expect(lines[2]).toMatch(/^FICHIER_MANQUANT\s+document 8\s+INTERVENTION_REQUISE/);
    expect(lines.at(-1)).toBe('2 anomalies: 0 open, 2 resolved');

    const bad = await runCli(['anomalies', '--status', 'bogus'], api.env.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--status.*expected open or resolved, got "bogus"/);
    expect(bad.stdout).toBe('');
  });

  test('lists every anomaly, however many pages of the store they take', async ({ startApi }) => {
    const api = await startApi();
    const at = sqlTimestampMillis(new Date('2026-11-03T23:00:00Z'));
    const rows = Array.from({ length: 1_201 }, (_, i) => ({
      type: 'FICHIER_MANQUANT',
      entity: 'document',
      entity_id: i + 1,
      details: '{}',
      action: 'INTERVENTION_REQUISE',
      first_seen: at,
      last_seen: at,
      resolved_at: null,
      open_key: `FICHIER_MANQUANT:document:${i + 1}`,
      job_execution_id: null,
    }));
    await api.env.databases.batch.db.insertInto('consistency_anomaly').values(rows).execute();
    const listed = await runCli(['anomalies', '--json'], api.env.env);
    expect(listed.code, listed.stderr).toBe(0);
    const entityIds = (JSON.parse(listed.stdout) as { entityId: number }[]).map((a) => a.entityId);
    expect(entityIds).toEqual(rows.map((r) => r.entity_id).reverse());
  });
});
