/** Spring Boot Actuator's surfaces, where the platform's tooling expects them (8.5–8.7). */
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { schedules } from '../jobs/registry.js';
import { readBuildInfo } from '../observability/build-info.js';
import { prometheusText } from '../observability/metrics.js';
import { nextFireTimes } from '../cron/quartz-cron.js';
import { PUBLIC, type Authenticator } from './authentication.js';
import { healthRoutes } from './health.js';
import { actuatorSchema } from './schemas.js';

export function actuatorRoutes(app: Pick<App, 'config' | 'health' | 'metrics' | 'operator'>, auth: Authenticator) {
  return async (server: FastifyInstance): Promise<void> => {
    await server.register(healthRoutes(app.health, auth));

    const prometheus = actuatorSchema('Prometheus metrics in the text exposition format', { type: 'string', description: 'text/plain; version=0.0.4' });
    server.get('/actuator/prometheus', { config: PUBLIC, schema: prometheus }, async (_request, reply) => {
      return reply.type(app.metrics.registry.contentType).send(await prometheusText(app.metrics.registry));
    });

    const build = readBuildInfo(app.config.operations.gitCommit);
    const info = actuatorSchema('Build, version, commit, jobs and their schedules (Spring Boot info)', { type: 'object', additionalProperties: true });
    server.get('/actuator/info', { config: PUBLIC, schema: info }, async () => {
      const { config } = app;
      const now = new Date();
      const cronOf = new Map(schedules(config).map((s) => [s.jobName, s.cron]));
      return {
        // `build` and `git.commit.id` are where Spring Boot's info contributors put them.
        build: { name: build.name, version: build.version, description: build.description, time: build.builtAt },
        git: { commit: { id: build.commit } },
        jobs: app.operator.jobNames().map((name) => ({ name, description: app.operator.job(name).description, cron: cronOf.get(name) ?? null })),
        // The zone the schedules, date rules and report months are in (BATCH_TIMEZONE).
        timeZone: config.timeZone,
        scheduler: { enabled: config.scheduler.enabled, timeZone: config.timeZone, misfireGraceMs: config.scheduler.misfireGraceMs },
        schedules: [...cronOf].map(([jobName, cron]) => ({
          jobName,
          cron,
          timeZone: config.timeZone,
          nextFireTimes: nextFireTimes(cron, config.timeZone, now, 3).map((d) => d.toISOString()),
        })),
      };
    });
  };
}
