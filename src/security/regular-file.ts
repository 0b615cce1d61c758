/**
 * Opening a report or an archive only when it is a regular file (issue 22, item 4).
 *
 * A plain open of a FIFO waits for a writer, forever. Node runs each open on one of
 * libuv's four pool threads, so a FIFO named like a report took one thread per download:
 * after four every file operation of the process waited behind them (static files, the
 * health's disk check, the API's reads). With O_NONBLOCK the open of a FIFO returns at
 * once; fstat on that handle then decides, and the caller reads from the same handle, so
 * nothing can be swapped in between a check by path and an open by path.
 *
 * @example
 * const { handle, stats } = await openRegularFile(file); // NotARegularFileError for a FIFO, a link, a missing file
 * reply.header('content-length', stats.size).send(handle.createReadStream());
 */
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** The path names nothing the service may read as a file: absent, a FIFO, a device, a socket, a link where none may be. */
export class NotARegularFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    /** Nothing is there at all (as opposed to something that is not a regular file). */
    readonly missing: boolean,
    options?: ErrorOptions,
  ) {
    super(`${file} ${reason}`, options);
    this.name = 'NotARegularFileError';
  }
}

export interface RegularFile {
  readonly handle: FileHandle;
  readonly stats: Stats;
}

export interface OpenOptions {
  /** Follow a symbolic link at the last component; by default a link is refused (O_NOFOLLOW). */
  readonly followLinks?: boolean;
  /** Open for reading and writing (an archive's header overwritten in place). */
  readonly write?: boolean;
}

/** Opens `file` when it is a regular file; the caller closes the handle. */
export async function openRegularFile(file: string, options: OpenOptions = {}): Promise<RegularFile> {
  const flags = (options.write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NONBLOCK | (options.followLinks ? 0 : constants.O_NOFOLLOW);
  let handle: FileHandle;
  try {
    handle = await open(file, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = OPEN_REFUSALS[code];
    if (reason) throw new NotARegularFileError(file, reason, code === 'ENOENT' || code === 'ENOTDIR', { cause: error });
    throw error;
  }
  let stats: Stats;
  try {
    stats = await handle.stat();
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (!stats.isFile()) {
    await handle.close();
    throw new NotARegularFileError(file, `is ${kindOf(stats)}, not a regular file`, false);
  }
  return { handle, stats };
}

/** The whole file, read from the handle that was checked. */
export async function readRegularFile(file: string, options: Omit<OpenOptions, 'write'> = {}): Promise<Buffer> {
  const { handle } = await openRegularFile(file, options);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

const OPEN_REFUSALS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'does not exist (a folder on its path is a file)',
  // What O_NOFOLLOW answers for a symbolic link.
  ELOOP: 'is a symbolic link, not a regular file',
  // Opening a directory for writing.
  EISDIR: 'is a directory, not a regular file',
  // A socket, or a device without its driver.
  ENXIO: 'is a socket or a device, not a regular file',
};

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}
