/** The Fastify application: actuator endpoints, the admin API under /api/batch, OpenAPI. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { createTokenVerifier } from '../security/token-verifier.js';
import { actuatorRoutes } from './actuator-routes.js';
import { adminConsole } from './admin-console.js';
import { anomalyRoutes } from './anomaly-routes.js';
import { archiveRoutes } from './archive-routes.js';
import { auditRoutes } from './audit-routes.js';
import { API_PREFIX, authenticator, requireAdminByDefault } from './authentication.js';
import { executionRoutes } from './execution-routes.js';
import { jobRoutes } from './job-routes.js';
import { readBuildInfo } from '../observability/build-info.js';
import { registerOpenApi } from './openapi.js';
import { clientErrorResponse, problemOf, sendProblem } from './problem.js';
import { registerRateLimit } from './rate-limit.js';
import { reportRoutes } from './report-routes.js';
import { registerRequestInput } from './request-input.js';
import { recordRoutes } from './route-table.js';

export async function buildServer(app: App): Promise<FastifyInstance> {
  // Fastify's own logger stays off: request lines would drown the job logs; errors are logged below.
  const { trustProxy } = app.config.api;
  const server = Fastify({
    logger: false,
    // request.ip (the audited client address) is the TCP peer unless that peer is a trusted proxy.
    // A hop count trusts that many proxies nearest to us (proxy-addr's hop index).
    trustProxy: trustProxy === false ? false : typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : [...trustProxy],
    // An unknown field is a mistake to report (400), not to drop silently: Fastify's default
    // strips it. No type coercion either: request-input.ts says why.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Errors the router meets before any route (a bad %-escape, an over-long path
    // parameter) and those of the HTTP parser (a 100 KB header) are problems like the rest.
    frameworkErrors: (error, _request, reply) => void sendProblem(reply, problemOf(error)),
    clientErrorHandler: (error, socket) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(error));
      socket.destroy(error);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  recordRoutes(server);
  // Every answer is JSON, a problem, a PDF or a page of ours: none may be sniffed into
  // something else (a JSON string holding markup rendered as HTML).
  server.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  server.setErrorHandler((error, request, reply) => {
    const problem = problemOf(error);
    if (problem.status >= 500) app.logger.error({ err: error, url: request.url }, 'request failed');
    return sendProblem(reply, problem);
  });
  server.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { status: 404, detail: `no route ${request.method} ${request.url.split('?')[0]}; the API is described at /v3/api-docs` }),
  );
  const auth = authenticator(createTokenVerifier(app.config.jwt));
  requireAdminByDefault(server, auth);
  registerRequestInput(server);
  await registerRateLimit(server, app.databases.batch);
  await registerOpenApi(server, readBuildInfo(app.config.operations.gitCommit).version);
  await server.register(actuatorRoutes(app, auth));
  for (const routes of [jobRoutes, executionRoutes, reportRoutes, auditRoutes, archiveRoutes, anomalyRoutes]) {
    await server.register(routes(app), { prefix: API_PREFIX });
  }
  await server.register(adminConsole());
  return server;
}
