/**
 * pino, JSON lines: to stdout, and to dated files under LOG_DIR — every line in
 * `app-YYYY-MM-DD.log`, errors also in `error-YYYY-MM-DD.log` (kept apart so the log
 * cleanup of 4.6 can delete old application logs and keep error logs). Files roll over
 * at midnight UTC. The console may instead get pino-pretty's human lines (LOG_FORMAT);
 * the files stay JSON, for the tools that read them.
 */
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { DailyFileStream } from './daily-file-stream.js';

export interface LoggerOptions {
  readonly level: string;
  /** Where the dated files go; no files when absent (tests, one-shot commands). */
  readonly logDir?: string;
  /** stdout, or stderr for commands whose stdout is their output (`--json`). */
  readonly console?: 'stdout' | 'stderr' | 'none';
  /** Console lines: JSON (the default) or pino-pretty's human lines. */
  readonly format?: 'json' | 'pretty';
  /** Milliseconds since the epoch; tests move it across midnight. */
  readonly clock?: () => number;
}

export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  if (options.console !== 'none') {
    const out = options.console === 'stderr' ? process.stderr : process.stdout;
    streams.push({ level: options.level as pino.Level, stream: options.format === 'pretty' ? prettyStream(out) : out });
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

/**
 * pino-pretty's formatter, called in line rather than as its transport stream: the
 * transport formats on later ticks, so the last lines before process.exit (a shutdown, a
 * crash) could be lost, while the JSON console is written synchronously.
 */
function prettyStream(out: NodeJS.WriteStream): pino.DestinationStream {
  const format = prettyFactory({
    colorize: out.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    // Every line carries it; on a terminal it only pushes the message to the right.
    ignore: 'service,pid,hostname',
    singleLine: true,
  });
  return { write: (line: string) => void out.write(format(line)) };
}

/** Writes out and closes the log files (shutdown); stdout lines are written synchronously already. */
export async function closeLogFiles(logger: Logger): Promise<void> {
  const destination = (logger as unknown as Record<symbol, { streams?: readonly pino.StreamEntry[] }>)[pino.symbols.streamSym];
  const files = (destination?.streams ?? []).map((s) => s.stream).filter((s): s is DailyFileStream => s instanceof DailyFileStream);
  await Promise.all(files.map((f) => f.end()));
}

export const silentLogger: Logger = pino({ level: 'silent' });
