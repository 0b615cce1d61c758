/** The Fastify application: actuator endpoints (the admin API lands on it too). */
import Fastify, { type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { checkHealth } from './health.js';

export function buildServer(app: App): FastifyInstance {
  // Fastify's own logger stays off: request lines would drown the job logs; errors are logged below.
  const server = Fastify({ logger: false });
  server.get('/actuator/health', async (_request, reply) => {
    const health = await checkHealth(app.databases);
    return reply.code(health.status === 'UP' ? 200 : 503).send(health);
  });
  server.setErrorHandler((error, request, reply) => {
    app.logger.error({ err: error, url: request.url }, 'request failed');
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    void reply
      .code(status)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: status >= 500 ? 'Internal Server Error' : 'Bad Request', status, detail: (error as Error).message });
  });
  return server;
}
