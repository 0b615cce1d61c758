/**
 * `batch-service token`: an HS256 admin token for local use, signed with JWT_SECRET or,
 * on the embedded default, with the secret `serve` verifies with (DATA_DIR/jwt-secret).
 *
 * It says on stderr which data directory and which secret it used: a token printed from
 * the wrong folder is otherwise refused by the service with nothing to tell why. It
 * creates a secret only inside an existing data directory, or with `--init`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { isEmbeddedDefault, SECRET_FILE_NAME, withEmbeddedSecret } from '../lifecycle/first-start.js';
import { mintToken } from '../security/token-minter.js';

export function registerTokenCommand(program: Command, config: () => Config): void {
  program
    .command('token')
    .description('print an HS256 API token signed with JWT_SECRET, or with the embedded default\'s secret (for local use; production tokens come from the gateway)')
    .requiredOption('--sub <name>', 'subject: who the token speaks for (audit log, rate limit)')
    .option('--role <role>', 'role, repeatable, e.g. ROLE_ADMIN', (role: string, roles: string[]) => [...roles, role], [] as string[])
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 1h, 2d', '1h')
    .option('--init', 'embedded default: create the data directory and its secret when there is none yet')
    .action(async (opts: { sub: string; role: string[]; ttl: string; init?: boolean }) => {
      const loaded = config();
      const secretFile = path.join(loaded.dataDir, SECRET_FILE_NAME);
      if (isEmbeddedDefault(loaded) && !existsSync(loaded.dataDir) && !opts.init) {
        throw new Error(
          `no data directory at ${loaded.dataDir}, so no secret the service would verify this token with; run the command where the service runs, set DATA_DIR (or JWT_SECRET), or pass --init to create ${secretFile}`,
        );
      }
      const { config: cfg, created } = withEmbeddedSecret(loaded);
      console.error(`batch-service: data directory ${cfg.dataDir}; ${secretSource(cfg, created)}`);
      console.log(await mintToken(cfg.jwt, { subject: opts.sub, roles: opts.role, ttl: opts.ttl }));
    });
}

function secretSource(cfg: Config, created: boolean): string {
  if (cfg.jwt.secretFile !== undefined) {
    return created ? `signed with a new secret just created in ${cfg.jwt.secretFile}` : `signed with the secret in ${cfg.jwt.secretFile}`;
  }
  if (cfg.jwt.secret !== undefined) return 'signed with JWT_SECRET';
  return 'no JWT_SECRET: this command cannot sign a token (the service verifies with JWT_JWKS_URL)';
}
