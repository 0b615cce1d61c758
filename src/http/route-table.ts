/**
 * Every route the server declares, as Fastify registers it: what the authentication
 * property test walks and what the OpenAPI check compares with the document, so a new
 * route is covered by both without anyone editing a list.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
  /** Left out of the OpenAPI document on purpose (`schema.hide`: Swagger UI's files, the document itself). */
  readonly hidden: boolean;
}

interface Entry {
  readonly options: RouteOptions;
  readonly method: string;
  readonly url: string;
}

const TABLES = new WeakMap<FastifyInstance, Entry[]>();

/** Call before any route is registered. */
export function recordRoutes(server: FastifyInstance): void {
  const table: Entry[] = [];
  TABLES.set(server, table);
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) table.push({ options: route, method, url: route.url });
  });
}

/**
 * Read when asked, not when the route was added: a scope's own onRoute hooks (publicScope)
 * run after this root one and may still mark the route public.
 */
export function registeredRoutes(server: FastifyInstance): readonly RegisteredRoute[] {
  return (TABLES.get(server) ?? []).map(({ options, method, url }) => ({
    method,
    url,
    public: (options.config as { public?: boolean } | undefined)?.public === true,
    hidden: (options.schema as { hide?: boolean } | undefined)?.hide === true,
  }));
}
