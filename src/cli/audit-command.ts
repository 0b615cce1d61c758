/** `batch-service audit verify`: walks the audit log's hash chain (10.9); exit 1 names the first broken entry. */
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { closeDatabases, migrate, openDatabases } from '../db/databases.js';
import { AuditLog } from '../security/audit-log.js';

export function registerAuditCommand(program: Command, config: () => Config): void {
  const audit = program.command('audit').description('the audit log');
  audit
    .command('verify')
    .description('check that no audit entry was altered, deleted or reordered; exit 1 when one was')
    .action(async () => {
      const databases = openDatabases(config());
      try {
        await migrate(databases);
        const verdict = await new AuditLog(databases.batch.db).verify();
        if (verdict.intact) {
          console.log(`audit log intact: ${verdict.entries} entries, chain verified`);
          return;
        }
        console.log(`audit log BROKEN at entry ${verdict.brokenAt}: ${verdict.reason} (${verdict.entries} entries before it verified)`);
        process.exitCode = 1;
      } finally {
        await closeDatabases(databases);
      }
    });
}
