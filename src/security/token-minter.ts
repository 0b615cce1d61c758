/**
 * Mints HS256 tokens with JWT_SECRET for local use and tests (`batch-service token`).
 * Production tokens come from the platform's gateway (10.1).
 */
import { SignJWT } from 'jose';
import { parseDuration, type Config } from '../config.js';

export interface TokenRequest {
  readonly subject: string;
  readonly roles: readonly string[];
  /** `90s`, `30m`, `1h`, `2d`: at most JWT_MAX_TTL, or the service would refuse the token. */
  readonly ttl: string;
}

export class TokenMintError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenMintError';
  }
}

/**
 * @example
 * const token = await mintToken(config.jwt, { subject: 'alice', roles: ['ROLE_ADMIN'], ttl: '1h' });
 */
export async function mintToken(settings: Config['jwt'], request: TokenRequest): Promise<string> {
  if (settings.secret === undefined) {
    throw new TokenMintError('JWT_SECRET is not set: tokens are signed with it (HS256); set it to at least 32 random bytes, the same as the service uses');
  }
  const ttlMs = parseDuration(request.ttl);
  if (ttlMs === undefined || ttlMs < 1000) {
    throw new TokenMintError(`--ttl ${JSON.stringify(request.ttl)}: expected a duration such as 90s, 30m, 1h or 2d`);
  }
  if (ttlMs > settings.maxTtlSeconds * 1000) {
    throw new TokenMintError(`--ttl ${request.ttl} is longer than JWT_MAX_TTL (${settings.maxTtlSeconds} s): the service would refuse the token`);
  }
  let jwt = new SignJWT({ [settings.rolesClaim]: [...request.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.subject)
    .setIssuedAt()
    .setExpirationTime(`${Math.floor(ttlMs / 1000)}s`);
  if (settings.issuer !== undefined) jwt = jwt.setIssuer(settings.issuer);
  if (settings.audience !== undefined) jwt = jwt.setAudience(settings.audience);
  return jwt.sign(new TextEncoder().encode(settings.secret));
}
