/**
 * `batch-service serve`: migrations, demo data on an empty embedded default, abandoned
 * runs cleaned up, HTTP on PORT, the scheduler (with its misfires), Eureka, and an orderly
 * stop on SIGTERM/SIGINT. On the embedded default, the generated JWT secret and the
 * console link (lifecycle/first-start.ts); for a person, the start banner.
 */
import type { AddressInfo } from 'node:net';
import { createApp, whenReachable } from './app.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/connect.js';
import { generateDemoData, siblingDatabasesAreEmpty } from './db/fixtures/demo-data.js';
import { endsOtherAccountsSessions, SESSIONS_OF_ONE_ACCOUNT } from './db/sessions.js';
import { EurekaClient } from './discovery/eureka-client.js';
import { buildServer } from './http/server.js';
import { schedules } from './jobs/registry.js';
import { onTerminationSignal } from './lifecycle/graceful-shutdown.js';
import { closeLogFiles, createLogger } from './observability/logger.js';
import { contractIndicator } from './observability/contract-health.js';
import { announceStart } from './lifecycle/start-banner.js';
import { Scheduler } from './schedule/scheduler.js';
import { consoleLink, usesOnlySqlite, withEmbeddedArchiveKey, withEmbeddedSecret } from './lifecycle/first-start.js';

export async function startService(loaded: Config): Promise<void> {
  const withKey = withEmbeddedArchiveKey(loaded, { create: true });
  const { config, created } = withEmbeddedSecret(withKey.config);
  const logger = createLogger({ level: config.logLevel, logDir: config.logDir, format: config.logFormat });
  if (withKey.created) logger.info(`embedded default: archive key generated in ${config.archiveKeyFile} (set ARCHIVE_KEYS or ARCHIVE_KEY_FILE for production)`);
  if (config.jwt.secretFile !== undefined) {
    logger.info(
      `embedded default: API tokens are verified with the secret ${created ? 'just generated in' : 'kept in'} ${config.jwt.secretFile} (set JWT_SECRET or JWT_JWKS_URL for production)`,
    );
  }
  // The last line, not the mechanism: every background promise of the service is handled
  // where it starts; one that slips through is logged instead of ending the process.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection (a bug: please report it); the service goes on'));
  const app = await createApp(config, logger);
  const { databases } = app;
  // Said once, by the service at start (and in health, `sessionKill`), not by every CLI
  // command: an abandoner may end only its own account's connections.
  endsOtherAccountsSessions(databases.batch as DatabaseHandle<unknown>)
    .then((any) => {
      if (any === false) logger.warn(SESSIONS_OF_ONE_ACCOUNT);
    })
    .catch((error: unknown) => logger.debug({ err: error }, "SHOW GRANTS failed; whether abandoned runs' connections can be ended is unknown"));

  if (config.demoData === 'auto' && usesOnlySqlite(config) && (await siblingDatabasesAreEmpty(databases))) {
    const summary = await generateDemoData(databases, { uploadsDir: config.uploadsDir });
    logger.info({ summary }, 'empty embedded databases: demo data created');
  }
  // Issue 16: a sibling database off the contract is logged and shown by health, never fatal.
  app.health.register(contractIndicator(databases, logger));
  const abandoned = await whenReachable('sweep of abandoned runs', () => app.operator.abandonStale(), config.dbStartupWaitMs, logger);
  if (abandoned.length > 0) logger.warn({ executions: abandoned.map((e) => e.id) }, 'runs left by a dead process marked FAILED (restartable)');
  // A run whose process died shows FAILED within about one heartbeat timeout, not only at the next launch.
  const stopSweeping = app.operator.sweepEvery(config.engine.heartbeatIntervalMs * 3);
  // Failure mails a dead process committed but never sent go out now, then at the same pace.
  void app.mailOutbox.deliverPending().catch((error: unknown) => logger.warn({ err: error }, 'mail outbox round failed; trying again later'));
  const stopMailing = app.mailOutbox.every(config.engine.heartbeatIntervalMs * 3);
  // JOB_EXECUTION_END entries a dead process never appended (security/audit-listener.ts).
  const stopAuditing = app.endAudit.every(config.engine.heartbeatIntervalMs * 3, logger);

  app.relay?.start();

  const server = await buildServer(app);
  await server.listen({ port: config.port, host: config.host });
  const port = (server.server.address() as AddressInfo).port;
  logger.info({ port }, `batch-service listening on port ${port}`);

  const scheduler = config.scheduler.enabled
    ? new Scheduler(app.operator, schedules(config), { timeZone: config.timeZone, misfireGraceMs: config.scheduler.misfireGraceMs, logger })
    : undefined;
  app.metrics.scheduledJobs.set(scheduler?.jobs.length ?? 0);
  await whenReachable('missed fires', async () => scheduler?.start(), config.dbStartupWaitMs, logger);

  const { eureka: eurekaSettings } = config.operations;
  const eureka = eurekaSettings.url
    ? new EurekaClient({ serviceUrl: eurekaSettings.url, heartbeatIntervalMs: eurekaSettings.heartbeatIntervalMs, logger })
    : undefined;
  eureka?.start({ hostName: eurekaSettings.instanceHost, ipAddr: eurekaSettings.instanceIp, port });

  onTerminationSignal(
    () => [
      // Out of the registry first: clients keep routing to a known instance until it leaves.
      { name: 'readiness out of service', run: () => app.health.markShuttingDown() },
      { name: 'deregister from Eureka', run: () => eureka?.stop() },
      { name: 'stop the scheduler', run: () => scheduler?.stop() },
      { name: 'stop sweeping for abandoned runs', run: () => stopSweeping() },
      { name: 'stop sending the mail outbox', run: () => stopMailing() },
      { name: 'stop auditing missed ends', run: () => stopAuditing() },
      { name: 'stop accepting requests', run: () => server.close() },
      {
        name: 'stop running jobs at their chunk boundary',
        run: async () => {
          const stopped = await app.operator.stopAll();
          if (stopped.length > 0) {
            logger.warn(
              { executions: stopped.map((e) => ({ id: e.id, job: e.jobName, status: e.status })) },
              `runs interrupted by the shutdown; restart with: ${stopped.map((e) => `batch-service restart ${e.id}`).join('; ')}`,
            );
          }
        },
      },
      { name: 'close database pools', run: () => app.close() },
    ],
    { timeoutMs: config.operations.shutdownTimeoutMs, logger, finally: () => closeLogFiles(logger) },
  );
  // Last, once SIGTERM is handled: a person or a test acting on the banner meets a service fully up.
  announceStart(config, port, await consoleLink(config, { port }), logger);
}
