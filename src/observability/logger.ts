/**
 * pino, JSON lines: to stdout, and to dated files under LOG_DIR — every line in
 * `app-YYYY-MM-DD.log`, errors also in `error-YYYY-MM-DD.log` (kept apart so the log
 * cleanup of 4.6 can delete old application logs and keep error logs).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** Where the dated files go; no files when absent (tests, one-shot commands). */
  readonly logDir?: string;
  /** stdout, or stderr for commands whose stdout is their output (`--json`). */
  readonly console?: 'stdout' | 'stderr' | 'none';
}

export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  if (options.console !== 'none') {
    streams.push({ level: options.level as pino.Level, stream: options.console === 'stderr' ? process.stderr : process.stdout });
  }
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    const day = new Date().toISOString().slice(0, 10);
    streams.push({ level: options.level as pino.Level, stream: pino.destination({ dest: path.join(options.logDir, `app-${day}.log`), sync: false }) });
    streams.push({ level: 'error', stream: pino.destination({ dest: path.join(options.logDir, `error-${day}.log`), sync: false }) });
  }
  return pino(
    {
      level: options.level,
      base: { service: 'batch-service' },
      // 7.10: no secret reaches a log line, whatever object is logged.
      redact: { paths: ['*.password', '*.secret', '*.token', 'config.jwt', 'config.archiveKeys', 'config.mail.smtpUrl'], censor: '****' },
    },
    pino.multistream(streams),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
