/**
 * Property 65 (10.9): for any audit log, altering any entry, deleting any entry but the
 * newest (the chain cannot see its own end cut off: README), or swapping two entries makes
 * `verify` name the entry where the chain breaks — the altered one, the one after the
 * deleted one, the first of the swapped two.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/security/audit-log.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

type Tamper = { kind: 'alter'; column: 'actor' | 'action' | 'target' | 'details' | 'occurred_at' | 'client_address' } | { kind: 'delete' } | { kind: 'swap'; other: number };

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.constantFrom('actor', 'action', 'target', 'details', 'occurred_at', 'client_address').map((column) => ({ kind: 'alter' as const, column })),
  fc.constant({ kind: 'delete' as const }),
  fc.nat().map((other) => ({ kind: 'swap' as const, other })),
);

describe.each(dialects)('audit chain (%s)', (dialect) => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect);
    // Tampering behind the triggers' back, as someone with the database's rights could.
    await sql`DROP TRIGGER audit_log_no_update`.execute(env.databases.batch.db);
    await sql`DROP TRIGGER audit_log_no_delete`.execute(env.databases.batch.db);
  });
  afterAll(() => env?.cleanup());

  it('Property 65: any alteration, deletion or reordering is named by verify', async () => {
    const db = env.databases.batch.db;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 10 }), fc.nat(), tamper, async (count, at, change) => {
        await db.deleteFrom('audit_log').execute();
        const audit = new AuditLog(db);
        const ids: number[] = [];
        for (let i = 0; i < count; i++) {
          ids.push((await audit.append({ action: i % 2 ? 'JOB_RUN' : 'JOB_STOP', actor: `user${i}`, clientAddress: `10.0.0.${i}`, target: `job#${i}`, details: { i } })).id);
        }
        expect(await audit.verify()).toEqual({ intact: true, entries: count });
        let expected: number;
        if (change.kind === 'alter') {
          const i = at % count;
          const value = change.column === 'occurred_at' ? '2001-01-01 00:00:00.000' : change.column === 'details' ? '{"i":-1}' : 'mallory';
          await db.updateTable('audit_log').set({ [change.column]: value }).where('id', '=', ids[i]!).execute();
          expected = ids[i]!;
        } else if (change.kind === 'delete') {
          const i = at % (count - 1);
          await db.deleteFrom('audit_log').where('id', '=', ids[i]!).execute();
          expected = ids[i + 1]!;
        } else {
          const i = at % count;
          const j = (i + 1 + (change.other % (count - 1))) % count;
          const [first, second] = [Math.min(i, j), Math.max(i, j)];
          const rows = await db.selectFrom('audit_log').selectAll().where('id', 'in', [ids[first]!, ids[second]!]).orderBy('id').execute();
          const { id: idA, ...a } = rows[0]!;
          const { id: idB, ...b } = rows[1]!;
          // hash and prev_hash are unique: A steps aside before B takes its place.
          await db.updateTable('audit_log').set({ ...b, hash: 'swap-hash', prev_hash: 'swap-prev' }).where('id', '=', idA).execute();
          await db.updateTable('audit_log').set(a).where('id', '=', idB).execute();
          await db.updateTable('audit_log').set({ hash: b.hash, prev_hash: b.prev_hash }).where('id', '=', idA).execute();
          expected = ids[first]!;
        }
        expect(await audit.verify()).toMatchObject({ intact: false, brokenAt: expected });
      }),
      { numRuns: dialect === 'sqlite' ? 50 : 20 },
    );
  });
});
