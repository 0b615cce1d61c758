/**
 * A pino destination writing to `<prefix>-YYYY-MM-DD.log` that moves to a new file at
 * midnight UTC (the zone of every timestamp here, docs/databases.md), so the log cleanup of 4.6
 * can delete whole days by name. The day is checked on each write rather than by a timer:
 * no timer to keep the process alive, and a line always lands in the file of its own day.
 */
import { once } from 'node:events';
import path from 'node:path';
import pino from 'pino';

type FileDestination = ReturnType<typeof pino.destination>;

const DAY_MS = 86_400_000;

export class DailyFileStream {
  private current: { readonly until: number; readonly file: FileDestination } | undefined;
  private closed = false;

  constructor(
    private readonly directory: string,
    private readonly prefix: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The file a line written at `time` goes to. */
  fileFor(time: number): string {
    return path.join(this.directory, `${this.prefix}-${new Date(time).toISOString().slice(0, 10)}.log`);
  }

  write(line: string): boolean {
    if (this.closed) return true;
    const now = this.clock();
    if (this.current === undefined || now >= this.current.until) this.roll(now);
    return this.current!.file.write(line);
  }

  /** Writes what is buffered and closes the file; later lines are dropped (shutdown). */
  async end(): Promise<void> {
    this.closed = true;
    const file = this.current?.file;
    this.current = undefined;
    if (file) await endFile(file);
  }

  private roll(now: number): void {
    const previous = this.current?.file;
    this.current = {
      until: (Math.floor(now / DAY_MS) + 1) * DAY_MS,
      file: pino.destination({ dest: this.fileFor(now), mkdir: true, append: true, sync: false }),
    };
    if (previous) void endFile(previous);
  }
}

async function endFile(file: FileDestination): Promise<void> {
  const closed = once(file, 'close');
  file.end();
  await closed;
}
