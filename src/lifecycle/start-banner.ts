/**
 * What a person sees once `serve` listens (issue 14): on a pretty console, a short banner —
 * address, data directory, databases, mail and events modes, the admin console; on a JSON
 * console, the same facts as one log line. The console link, which holds an admin token,
 * goes to the console only, never to the files under LOG_DIR.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { maskUrl, type Config } from '../config.js';
import { loadArchiveKeys } from '../archives/archive-keys.js';
import { serviceUrl } from './first-start.js';
import { readBuildInfo } from '../observability/build-info.js';
import { createLogger } from '../observability/logger.js';

export interface StartFacts {
  readonly version: string;
  readonly url: string;
  readonly dataDir: string;
  /** One entry per line of the banner; URLs masked. */
  readonly databases: readonly string[];
  readonly mail: string;
  readonly events: string;
  /** BATCH_TIMEZONE: the schedules and the report months are in it. */
  readonly timeZone: string;
  /** The archive key in use, or why archiveJob cannot run. */
  readonly archiveKeys: string;
}

export function startFacts(config: Config, port: number): StartFacts {
  return {
    version: readBuildInfo().version,
    url: serviceUrl(config, port),
    dataDir: config.dataDir,
    databases: describeDatabases(config),
    mail: config.mail.smtpUrl === undefined ? `.eml files in ${path.join(config.dataDir, 'mail')}` : `SMTP ${smtpServer(config.mail.smtpUrl)}`,
    events:
      config.kafka.brokers.length === 0
        ? 'outbox only (no KAFKA_BROKERS)'
        : `Kafka ${config.kafka.brokers.join(', ')}, topic ${config.kafka.topic}`,
    timeZone: config.timeZone,
    archiveKeys: describeArchiveKeys(config),
  };
}

function describeArchiveKeys(config: Config): string {
  try {
    const keys = loadArchiveKeys(config);
    const source = config.archiveKeys !== undefined ? 'ARCHIVE_KEYS' : config.archiveKeyFile;
    return `key ${keys.current.id} (${source})${keys.byId.size > 1 ? `, ${keys.byId.size - 1} older` : ''}`;
  } catch {
    return 'no key (set ARCHIVE_KEYS or ARCHIVE_KEY_FILE): archiveJob cannot run';
  }
}

/**
 * @example
 * process.stdout.write(startBanner(startFacts(config, 8085), link));
 * // batch-service 0.1.0 — http://localhost:8085
 * //   data       /home/me/batch-service/data
 * //   …
 */
export function startBanner(facts: StartFacts, link: string | undefined): string {
  const row = (label: string, value: string) => `  ${label.padEnd(10)} ${value}`;
  const [firstDatabase = '', ...otherDatabases] = facts.databases;
  return [
    '',
    `batch-service ${facts.version} — ${facts.url}`,
    row('data', facts.dataDir),
    row('databases', firstDatabase),
    ...otherDatabases.map((line) => row('', line)),
    row('mail', facts.mail),
    row('events', facts.events),
    row('zone', facts.timeZone),
    row('archives', facts.archiveKeys),
    // Without the embedded default's link, the console asks for a token from the gateway.
    row('console', link ?? `${facts.url}/admin/`),
    '',
    '',
  ].join('\n');
}

/** The banner on a pretty console; else the facts logged, and the link on the console alone. */
export function announceStart(config: Config, port: number, link: string | undefined, logger: Logger): void {
  const facts = startFacts(config, port);
  if (config.logFormat === 'pretty') {
    process.stdout.write(startBanner(facts, link));
    return;
  }
  const databases = Object.fromEntries(Object.entries(config.databases).map(([name, url]) => [name, maskUrl(url)]));
  logger.info({ url: facts.url, dataDir: facts.dataDir, databases, mail: facts.mail, events: facts.events, timeZone: facts.timeZone, archiveKeys: facts.archiveKeys }, `batch-service ${facts.version} ready at ${facts.url}`);
  // Console only and whatever LOG_LEVEL says: the link is the way in, and its token must not outlive it in LOG_DIR.
  if (link !== undefined) createLogger({ level: 'info' }).info(`admin console (embedded default): ${link}`);
}

function describeDatabases(config: Config): readonly string[] {
  const entries = Object.entries(config.databases);
  const files = entries.map(([, url]) => url.slice('sqlite:'.length));
  if (entries.every(([, url]) => url.startsWith('sqlite:')) && files.every((file) => path.dirname(file) === config.dataDir)) {
    return [`embedded SQLite (${files.length} files in the data directory)`];
  }
  return entries.map(([name, url]) => `${name.padEnd(12)} ${maskUrl(url)}`);
}

/** host:port only: SMTP_URL may hold a password. */
function smtpServer(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl);
    return url.host;
  } catch {
    return '(SMTP_URL)';
  }
}
