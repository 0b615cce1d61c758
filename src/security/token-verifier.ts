/**
 * Verifies API tokens (6.10, Property 51) with jose: signature under an algorithm
 * allow-list, `exp`/`nbf` with a small leeway, `iss`/`aud` when configured. A token must
 * expire, and not too late: one without `exp`, or living longer than JWT_MAX_TTL, is a
 * credential that cannot be taken back, and is refused.
 *
 * Each key source has its own allow-list and a token is only ever checked against the
 * source its `alg` belongs to: HS256 against JWT_SECRET, RS256/ES256 against the JWKS.
 * A token HMAC-signed with the JWKS's public key (HS/RS confusion) or with `alg: none`
 * therefore never reaches a key it could abuse.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Config } from '../config.js';
import { AuthenticationError } from './errors.js';
import { rolesOf } from './roles.js';

export interface Principal {
  /** The token's `sub`: who acts (audit log, rate limit key). */
  readonly subject: string;
  readonly roles: readonly string[];
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export const HMAC_ALGORITHMS: readonly string[] = ['HS256'];
export const ASYMMETRIC_ALGORITHMS: readonly string[] = ['RS256', 'ES256'];
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * @example
 * const verifier = createTokenVerifier(config.jwt);
 * const { subject, roles } = await verifier.verify(bearerToken); // throws AuthenticationError
 */
export function createTokenVerifier(settings: Config['jwt']): TokenVerifier {
  // Imported once: jose would otherwise import raw secret bytes again for every token.
  const secret =
    settings.secret === undefined
      ? undefined
      : crypto.subtle.importKey('raw', new TextEncoder().encode(settings.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const jwks = settings.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(settings.jwksUrl));
  const common: JWTVerifyOptions = {
    clockTolerance: settings.clockSkewSeconds,
    requiredClaims: ['exp'],
    ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
    ...(settings.audience === undefined ? {} : { audience: settings.audience }),
  };
  const accepted = [...(secret ? HMAC_ALGORITHMS : []), ...(jwks ? ASYMMETRIC_ALGORITHMS : [])];

  // Verifying a signature costs more than the rest of a typical API call; a token that
  // verified once is good, byte for byte, until its `exp`. Bounded: oldest out first.
  const verified = new Map<string, { readonly principal: Principal; readonly until: number }>();

  return {
    async verify(token) {
      const known = verified.get(token);
      if (known && Date.now() < known.until) return known.principal;
      verified.delete(token);
      if (!secret && !jwks) {
        throw new AuthenticationError('the API has no token verifier configured: set JWT_SECRET (HS256) or JWT_JWKS_URL (RS256/ES256)');
      }
      const alg = algorithmOf(token);
      if (!accepted.includes(alg)) {
        throw new AuthenticationError(`token algorithm ${JSON.stringify(alg)} is not accepted here; accepted: ${accepted.join(', ')}`);
      }
      let payload: JWTPayload;
      try {
        payload = HMAC_ALGORITHMS.includes(alg)
          ? (await jwtVerify(token, await secret!, { ...common, algorithms: [...HMAC_ALGORITHMS] })).payload
          : (await jwtVerify(token, jwks!, { ...common, algorithms: [...ASYMMETRIC_ALGORITHMS] })).payload;
      } catch (error) {
        throw new AuthenticationError(`invalid token: ${reason(error)}`, { cause: error });
      }
      // `sub` is the actor of the audit log and the rate limit's key: blanks would be nobody.
      if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw new AuthenticationError('invalid token: it has no `sub` claim (or only blanks)');
      // jose checks `iat` only against a maximum age; a token "issued" in the future is forged or from a clock far off.
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + settings.clockSkewSeconds) {
        throw new AuthenticationError(`invalid token: \`iat\` is ${Math.round(payload.iat - Date.now() / 1000)} s in the future, beyond JWT_CLOCK_SKEW (${settings.clockSkewSeconds} s)`);
      }
      const exp = payload.exp!; // requiredClaims: jose refused a token without a numeric exp
      refuseLongLived(exp, payload.iat, settings);
      const principal = { subject: payload.sub, roles: rolesOf(payload, settings.rolesClaim) };
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, until: (exp + settings.clockSkewSeconds) * 1000 });
      return principal;
    },
  };
}

/**
 * A lifetime is measured from `iat` when the token says when it was issued, else from now.
 * An `iat` in the future counts as now: it would otherwise stretch a token's life at will.
 */
function refuseLongLived(exp: number, iat: number | undefined, settings: Config['jwt']): void {
  const now = Math.floor(Date.now() / 1000);
  const from = typeof iat === 'number' ? Math.min(iat, now) : now;
  const lifetime = exp - from;
  if (lifetime > settings.maxTtlSeconds + settings.clockSkewSeconds) {
    throw new AuthenticationError(
      `invalid token: it lives ${lifetime} s (\`exp\` − ${typeof iat === 'number' ? '`iat`' : 'now'}), longer than JWT_MAX_TTL (${settings.maxTtlSeconds} s); ask for a shorter-lived one`,
    );
  }
}

function algorithmOf(token: string): string {
  try {
    return decodeProtectedHeader(token).alg ?? 'none';
  } catch {
    throw new AuthenticationError('invalid token: not a JWS compact serialization (header.payload.signature)');
  }
}

/** jose's messages are precise but terse; these say what to do. */
function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'it has expired (`exp`); get a new one';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing') {
    return 'it has no `exp` claim; tokens must expire (at most JWT_MAX_TTL after they are issued)';
  }
  if (error instanceof errors.JWTClaimValidationFailed) return `claim \`${error.claim}\` ${error.reason === 'check_failed' ? 'does not match' : error.reason}: ${error.message}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of JWT_JWKS_URL matches its `kid`';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
