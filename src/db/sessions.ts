/**
 * The MariaDB connections of a run's process (issue 23, item 5; docs/engine.md, "A cut
 * link"). The heartbeat records them in `batch_job_execution.sessions`; whoever abandons
 * the run ends them before it takes the run over, so the locks a process left behind when
 * its link was cut (MariaDB keeps them until `wait_timeout`, 8 hours by default) do not
 * hold up the run that replaces it.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseHandle } from './connect.js';

/** The database sessions of a run's process, as the job repository sees them: recorded with each heartbeat, ended when the run is abandoned. */
export interface RunSessions {
  /** This process's connection ids per database, as JSON; null when there are none to record (SQLite). */
  current(): string | null;
  /** Ends the connections a stale run's process recorded, before the run is taken over. Never throws. */
  end(recorded: string, executionId: number): Promise<void>;
}

/** The sessions of these databases' pools (the process's five), as a run records and ends them. */
export function runSessions(databases: readonly DatabaseHandle<unknown>[], logger: Logger): RunSessions {
  const handles = databases.filter((handle) => handle.dialect === 'mysql');
  return {
    current: () => (handles.length === 0 ? null : JSON.stringify(Object.fromEntries(handles.map((handle) => [handle.name, handle.sessionIds()])))),
    async end(recorded, executionId) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(recorded);
      } catch {
        return;
      }
      if (typeof parsed !== 'object' || parsed === null) return;
      for (const handle of handles) {
        const ids = (parsed as Record<string, unknown>)[handle.name];
        if (!Array.isArray(ids)) continue;
        // Never this process's own connections (a run of ours found stale: they are alive).
        const own = new Set(handle.sessionIds());
        const theirs = ids.filter((id): id is number => typeof id === 'number' && !own.has(id));
        if (theirs.length === 0) continue;
        const { ended, refused } = await handle.endSessions(theirs);
        if (ended.length > 0) {
          logger.warn({ execution: executionId, database: handle.name, connections: ended }, `${handle.name}: ended the connections of abandoned execution ${executionId}'s process (KILL CONNECTION), releasing any locks it held`);
        }
        if (refused.length > 0) {
          logger.error(
            { execution: executionId, database: handle.name, refused },
            `${handle.name}: could not end the connections of abandoned execution ${executionId}'s process; locks it held remain until MariaDB's wait_timeout. ` +
              'Give the service CONNECTION ADMIN, or run every replica as the same MariaDB user (docs/operations.md)',
          );
        }
      }
    },
  };
}

/**
 * Whether this account may end other accounts' connections (`CONNECTION ADMIN`, `SUPER`
 * or every privilege on `*.*`), read from `SHOW GRANTS`; undefined on SQLite. Its own it
 * always may.
 */
export async function endsOtherAccountsSessions(handle: DatabaseHandle<unknown>): Promise<boolean | undefined> {
  if (handle.dialect !== 'mysql') return undefined;
  const { rows } = await sql<Record<string, string>>`SHOW GRANTS`.execute(handle.db);
  return rows.some((row) => Object.values(row).some((grant) => /^GRANT\s+(ALL PRIVILEGES|.*\b(SUPER|CONNECTION ADMIN)\b.*)\s+ON\s+\*\.\*/i.test(String(grant))));
}

export const SESSIONS_OF_ONE_ACCOUNT =
  "batchdb's MariaDB account can end only its own connections (no CONNECTION ADMIN): every replica must use this account, " +
  "or the locks a cut-off replica held stay until MariaDB's wait_timeout when its run is abandoned (docs/operations.md)";
