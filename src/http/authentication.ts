/**
 * 6.1 and 10.2: every route needs a valid bearer token (else 401) holding the admin role
 * (else 403), unless the route itself says `config: PUBLIC` (health, metrics, the API
 * description). Unknown paths need one too, so the API's shape is not visible without it.
 *
 * Why by route and not by URL text: the router decodes the path (`/api/b%61tch/audit`
 * is `/api/batch/audit` to it), ignores nothing and matches what it matches; a check on
 * the raw URL and a router reading another spelling of it disagree, and every
 * disagreement is a way in. Deciding on the route the request was matched to leaves one
 * reader of the URL, the router, and makes a new route protected unless it opts out.
 *
 * Runs first (onRequest), before parsing, validation and rate limiting, which is keyed by
 * the principal this puts on the request.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessDeniedError, AuthenticationError } from '../security/errors.js';
import { isAdmin } from '../security/roles.js';
import type { Principal, TokenVerifier } from '../security/token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every request that got past authentication; null on public routes. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The route answers without a token (see PUBLIC). */
    readonly public?: boolean;
  }
}

export const API_PREFIX = '/api/batch';

/** Route option of the few routes anyone may call: `{ config: PUBLIC }`. */
export const PUBLIC = { public: true } as const;

export interface Authenticator {
  /** The admin behind the request's token; throws AuthenticationError (401) or AccessDeniedError (403). */
  admin(request: FastifyRequest): Promise<Principal>;
  /** Whether the request carries a valid admin token, for public routes that show more to admins. */
  isAdmin(request: FastifyRequest): Promise<boolean>;
}

export function authenticator(verifier: TokenVerifier): Authenticator {
  const admin = async (request: FastifyRequest) => {
    const principal = await verifier.verify(bearerToken(request));
    if (!isAdmin(principal.roles)) {
      throw new AccessDeniedError(`${principal.subject} lacks the admin role (ROLE_ADMIN or ADMIN) that this API requires`);
    }
    return principal;
  };
  return {
    admin,
    async isAdmin(request) {
      if (request.headers.authorization === undefined) return false;
      return admin(request).then(
        () => true,
        () => false,
      );
    },
  };
}

/** Registers the check for every route of `server`, present and future, public ones excepted. */
export function requireAdminByDefault(server: FastifyInstance, auth: Authenticator): void {
  server.decorateRequest('principal', null);
  server.addHook('onRequest', async (request) => {
    // A not-found request matched no route: nothing it could reach is public.
    if (!request.is404 && request.routeOptions.config.public === true) return;
    request.principal = await auth.admin(request);
  });
}

/** Marks every route registered inside `scope` (a plugin's, say) as public. */
export function publicScope(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, ...PUBLIC };
  });
}

/** The principal of an authenticated request; routes run only after requireAdminByDefault let it through. */
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
