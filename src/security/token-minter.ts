/**
 * Mints HS256 tokens with JWT_SECRET for local use and tests (`batch-service token`).
 * Production tokens come from the platform's gateway (10.1).
 */
import { SignJWT } from 'jose';
import type { Config } from '../config.js';

export interface TokenRequest {
  readonly subject: string;
  readonly roles: readonly string[];
  /** jose's duration syntax: `90s`, `30m`, `1h`, `2d`. */
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
  if (!/^\d+\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)$/.test(request.ttl)) {
    throw new TokenMintError(`--ttl ${JSON.stringify(request.ttl)}: expected a duration such as 90s, 30m, 1h or 2d`);
  }
  let jwt = new SignJWT({ [settings.rolesClaim]: [...request.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.subject)
    .setIssuedAt()
    .setExpirationTime(request.ttl);
  if (settings.issuer !== undefined) jwt = jwt.setIssuer(settings.issuer);
  if (settings.audience !== undefined) jwt = jwt.setAudience(settings.audience);
  return jwt.sign(new TextEncoder().encode(settings.secret));
}
