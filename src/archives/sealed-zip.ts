/**
 * The ZIP inside an archive, read where it lies: yauzl asks for byte ranges of the
 * plaintext (the directory at the end first, then each entry) and only the segments
 * holding them are read and authenticated. Nothing is decrypted whole.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { SealedArchive } from './sealed-archive.js';

class SealedReader extends yauzl.RandomAccessReader {
  constructor(private readonly sealed: SealedArchive) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.sealed.range(start, end);
  }
}

export interface SealedZip {
  /** Every entry by name, from the ZIP's directory (names and sizes, no contents). */
  readonly entries: ReadonlyMap<string, yauzl.Entry>;
  /** One entry's contents, inflated when it was deflated. */
  open(name: string): Promise<Readable>;
  bytes(name: string): Promise<Buffer>;
  close(): void;
}

export async function openSealedZip(sealed: SealedArchive): Promise<SealedZip> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromRandomAccessReader(new SealedReader(sealed), sealed.plaintextBytes, { lazyEntries: true, autoClose: false }, (error, file) => (error || !file ? reject(error ?? new Error('not a ZIP')) : resolve(file))),
  );
  try {
    const entries = await new Promise<Map<string, yauzl.Entry>>((resolve, reject) => {
      const found = new Map<string, yauzl.Entry>();
      zip.on('entry', (entry: yauzl.Entry) => {
        found.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('end', () => resolve(found));
      zip.on('error', reject);
      zip.readEntry();
    });
    const open = (name: string) =>
      new Promise<Readable>((resolve, reject) => {
        const entry = entries.get(name);
        if (!entry) return reject(new Error(`the archive holds no ${name}`));
        zip.openReadStream(entry, (error, stream) => (error || !stream ? reject(error ?? new Error(`cannot read ${name}`)) : resolve(stream)));
      });
    return {
      entries,
      open,
      async bytes(name) {
        const parts: Buffer[] = [];
        for await (const part of await open(name)) parts.push(part as Buffer);
        return Buffer.concat(parts);
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}
