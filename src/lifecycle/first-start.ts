/**
 * The embedded default's way in (issue 14): `npm start` with no JWT setting and only
 * SQLite databases generates an HS256 secret in `DATA_DIR/jwt-secret` at first start,
 * reuses it afterwards, and hands out a link to the admin console holding a 12-hour admin
 * token — the way notebook servers print their first URL. Never in production: any JWT
 * setting (JWT_SECRET, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE) or any MariaDB database
 * turns all of it off, and the file is then neither read nor created.
 *
 * Write order: the secret is written whole to a private temporary file, then hard-linked
 * to its name. link(2) fails when the name exists, so of two processes starting at once
 * the second reads the first's secret instead of replacing it — a rename would replace
 * it, and the links the first had printed would stop verifying. Opening the name itself
 * with `wx` would keep that, but let the second read a file still empty.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Config } from '../config.js';
import { archiveKeysProblem } from '../archives/archive-keys.js';
import { mintToken } from '../security/token-minter.js';

export const SECRET_FILE_NAME = 'jwt-secret';
/** A working day in the console; JWT_MAX_TTL, when shorter, wins (the service would refuse more). */
const LINK_TTL_SECONDS = 12 * 3_600;
/** HS256 needs a 256-bit key; JWT_SECRET is held to the same floor (config.ts). */
const MIN_SECRET_BYTES = 32;

export class EmbeddedSecretError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmbeddedSecretError';
  }
}

export interface FirstStart {
  /** The configuration to run with: on the embedded default, its `jwt.secret` is the file's. */
  readonly config: Config;
  /** True when this call generated the secret (the very first start). */
  readonly created: boolean;
}

/** Every database is a SQLite file: the default under DATA_DIR, or an explicit `sqlite:` URL. */
export function usesOnlySqlite(config: Pick<Config, 'databases'>): boolean {
  return Object.values(config.databases).every((url) => url.startsWith('sqlite:'));
}

/** No JWT setting at all and SQLite only: a laptop or a demo, never production. */
export function isEmbeddedDefault(config: Config): boolean {
  const { secret, jwksUrl, issuer, audience } = config.jwt;
  return [secret, jwksUrl, issuer, audience].every((setting) => setting === undefined) && usesOnlySqlite(config);
}

/**
 * On the embedded default, the configuration verifying tokens with `DATA_DIR/jwt-secret`
 * (created on first call) exactly as if JWT_SECRET held it; otherwise `config` unchanged.
 * Throws EmbeddedSecretError naming the file when it is unsafe or unusable.
 *
 * @example
 * const { config, created } = withEmbeddedSecret(loadConfig());
 * if (config.jwt.secretFile) logger.info(`tokens are verified with ${config.jwt.secretFile}`);
 */
export function withEmbeddedSecret(config: Config): FirstStart {
  if (config.jwt.secretFile !== undefined || !isEmbeddedDefault(config)) return { config, created: false };
  const file = path.join(config.dataDir, SECRET_FILE_NAME);
  const created = !existsAsFile(file) && claimSecretFile(file, randomBytes(MIN_SECRET_BYTES).toString('base64url'));
  const secret = readSecretFile(file);
  return { config: { ...config, jwt: { ...config.jwt, secret, secretFile: file } }, created };
}

export const ARCHIVE_KEY_FILE_NAME = 'archive-keys';

/**
 * On the embedded default without ARCHIVE_KEYS or ARCHIVE_KEY_FILE, the configuration
 * reading `DATA_DIR/archive-keys` as if ARCHIVE_KEY_FILE named it — so the demo's
 * archiveJob runs and health is UP. `create` makes the file (one 32-byte key, mode 0600)
 * when it is missing: `serve` does, other commands only use the one serve made, so a
 * command run from the wrong folder leaves nothing behind. Keeping the key beside the
 * archives protects nothing against someone holding the data directory: production
 * sets ARCHIVE_KEYS or ARCHIVE_KEY_FILE, and any JWT or MariaDB setting turns this off.
 */
export function withEmbeddedArchiveKey(config: Config, options: { readonly create: boolean }): { config: Config; created: boolean } {
  if (config.archiveKeys !== undefined || config.archiveKeyFile !== undefined || !isEmbeddedDefault(config)) return { config, created: false };
  const file = path.join(config.dataDir, ARCHIVE_KEY_FILE_NAME);
  const created = !existsAsFile(file) && options.create && claimSecretFile(file, `local:${randomBytes(32).toString('base64')}`, 'archive key');
  if (!existsAsFile(file)) return { config, created };
  const problem = archiveKeysProblem({ archiveKeyFile: file });
  if (problem !== undefined) throw new EmbeddedSecretError(`the embedded default's archive key: ${problem}; or set ARCHIVE_KEYS`);
  return { config: { ...config, archiveKeyFile: file }, created };
}

/**
 * Puts `secret` at `file` unless a file is there already (another process won the race);
 * true when this call's secret is the one kept.
 */
export function claimSecretFile(file: string, secret: string, what = 'JWT secret'): boolean {
  const temporary = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx', flush: true });
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new EmbeddedSecretError(
      `cannot create the embedded default's ${what} ${file}: ${(error as Error).message}; make DATA_DIR writable, or set ${what === 'JWT secret' ? 'JWT_SECRET' : 'ARCHIVE_KEYS'}`,
      { cause: error },
    );
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** The secret in `file`, refused unless only its owner can read it (like ARCHIVE_KEY_FILE). */
export function readSecretFile(file: string): string {
  const stats = statSync(file);
  if (!stats.isFile()) throw new EmbeddedSecretError(`${file} (the embedded default's JWT secret) is not a regular file; remove it, or set JWT_SECRET`);
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new EmbeddedSecretError(
      `${file} (the embedded default's JWT secret) can be read by others (mode ${mode.toString(8).padStart(3, '0')}); chmod 600 it, or delete it to have a new one generated at the next start (tokens signed with the old one then stop working)`,
    );
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw new EmbeddedSecretError(
      `${file} (the embedded default's JWT secret) holds ${Buffer.byteLength(secret)} bytes, fewer than the ${MIN_SECRET_BYTES} HS256 needs; delete it to have a new one generated at the next start`,
    );
  }
  return secret;
}

/**
 * The admin console's address with an admin token in its fragment — a fragment never
 * reaches the server, so the token stays out of access logs, proxies and Referer
 * headers. Undefined unless the secret is the embedded default's (`withEmbeddedSecret`).
 *
 * @example
 * const link = await consoleLink(config, { port: 8085 });
 * // http://localhost:8085/admin/#token=eyJhbGciOiJIUzI1NiIs…
 */
export async function consoleLink(config: Config, options: { readonly port?: number } = {}): Promise<string | undefined> {
  if (config.jwt.secretFile === undefined) return undefined;
  const ttlSeconds = Math.min(LINK_TTL_SECONDS, Math.floor(config.jwt.maxTtlSeconds));
  const token = await mintToken(config.jwt, { subject: 'admin', roles: ['ROLE_ADMIN'], ttl: `${ttlSeconds}s` });
  return `${serviceUrl(config, options.port)}/admin/#token=${token}`;
}

/**
 * Where a browser on this machine reaches the service: `localhost` when it listens on
 * every address or on loopback, else HOST itself.
 */
export function serviceUrl(config: Pick<Config, 'host' | 'port'>, port = config.port): string {
  const host = config.host;
  const local = ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost'].includes(host);
  const shown = local ? 'localhost' : isIP(host) === 6 ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

function existsAsFile(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new EmbeddedSecretError(`cannot read the embedded default's JWT secret ${file}: ${(error as Error).message}`, { cause: error });
  }
}
