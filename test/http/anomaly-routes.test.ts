/**
 * GET /api/batch/anomalies (5.2–5.16, 11.5): admins only, newest first, filtered by status
 * and type, paged with the total; a bad filter or page is a 400 saying what is accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../support/databases.js';
import { startApi, type Api } from './api-harness.js';
import { plantAnomalies, type PlantedAnomalies } from './anomaly-rows.js';

interface Item {
  id: number;
  status: string;
}
interface Page {
  total: number;
  page: number;
  size: number;
  items: Item[];
}

describe.each(dialects)('anomalies API (%s)', (dialect) => {
  let api: Api;
  let planted: PlantedAnomalies;
  beforeAll(async () => {
    api = await startApi(dialect);
    planted = await plantAnomalies(api.env.databases.batch.db);
  });
  afterAll(() => api?.close());

  const get = async (query: string): Promise<Page> => {
    const response = await api.call(`/api/batch/anomalies${query}`);
    expect(response.status, query).toBe(200);
    return (await response.json()) as Page;
  };
  const ids = async (query: string) => (await get(query)).items.map((i) => i.id);

  it('is for admins only: 401 without a token, 403 without the role', async () => {
    const anonymous = await fetch(`${api.base}/api/batch/anomalies`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const user = await fetch(`${api.base}/api/batch/anomalies`, { headers: { authorization: `Bearer ${await api.token({ roles: ['ROLE_USER'] })}` } });
    expect(user.status).toBe(403);
    expect(user.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('lists every anomaly newest first, with ISO instants and its status', async () => {
    const all = await get('');
    expect(all).toMatchObject({ total: 4, page: 0, size: 20 });
    expect(all.items.map((i) => i.id)).toEqual(planted.newestFirst);
    expect(all.items[1]).toEqual({
      id: planted.utilisateurInexistantOpen,
      type: 'UTILISATEUR_INEXISTANT',
      entity: 'inscription',
      entityId: 11,
      details: { entityId: 11, note: 'é' },
      action: 'AUTO_CORRIGÉE',
      firstSeen: '2026-11-01T23:00:00.000Z',
      lastSeen: '2026-11-03T23:00:00.000Z',
      resolvedAt: null,
      status: 'open',
      jobExecutionId: 1,
    });
    expect(all.items[3]).toMatchObject({ firstSeen: '2026-11-01T23:00:00.250Z', resolvedAt: '2026-11-02T23:00:00.000Z', status: 'resolved', jobExecutionId: 2 });
  });

  it('filters by status, by type, and by both', async () => {
    expect(await ids('?status=open')).toEqual(planted.open);
    expect(await ids('?status=resolved')).toEqual(planted.resolved);
    expect((await get('?status=resolved')).items.every((i) => i.status === 'resolved')).toBe(true);
    expect(await ids('?type=FICHIER_MANQUANT')).toEqual(planted.fichierManquant);
    expect(await ids('?type=INSCRIPTION_INVALIDE')).toEqual([]);
    expect(await get('?status=open&type=UTILISATEUR_INEXISTANT')).toMatchObject({ total: 1, items: [{ id: planted.utilisateurInexistantOpen }] });
  });

  it('pages with the total of the filter', async () => {
    const first = await get('?page=0&size=2');
    expect(first).toMatchObject({ total: 4, page: 0, size: 2 });
    expect(first.items.map((i) => i.id)).toEqual(planted.newestFirst.slice(0, 2));
    expect(await get('?page=1&size=2')).toMatchObject({ total: 4, page: 1, size: 2 });
    expect(await ids('?page=1&size=2')).toEqual(planted.newestFirst.slice(2, 4));
    expect(await get('?status=open&page=1&size=1')).toMatchObject({ total: 2, items: [{ id: planted.open[1] }] });
    expect(await get('?page=3&size=2')).toMatchObject({ total: 4, items: [] });
  });

  it('refuses a bad filter or page with a 400 problem naming the parameter and what it accepts', async () => {
    const cases: readonly [string, RegExp][] = [
      ['?status=bogus', /status must be one of open, resolved/],
      ['?status=OPEN', /status must be one of open, resolved/],
      ['?type=bogus', /type must be one of UTILISATEUR_INEXISTANT, INSCRIPTION_INVALIDE, FICHIER_MANQUANT/],
      ['?page=-1', /page must be a decimal integer.*"-1"/],
      ['?size=0', /size must be >= 1/],
      ['?size=101', /size must be <= 100/],
      ['?sort=id', /must NOT have additional properties/],
    ];
    for (const [query, detail] of cases) {
      const response = await api.call(`/api/batch/anomalies${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type'), query).toMatch(/^application\/problem\+json/);
      expect(((await response.json()) as { detail: string }).detail, query).toMatch(detail);
    }
  });
});
