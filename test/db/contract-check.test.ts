/**
 * The sibling databases against the fixture DDL (issue 16.4), on real databases: what is
 * expected comes from the fixture DDL, and what is missing is named per database, table
 * and column, in the words the CLI and health use.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkContract, describeContractGap, expectedContract } from '../../src/db/contract-check.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

describe('the contract as the fixture DDL creates it', () => {
  it('lists every sibling table of the fixture DDL with its columns', async () => {
    const contract = await expectedContract();
    expect([...contract.keys()]).toEqual(['user', 'inscription', 'defense', 'notification']);
    expect([...contract.get('user')!.keys()].sort()).toEqual(['password_reset_tokens', 'refresh_tokens', 'user_roles', 'users']);
    expect(contract.get('user')!.get('refresh_tokens')).toEqual(['id', 'token', 'user_id', 'expiry_date', 'created_at']);
    expect([...contract.get('inscription')!.keys()].sort()).toEqual(['documents', 'inscriptions']);
    expect([...contract.get('defense')!.keys()].sort()).toEqual(['soutenance_documents', 'soutenances']);
    expect(contract.get('notification')!.get('notifications')).toContain('derniere_erreur');
  });
});

describe.each(dialects)('checkContract (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('finds nothing missing in databases made by the fixture DDL', async () => {
    env = await createTestEnvironment(dialect);
    expect(await checkContract(env.databases)).toEqual([]);
  });

  it('names each missing table and column, one gap per database, and says which variable to check', async () => {
    env = await createTestEnvironment(dialect);
    await env.databases.user.db.schema.dropTable('refresh_tokens').execute();
    await env.databases.user.db.schema.alterTable('users').dropColumn('nom').execute();
    await env.databases.notification.db.schema.alterTable('notifications').dropColumn('derniere_erreur').execute();

    const gaps = await checkContract(env.databases);
    expect(gaps.map((gap) => gap.database)).toEqual(['user', 'notification']);
    expect(gaps[0]!.missingTables).toEqual(['refresh_tokens']);
    expect(Object.fromEntries(gaps[0]!.missingColumns)).toEqual({ users: ['nom'] });
    expect(gaps[1]!.missingTables).toEqual([]);
    expect(Object.fromEntries(gaps[1]!.missingColumns)).toEqual({ notifications: ['derniere_erreur'] });

    const embeddedHint = dialect === 'sqlite' ? ' For the embedded default run `batch-service demo-data`' : '';
    expect(gaps.map(describeContractGap)).toEqual([
      `userdb has no table refresh_tokens and a table users without column nom: is USER_DB_URL the user service's database?${embeddedHint}`,
      `notificationdb has a table notifications without column derniere_erreur: is NOTIFICATION_DB_URL the notification service's database?${embeddedHint}`,
    ]);
  });

  it('reports a database it cannot read, by its URL with the password masked', async () => {
    env = await createTestEnvironment(dialect);
    await env.databases.defense.close();
    const [gap, ...others] = await checkContract(env.databases);
    expect(others).toEqual([]);
    expect(gap?.database).toBe('defense');
    expect(gap?.unreadable).toBeTruthy();
    expect(describeContractGap(gap!)).toMatch(/^defensedb cannot be read at (sqlite:|mysql:\/\/[^:]+:\*\*\*\*@)/);
  });
});
