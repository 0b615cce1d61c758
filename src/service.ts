/**
 * `batch-service serve`: migrations, demo data on an empty embedded default, abandoned
 * runs cleaned up, HTTP on PORT, the scheduler, and an orderly stop on SIGTERM/SIGINT.
 */
import { createApp } from './app.js';
import type { Config } from './config.js';
import { generateDemoData, siblingDatabasesAreEmpty } from './db/fixtures/demo-data.js';
import { kafkaSender } from './events/event-sender.js';
import { OutboxRelay } from './events/outbox-relay.js';
import { buildServer } from './http/server.js';
import { schedules } from './jobs/registry.js';
import { createLogger } from './observability/logger.js';
import { startScheduler, type Scheduler } from './schedule/scheduler.js';

export async function startService(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel, logDir: config.logDir });
  const app = await createApp(config, logger);
  const { databases } = app;

  const embedded = Object.values(config.databases).every((url) => url.startsWith('sqlite:'));
  if (config.demoData === 'auto' && embedded && (await siblingDatabasesAreEmpty(databases))) {
    const summary = await generateDemoData(databases, { uploadsDir: config.uploadsDir });
    logger.info({ summary }, 'empty embedded databases: demo data created');
  }
  const abandoned = await app.operator.abandonStale();
  if (abandoned.length > 0) logger.warn({ executions: abandoned.map((e) => e.id) }, 'runs left by a dead process marked FAILED (restartable)');

  // Without KAFKA_BROKERS the events wait in the outbox (`batch-service events`).
  const relay =
    config.kafka.brokers.length > 0
      ? new OutboxRelay(databases.batch.db, kafkaSender({ brokers: config.kafka.brokers }, logger), logger, { owner: app.repository.host })
      : undefined;
  relay?.start();

  const server = await buildServer(app);
  await server.listen({ port: config.port, host: config.host });
  logger.info(`batch-service listening on port ${config.port}`);
  const scheduler: Scheduler | undefined = config.scheduler.enabled
    ? startScheduler(app.operator, schedules(config), config.timeZone, logger)
    : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    scheduler?.stop();
    await server.close();
    // Running chunks finish; the executions end STOPPED and can be restarted.
    await app.operator.stopAll();
    await relay?.stop();
    await app.close();
    logger.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
