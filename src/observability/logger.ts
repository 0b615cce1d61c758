/**
 * pino, JSON lines: to stdout, and to dated files under LOG_DIR — every line in
 * `app-YYYY-MM-DD.log`, errors also in `error-YYYY-MM-DD.log` (kept apart so the log
 * cleanup of 4.6 can delete old application logs and keep error logs). Files roll over
 * at midnight UTC.
 */
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { DailyFileStream } from './daily-file-stream.js';

export interface LoggerOptions {
  readonly level: string;
  /** Where the dated files go; no files when absent (tests, one-shot commands). */
  readonly logDir?: string;
  /** stdout, or stderr for commands whose stdout is their output (`--json`). */
  readonly console?: 'stdout' | 'stderr' | 'none';
  /** Milliseconds since the epoch; tests move it across midnight. */
  readonly clock?: () => number;
}

export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  if (options.console !== 'none') {
    streams.push({ level: options.level as pino.Level, stream: options.console === 'stderr' ? process.stderr : process.stdout });
  }
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    streams.push({ level: options.level as pino.Level, stream: new DailyFileStream(options.logDir, 'app', options.clock) });
    streams.push({ level: 'error', stream: new DailyFileStream(options.logDir, 'error', options.clock) });
  }
  return pino(
    {
      level: options.level,
      base: { service: 'batch-service' },
      ...(options.clock ? { timestamp: () => `,"time":${options.clock!()}` } : {}),
      // 7.10: no secret reaches a log line, whatever object is logged.
      redact: { paths: ['password', 'secret', 'token', '*.password', '*.secret', '*.token', 'config.jwt', 'config.archiveKeys', 'config.mail.smtpUrl'], censor: '****' },
    },
    pino.multistream(streams),
  );
}

/** Writes out and closes the log files (shutdown); stdout lines are written synchronously already. */
export async function closeLogFiles(logger: Logger): Promise<void> {
  const destination = (logger as unknown as Record<symbol, { streams?: readonly pino.StreamEntry[] }>)[pino.symbols.streamSym];
  const files = (destination?.streams ?? []).map((s) => s.stream).filter((s): s is DailyFileStream => s instanceof DailyFileStream);
  await Promise.all(files.map((f) => f.end()));
}

export const silentLogger: Logger = pino({ level: 'silent' });
