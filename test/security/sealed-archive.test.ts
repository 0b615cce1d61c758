/**
 * An archive file read segment by segment through one handle (src/archives/sealed-archive.ts):
 * the plaintext and any range of it come out as sealed; a whole pass refuses any altered
 * segment, the last one included, and any truncation; and the second pass, reading the same
 * handle, stops before the first segment changed since the first pass (or before the end of
 * a file that grew), while a file renamed over the archive in between is simply not read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveIntegrityError, encryptArchive, SEGMENT_SIZE, type MasterKey, type MasterKeys } from '../../src/archives/archive-envelope.js';
import { SealedArchive } from '../../src/archives/sealed-archive.js';

const master: MasterKey = { id: 'k2026', key: randomBytes(32) };
const keys: MasterKeys = { current: master, byId: new Map([[master.id, master]]) };
const PIECE = SEGMENT_SIZE + 16;
// Many segments, over several of the reader's one-megabyte reads, the last one partial.
const plaintext = randomBytes(48 * SEGMENT_SIZE + 1234);
const SEGMENTS = 49;

async function sealed(bytes: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([bytes]), encryptArchive(master), new Writable({ write: (chunk: Buffer, _e, cb) => void (chunks.push(chunk), cb()) }));
  return Buffer.concat(chunks);
}

/** What a stream gave before it ended or failed. */
async function drain(stream: Readable): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const part of stream) parts.push(part as Buffer);
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

describe('sealed archive file', () => {
  let dir: string;
  let pristine: Buffer;
  let headerBytes: number;
  let file: string;
  let handle: FileHandle | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sealed-'));
    pristine = await sealed(plaintext);
    headerBytes = 81 + master.id.length;
    expect(pristine.length).toBe(headerBytes + 48 * PIECE + 1234 + 16);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  const openFile = async (bytes: Buffer) => {
    file = path.join(dir, `${randomBytes(4).toString('hex')}.bsarc`);
    writeFileSync(file, bytes);
    handle = await open(file, 'r');
    return SealedArchive.open(handle, keys);
  };
  /** Changes one byte of the file in place (same inode, as a disk fault or an intruder would). */
  const alterInPlace = async (at: number) => {
    const writer = await open(file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await writer.read(byte, 0, 1, at);
      byte[0]! ^= 0x01;
      await writer.write(byte, 0, 1, at);
    } finally {
      await writer.close();
    }
  };

  it('gives the whole plaintext and any range of it, and shows the file’s bytes to a hash in one pass', async () => {
    const archive = await openFile(pristine);
    expect(archive.plaintextBytes).toBe(plaintext.length);
    const hash = createHash('sha256');
    await archive.authenticate((bytes) => hash.update(bytes));
    expect(hash.digest('hex')).toBe(createHash('sha256').update(pristine).digest('hex'));
    expect((await drain(archive.plaintext())).bytes.equals(plaintext)).toBe(true);
    const S = SEGMENT_SIZE;
    for (const [start, end] of [[0, 0], [0, 1], [5, 30], [S - 3, S + 3], [S, 2 * S], [3 * S + 7, 20 * S + 11], [plaintext.length - 1234, plaintext.length], [plaintext.length - 1, plaintext.length], [0, plaintext.length]] as const) {
      const { bytes, error } = await drain(archive.range(start, end));
      expect(error, `[${start}, ${end})`).toBeUndefined();
      expect(bytes.equals(plaintext.subarray(start, end)), `[${start}, ${end})`).toBe(true);
    }
  });

  it('refuses, in its whole pass, a change to any segment (the last one and its tag included) and any truncation', async () => {
    const pieceAt = (i: number) => headerBytes + i * PIECE;
    for (const at of [pieceAt(0), pieceAt(0) + PIECE - 1, pieceAt(17) + 100, pieceAt(47) + 5, pieceAt(48), pieceAt(48) + 1000, pristine.length - 1]) {
      const altered = Buffer.from(pristine);
      altered[at]! ^= 0x80;
      const archive = await openFile(altered);
      await expect(archive.authenticate(), `byte ${at}`).rejects.toBeInstanceOf(ArchiveIntegrityError);
      await handle!.close();
      handle = undefined;
    }
    // Cut on a segment's end (the last segment gone), inside a segment, inside the last tag, inside the header.
    for (const length of [pieceAt(48), pieceAt(48) + 100, pristine.length - 1, pieceAt(30), 40]) {
      const refused = await openFile(pristine.subarray(0, length)).then((archive) => archive.authenticate()).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused, `cut at ${length}`).toBeInstanceOf(ArchiveIntegrityError);
      await handle?.close();
      handle = undefined;
    }
  });

  it('second pass: stops before the first segment changed since the first, the last one included', async () => {
    for (const segment of [0, 20, SEGMENTS - 1]) {
      const archive = await openFile(pristine);
      await archive.authenticate();
      await alterInPlace(headerBytes + segment * PIECE + 10);
      const { bytes, error } = await drain(archive.plaintext());
      expect(error, `segment ${segment}`).toBeInstanceOf(ArchiveIntegrityError);
      // Everything before it, nothing of it.
      expect(bytes.length, `segment ${segment}`).toBe(segment * SEGMENT_SIZE);
      expect(bytes.equals(plaintext.subarray(0, bytes.length))).toBe(true);
      await handle!.close();
      handle = undefined;
    }
  });

  it('second pass: a file that grew or shrank since the first is refused before its last segment', async () => {
    const grown = await openFile(pristine);
    await grown.authenticate();
    writeFileSync(file, Buffer.from('more'), { flag: 'a' });
    const afterGrowth = await drain(grown.plaintext());
    expect(afterGrowth.error).toBeInstanceOf(ArchiveIntegrityError);
    expect(afterGrowth.bytes.length).toBeLessThan(48 * SEGMENT_SIZE);
    await handle!.close();

    const shrunk = await openFile(pristine);
    await shrunk.authenticate();
    truncateSync(file, pristine.length - 20);
    const afterCut = await drain(shrunk.plaintext());
    expect(afterCut.error).toBeInstanceOf(ArchiveIntegrityError);
    expect(afterCut.bytes.length).toBeLessThan(48 * SEGMENT_SIZE);
  });

  it('second pass: a file renamed over the archive is not read; the archive opened is', async () => {
    const archive = await openFile(pristine);
    await archive.authenticate();
    // Another archive, whole and valid on its own, under the same master key.
    const other = path.join(dir, 'other.bsarc');
    writeFileSync(other, await sealed(randomBytes(plaintext.length)));
    renameSync(other, file);
    const { bytes, error } = await drain(archive.plaintext());
    expect(error).toBeUndefined();
    expect(bytes.equals(plaintext)).toBe(true);
    expect(readFileSync(file).equals(pristine)).toBe(false);
  });
});
