/**
 * 6.1 and 10.2: every `/api/batch/**` request needs a valid bearer token (else 401)
 * holding the admin role (else 403), unknown paths included, so the API's shape is
 * not visible without a token. Runs first (onRequest), before validation and rate
 * limiting, which is keyed by the principal this puts on the request.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessDeniedError, AuthenticationError } from '../security/errors.js';
import { isAdmin } from '../security/roles.js';
import type { Principal, TokenVerifier } from '../security/token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every `/api/batch/**` request that got past authentication. */
    principal: Principal | null;
  }
}

export const API_PREFIX = '/api/batch';

export function requireAdmin(server: FastifyInstance, verifier: TokenVerifier): void {
  server.decorateRequest('principal', null);
  server.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) return;
    const principal = await verifier.verify(bearerToken(request));
    if (!isAdmin(principal.roles)) {
      throw new AccessDeniedError(`${principal.subject} lacks the admin role (ROLE_ADMIN or ADMIN) that /api/batch requires`);
    }
    request.principal = principal;
  });
}

/** The principal of an authenticated API request; routes run only after requireAdmin let it through. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AuthenticationError('no authenticated principal on this request');
  return request.principal;
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) throw new AuthenticationError('no token: send the header Authorization: Bearer <JWT>');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AuthenticationError('malformed Authorization header: expected Bearer <JWT>');
  return match[1];
}
