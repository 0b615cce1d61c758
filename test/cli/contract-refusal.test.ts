/**
 * Issue 16.4: `run` and `restart` on a sibling database without the contract's tables or
 * columns refuse before anything starts (exit 2), each database reported once in plain
 * words, without a stack trace unless LOG_LEVEL=debug asks for one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

describe.each(dialects)('batch-service run on a sibling database off the contract (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('refuses run and restart with exit 2 and one plain line for userdb, records no execution, shows no stack', async () => {
    env = await createTestEnvironment(dialect);
    await env.databases.user.db.schema.dropTable('refresh_tokens').execute();
    await env.databases.user.db.schema.alterTable('users').dropColumn('nom').execute();
    const message =
      "batch-service: userdb has no table refresh_tokens and a table users without column nom: is USER_DB_URL the user service's database?" +
      (dialect === 'sqlite' ? ' For the embedded default run `batch-service demo-data`' : '');

    for (const args of [['run', 'tokenCleanupJob'], ['restart', '1']]) {
      const refused = await runCli(args, env.env);
      expect(refused.code, refused.stderr).toBe(2);
      const [where, ...rest] = refused.stderr.trimEnd().split('\n');
      expect(where).toMatch(/^batch-service: data directory /);
      expect(rest).toEqual([message]);
      expect(refused.stdout).toBe('');
    }
    const executions = await env.databases.batch.db.selectFrom('batch_job_execution').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(executions.n)).toBe(0);

    const debug = await runCli(['run', 'tokenCleanupJob'], { ...env.env, LOG_LEVEL: 'debug' });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toContain(message);
    expect(debug.stderr).toMatch(/\n {4}at /);
  });
});
