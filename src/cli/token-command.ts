/** `batch-service token`: an HS256 admin token for local use, signed with JWT_SECRET. */
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { mintToken } from '../security/token-minter.js';

export function registerTokenCommand(program: Command, config: () => Config): void {
  program
    .command('token')
    .description('print an HS256 API token signed with JWT_SECRET (for local use; production tokens come from the gateway)')
    .requiredOption('--sub <name>', 'subject: who the token speaks for (audit log, rate limit)')
    .option('--role <role>', 'role, repeatable, e.g. ROLE_ADMIN', (role: string, roles: string[]) => [...roles, role], [] as string[])
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 1h, 2d', '1h')
    .action(async (opts: { sub: string; role: string[]; ttl: string }) => {
      console.log(await mintToken(config().jwt, { subject: opts.sub, roles: opts.role, ttl: opts.ttl }));
    });
}
