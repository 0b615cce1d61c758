/** The Fastify application: actuator endpoints (the admin API lands on it too). */
import Fastify, { type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actuatorRoutes } from './actuator-routes.js';

export async function buildServer(app: App): Promise<FastifyInstance> {
  // Fastify's own logger stays off: request lines would drown the job logs; errors are logged below.
  const server = Fastify({ logger: false });
  server.setErrorHandler((error, request, reply) => {
    app.logger.error({ err: error, url: request.url }, 'request failed');
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    void reply
      .code(status)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: status >= 500 ? 'Internal Server Error' : 'Bad Request', status, detail: (error as Error).message });
  });
  await server.register(actuatorRoutes(app));
  return server;
}
