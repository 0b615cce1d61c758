/** GET /api/batch/audit (10.6–10.9): entries newest first, paged, with the total and the chain hashes. */
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';

describe.each(dialects)('audit API (%s)', (dialect) => {
  test.override({ dialect });

  test('pages entries newest first, each linked to the one before it', async ({ startApi }) => {
    const api = await startApi();
    for (let i = 0; i < 7; i++) await api.app.audit.append({ action: 'JOB_STOP', actor: `user${i}`, target: `job#${i}` });
    type Page = { page: number; size: number; total: number; items: { actor: string; hash: string; prevHash: string; occurredAt: string }[] };
    const get = async (query: string) => (await (await api.call(`/api/batch/audit${query}`)).json()) as Page;
    const first = await get('?page=0&size=3');
    expect(first).toMatchObject({ page: 0, size: 3, total: 7 });
    expect(first.items.map((e) => e.actor)).toEqual(['user6', 'user5', 'user4']);
    expect(first.items[0]?.prevHash).toBe(first.items[1]?.hash);
    expect((await get('?page=2&size=3')).items.map((e) => e.actor)).toEqual(['user0']);
    expect((await get('')).items).toHaveLength(7);
    expect((await api.call('/api/batch/audit?size=1000')).status).toBe(400);
    expect((await api.call('/api/batch/audit?page=x')).status).toBe(400);
  });
});
