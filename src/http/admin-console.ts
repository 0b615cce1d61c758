/**
 * The admin console (11.4) at `/admin/`: the static files `npm run build` leaves in
 * dist/admin (scripts/build-admin.mjs), nothing built at run time. The files are public,
 * like Swagger UI's: the page is a client of /api/batch, and every call it makes needs an
 * admin token like any other client's.
 *
 * The token lives in the page, so the page must not be injectable: the headers below,
 * scoped to these routes, allow scripts, styles and requests from this origin only (no
 * inline script or style, no eval), no framing, no referrer (the URL fragment may hold a
 * token for an instant), no MIME sniffing. HSTS is left to the gateway that terminates
 * TLS: a service on plain HTTP behind it has no business pinning the whole host.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { projectFile } from '../project-root.js';
import { publicScope } from './authentication.js';
import { sendProblem } from './problem.js';

export const ADMIN_PREFIX = '/admin';

/** Where `npm run build` puts the console. */
export const ADMIN_FILES = fileURLToPath(projectFile('dist/admin/'));

/** The Content-Security-Policy of every /admin response; the test checks it header for header. */
export const ADMIN_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/**
 * Registers the console: `await server.register(adminConsole())`. `directory` holds the
 * built files (the default is dist/admin); without them, /admin says how to build them.
 */
export function adminConsole(directory: string = ADMIN_FILES) {
  return async (scope: FastifyInstance): Promise<void> => {
    publicScope(scope);
    await scope.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: ADMIN_CSP },
      referrerPolicy: { policy: 'no-referrer' },
      xFrameOptions: { action: 'deny' },
      strictTransportSecurity: false,
    });
    // The page's assets are named relative to /admin/: the bare path must end with the slash.
    scope.get(ADMIN_PREFIX, { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${ADMIN_PREFIX}/`, 301));
    if (!existsSync(`${directory}/index.html`)) {
      scope.get(`${ADMIN_PREFIX}/`, { schema: { hide: true } }, async (_request, reply) =>
        sendProblem(reply, { status: 404, detail: `the admin console is not built (no ${directory}/index.html); run npm run build` }),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root: directory,
      prefix: `${ADMIN_PREFIX}/`,
      // One route per built file, listed at start: any other /admin path is an unknown route like the API's.
      wildcard: false,
      index: ['index.html'],
      globIgnore: ['**/*.gz', '**/*.br', '**/*.tmp'],
      preCompressed: true,
      // Plain file names, revalidated on each load (ETag, 304): a rebuild is seen at once.
      cacheControl: false,
      setHeaders: (reply) => {
        reply.header('cache-control', 'no-cache');
      },
    });
  };
}
