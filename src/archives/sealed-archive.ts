/**
 * An archive file read in constant memory, segment by segment, through one open file
 * handle (docs/archive-format.md). Every read authenticates what it reads: a whole pass
 * (`authenticate`) to learn that the file is intact before handing out anything, then the
 * plaintext as a stream or any range of it (random access into the ZIP), each segment
 * checked again — the file may have been changed in place since — so what comes out is
 * only ever plaintext this archive's data key sealed at that place.
 *
 * The caller opens the file and closes the handle; reading from that one handle is what
 * keeps a file renamed over the archive between two passes from being read.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ArchiveIntegrityError, archiveLayout, parseHeader, segmentOpener, unwrapDataKey, type ArchiveHeader, type ArchiveLayout, type MasterKeys, type SegmentOpener } from './archive-envelope.js';

/** Bytes asked of the disk at once: large enough for its throughput, small enough to stay flat. */
const READ_BYTES = 1 << 20;
/** The longest header: 81 bytes and a key id of up to 64. */
const MAX_HEADER = 145;

export class SealedArchive {
  /** The last segment decrypted by a range read: the ZIP's directory is read in many small reads. */
  private cached: { index: number; plaintext: Buffer } | undefined;

  private constructor(
    private readonly handle: FileHandle,
    readonly header: ArchiveHeader,
    readonly layout: ArchiveLayout,
    private readonly open: SegmentOpener,
    private readonly fileBytes: number,
  ) {}

  /** Reads the header and unwraps the data key; the layout comes from the file's size now. */
  static async open(handle: FileHandle, keys: MasterKeys): Promise<SealedArchive> {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ArchiveIntegrityError('not a regular file');
    const head = Buffer.alloc(Math.min(stats.size, MAX_HEADER));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const header = parseHeader(head.subarray(0, bytesRead));
    if (!header) throw new ArchiveIntegrityError('truncated: the file ends inside its header');
    const layout = archiveLayout(stats.size, header.bytes.length, header.segmentSize);
    return new SealedArchive(handle, header, layout, segmentOpener(header, unwrapDataKey(header, keys)), stats.size);
  }

  get plaintextBytes(): number {
    return this.layout.plaintextBytes;
  }

  /**
   * Pass over the whole file: every segment and the end of the file authenticated, the
   * plaintext dropped. `observe` sees the file's bytes in order, header first (to hash it).
   */
  async authenticate(observe: (bytes: Buffer) => void = () => undefined): Promise<void> {
    observe(this.header.bytes);
    for await (const { index, piece } of this.pieces(0, this.layout.segments - 1)) {
      observe(piece);
      this.open(piece, index, index === this.layout.segments - 1);
    }
  }

  /**
   * The whole plaintext, each segment authenticated as it is read. A segment that no longer
   * authenticates, or a file that grew or shrank, errors the stream before that segment's
   * bytes are pushed: whoever sends it on must destroy what it sends to.
   */
  plaintext(): Readable {
    return this.range(0, this.layout.plaintextBytes);
  }

  /** Plaintext bytes [start, end), each segment they lie in authenticated. */
  range(start: number, end: number): Readable {
    if (start < 0 || end > this.layout.plaintextBytes || start > end) throw new RangeError(`range [${start}, ${end}) of an archive of ${this.layout.plaintextBytes} plaintext bytes`);
    return Readable.from(this.plaintextOf(start, end), { objectMode: false });
  }

  private async *plaintextOf(start: number, end: number): AsyncGenerator<Buffer> {
    if (start === end) return;
    const size = this.layout.segmentSize;
    const first = Math.floor(start / size);
    const last = Math.floor((end - 1) / size);
    const slice = (index: number, plaintext: Buffer) => plaintext.subarray(Math.max(start - index * size, 0), Math.min(end - index * size, plaintext.length));
    if (first === last && this.cached?.index === first) {
      yield slice(first, this.cached.plaintext);
      return;
    }
    for await (const { index, piece } of this.pieces(first, last)) {
      const plaintext = this.open(piece, index, index === this.layout.segments - 1);
      if (first === last) this.cached = { index, plaintext };
      yield slice(index, plaintext);
    }
  }

  /** Segments `first` to `last` as they are on disk, read a megabyte at a time into one buffer. */
  private async *pieces(first: number, last: number): AsyncGenerator<{ index: number; piece: Buffer }> {
    const { headerBytes, pieceBytes, lastPieceBytes, segments } = this.layout;
    const perRead = Math.max(1, Math.floor(READ_BYTES / pieceBytes));
    const buffer = Buffer.allocUnsafe(Math.min(perRead, last - first + 1) * pieceBytes);
    for (let index = first; index <= last; ) {
      const count = Math.min(perRead, last - index + 1);
      const endsFile = index + count === segments;
      const length = (count - 1) * pieceBytes + (endsFile ? lastPieceBytes : pieceBytes);
      await this.readExactly(buffer, length, headerBytes + index * pieceBytes);
      // Checked before the last segment goes out: bytes added after it would otherwise
      // show only once everything had been handed on.
      if (endsFile) await this.assertEnds();
      for (let at = 0; at < length; at += pieceBytes) yield { index: index++, piece: buffer.subarray(at, Math.min(at + pieceBytes, length)) };
    }
  }

  private async readExactly(buffer: Buffer, length: number, position: number): Promise<void> {
    for (let done = 0; done < length; ) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) throw new ArchiveIntegrityError('truncated: the file became shorter while it was read');
      done += bytesRead;
    }
  }

  private async assertEnds(): Promise<void> {
    const { bytesRead } = await this.handle.read(Buffer.alloc(1), 0, 1, this.fileBytes);
    if (bytesRead !== 0) throw new ArchiveIntegrityError('the file grew while it was read: it is not the archive that was opened');
  }
}
