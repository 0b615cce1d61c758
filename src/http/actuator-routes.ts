/** Spring Boot Actuator's surfaces, where the platform's tooling expects them. */
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { checkHealth } from './health.js';

export function actuatorRoutes(app: App) {
  return async (server: FastifyInstance): Promise<void> => {
    server.get('/actuator/health', async (_request, reply) => {
      const health = await checkHealth(app.databases);
      return reply.code(health.status === 'UP' ? 200 : 503).send(health);
    });
  };
}
