/**
 * Default mail and event-broker components, from the configuration alone: a configured
 * server is probed over TCP; without one the service works in its fallback mode (`.eml`
 * files, events kept in the outbox) and is UP. The mail and event modules may register
 * richer indicators under the same names.
 */
import type { Config } from '../config.js';
import type { HealthIndicator } from './health.js';
import { tcpReachable } from './tcp-probe.js';

export function mailIndicator(config: Pick<Config, 'mail' | 'dataDir'>, timeoutMs: number): HealthIndicator {
  return {
    name: 'mail',
    async check() {
      if (config.mail.smtpUrl === undefined) return { status: 'UP', details: { transport: 'eml', directory: `${config.dataDir}/mail` } };
      const url = new URL(config.mail.smtpUrl);
      const port = Number(url.port || (url.protocol === 'smtps:' ? 465 : 587));
      const location = `${url.hostname}:${port}`;
      try {
        await tcpReachable(url.hostname, port, timeoutMs);
        return { status: 'UP', details: { transport: 'smtp', server: location } };
      } catch (error) {
        return { status: 'DOWN', details: { transport: 'smtp', server: location, error: (error as Error).message } };
      }
    },
  };
}

export function eventBrokerIndicator(config: Pick<Config, 'kafka'>, timeoutMs: number): HealthIndicator {
  return {
    name: 'eventBroker',
    async check() {
      if (config.kafka.brokers.length === 0) return { status: 'UP', details: { mode: 'outbox only (KAFKA_BROKERS not set)' } };
      const errors: string[] = [];
      for (const broker of config.kafka.brokers) {
        const [host = broker, port = '9092'] = broker.split(':');
        try {
          await tcpReachable(host, Number(port), timeoutMs);
          return { status: 'UP', details: { mode: 'kafka', broker, topic: config.kafka.topic } };
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      return { status: 'DOWN', details: { mode: 'kafka', brokers: config.kafka.brokers, error: errors.join('; ') } };
    },
  };
}
