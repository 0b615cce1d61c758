/**
 * `GET /actuator/health` and its Kubernetes probes, Spring Boot's paths and shapes (8.5):
 * 200 when UP, 503 otherwise, with the failing component named. Liveness answers UP as
 * long as the process serves requests — a database outage is no reason to restart it;
 * readiness follows batchdb and goes OUT_OF_SERVICE as soon as shutdown begins.
 */
import type { FastifyInstance } from 'fastify';
import type { Health, HealthRegistry } from '../observability/health.js';

export function healthRoutes(health: HealthRegistry) {
  return async (server: FastifyInstance): Promise<void> => {
    const send = (document: Health) => ({ code: document.status === 'UP' ? 200 : 503, document });
    server.get('/actuator/health', async (_request, reply) => {
      const { code, document } = send(await health.check());
      return reply.code(code).send(document);
    });
    server.get('/actuator/health/liveness', async () => ({ status: 'UP' }));
    server.get('/actuator/health/readiness', async (_request, reply) => {
      const { code, document } = send(await health.readiness());
      return reply.code(code).send(document);
    });
  };
}
