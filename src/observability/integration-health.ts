/**
 * The mail component, from the configuration alone: a configured SMTP server is probed
 * over TCP; without one the service writes `.eml` files and is UP. (The event broker's
 * component is in src/events/event-broker-health.ts: it knows the outbox and the relay.)
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
