/**
 * `GET /actuator/health` and its Kubernetes probes, Spring Boot's paths and shapes (8.5):
 * 200 when UP, 503 otherwise, with the failing component named. Liveness answers UP as
 * long as the process serves requests — a database outage is no reason to restart it;
 * readiness follows batchdb and goes OUT_OF_SERVICE as soon as shutdown begins.
 *
 * Details (paths, sizes, URLs, errors) are for admins, as Spring's
 * `show-details: when-authorized`: anyone sees the overall status and each component's.
 */
import type { FastifyInstance } from 'fastify';
import type { Health, HealthRegistry } from '../observability/health.js';
import { PUBLIC, type Authenticator } from './authentication.js';
import { actuatorSchema, HealthView } from './schemas.js';

export function healthRoutes(health: HealthRegistry, auth: Authenticator) {
  return async (server: FastifyInstance): Promise<void> => {
    const document = (url: string, summary: string, check: () => Promise<Health>) =>
      server.get(url, { config: PUBLIC, schema: actuatorSchema(summary, HealthView, { 503: HealthView }) }, async (request, reply) => {
        const result = await check();
        return reply.code(result.status === 'UP' ? 200 : 503).send((await auth.isAdmin(request)) ? result : withoutDetails(result));
      });
    document('/actuator/health', 'Every component’s status; details (paths, sizes, errors) with an admin token only', () => health.check());
    document('/actuator/health/readiness', 'Readiness probe: UP when batchdb is usable and the service is not shutting down', () => health.readiness());
    server.get('/actuator/health/liveness', { config: PUBLIC, schema: actuatorSchema('Liveness probe: UP while the process serves requests', HealthView) }, async () => ({
      status: 'UP',
    }));
  };
}

function withoutDetails(document: Health): { status: string; components: Record<string, { status: string }> } {
  return {
    status: document.status,
    components: Object.fromEntries(Object.entries(document.components).map(([name, c]) => [name, { status: c.status }])),
  };
}
