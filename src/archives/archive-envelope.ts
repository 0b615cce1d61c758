/**
 * The archive envelope of docs/archive-format.md (4.10, 10.4): AES-256-GCM in fixed-size
 * authenticated segments (STREAM), under a random data key per archive wrapped by the
 * current master key, whose id is in the header so keys can rotate by re-wrapping. Each
 * segment's nonce carries its index and a last-segment flag and every segment
 * authenticates the stream's parameters: a flipped byte, a truncation, a reordering or a
 * wrong key fails with ArchiveIntegrityError. Streams, at native AES speed, in constant memory.
 *
 * @example
 * await pipeline(zipStream, encryptArchive(keys.current), createWriteStream(file));
 * await pipeline(createReadStream(file), decryptArchive(keys), createWriteStream(zipFile));
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const SEGMENT_SIZE = 65_536;
/** The largest segment a reader accepts: what it holds in memory at once is a few of them. */
export const MAX_SEGMENT_SIZE = 1 << 24;
const MAGIC = Buffer.from('BSARCH1\0', 'latin1');
const VERSION = 1;
const TAG = 16;
const WRAPPED_KEY = 48;
const PREFIX = 7;
/** Header bytes besides the key id. */
const HEADER_FIXED = 81;

export interface MasterKey {
  readonly id: string;
  /** 32 bytes. */
  readonly key: Buffer;
}

export interface MasterKeys {
  /** The key new archives are wrapped with (the first of ARCHIVE_KEYS). */
  readonly current: MasterKey;
  readonly byId: ReadonlyMap<string, MasterKey>;
}

export class ArchiveIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveIntegrityError';
  }
}

export interface ArchiveHeader {
  readonly keyId: string;
  readonly wrapNonce: Buffer;
  readonly wrappedKey: Buffer;
  readonly noncePrefix: Buffer;
  readonly segmentSize: number;
  /** The header's bytes, as written at the start of the file. */
  readonly bytes: Buffer;
}

/**
 * What every segment authenticates: magic, version, nonce prefix and segment size — the
 * parts a rewrap keeps. The key id and wrapped key change with a rewrap; they are
 * authenticated by the key wrap itself, and a wrapped key taken from another archive
 * opens another data key, under which no segment authenticates.
 */
function streamAad(header: Pick<ArchiveHeader, 'noncePrefix' | 'segmentSize'>): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32BE(header.segmentSize);
  return Buffer.concat([MAGIC, Buffer.from([VERSION]), header.noncePrefix, size]);
}

const wrapAad = (keyId: string) => Buffer.from(`BSARCH1 data key ${keyId}`, 'latin1');

function gcmEncrypt(key: Buffer, nonce: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function gcmDecrypt(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < TAG) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG));
    // GCM's final gives no bytes: a copy of every segment would only be garbage to collect.
    const rest = decipher.final();
    return rest.length === 0 ? plaintext : Buffer.concat([plaintext, rest]);
  } catch {
    return undefined;
  }
}

function segmentNonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, PREFIX);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

export function headerBytes(fields: Omit<ArchiveHeader, 'bytes'>): Buffer {
  const id = Buffer.from(fields.keyId, 'latin1');
  if (id.length < 1 || id.length > 64 || !/^[\x21-\x7e]+$/.test(fields.keyId)) throw new Error(`archive key id ${JSON.stringify(fields.keyId)}: expected 1 to 64 printable ASCII characters`);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(fields.segmentSize);
  return Buffer.concat([MAGIC, Buffer.from([VERSION, id.length]), id, fields.wrapNonce, fields.wrappedKey, fields.noncePrefix, size]);
}

/** Reads a header from the start of a file; undefined when `bytes` is too short to hold it. */
export function parseHeader(bytes: Buffer): ArchiveHeader | undefined {
  if (bytes.length < 10) return undefined;
  if (!bytes.subarray(0, 8).equals(MAGIC) || bytes[8] !== VERSION) throw new ArchiveIntegrityError('not a batch-service archive of version 1 (docs/archive-format.md)');
  const k = bytes[9]!;
  const length = HEADER_FIXED + k;
  if (bytes.length < length) return undefined;
  return {
    keyId: bytes.subarray(10, 10 + k).toString('latin1'),
    wrapNonce: Buffer.from(bytes.subarray(10 + k, 22 + k)),
    wrappedKey: Buffer.from(bytes.subarray(22 + k, 22 + k + WRAPPED_KEY)),
    noncePrefix: Buffer.from(bytes.subarray(70 + k, 77 + k)),
    segmentSize: bytes.readUInt32BE(77 + k),
    bytes: Buffer.from(bytes.subarray(0, length)),
  };
}

/** A new data key wrapped by `master`: the header of a new archive. */
export function newHeader(master: MasterKey, segmentSize = SEGMENT_SIZE): { header: ArchiveHeader; dataKey: Buffer } {
  const dataKey = randomBytes(32);
  const wrapNonce = randomBytes(12);
  const fields = { keyId: master.id, wrapNonce, wrappedKey: gcmEncrypt(master.key, wrapNonce, dataKey, wrapAad(master.id)), noncePrefix: randomBytes(PREFIX), segmentSize };
  return { header: { ...fields, bytes: headerBytes(fields) }, dataKey };
}

/** The data key of an archive; ArchiveIntegrityError for an unknown or wrong key, or a shredded archive. */
export function unwrapDataKey(header: ArchiveHeader, keys: MasterKeys): Buffer {
  if (header.wrappedKey.every((b) => b === 0)) throw new ArchiveIntegrityError('the archive was shredded: its data key is destroyed and it can never be decrypted');
  const master = keys.byId.get(header.keyId);
  if (!master) throw new ArchiveIntegrityError(`the archive is wrapped with key "${header.keyId}", which is not in ARCHIVE_KEYS`);
  const key = gcmDecrypt(master.key, header.wrapNonce, header.wrappedKey, wrapAad(header.keyId));
  if (!key) throw new ArchiveIntegrityError(`key "${header.keyId}" of ARCHIVE_KEYS does not open this archive (another key under the same id, or an altered header)`);
  return key;
}

/** The same data key wrapped by another master key: the header after `archive rewrap`. */
export function rewrapHeader(header: ArchiveHeader, keys: MasterKeys, to: MasterKey): ArchiveHeader {
  const dataKey = unwrapDataKey(header, keys);
  const wrapNonce = randomBytes(12);
  const fields = { keyId: to.id, wrapNonce, wrappedKey: gcmEncrypt(to.key, wrapNonce, dataKey, wrapAad(to.id)), noncePrefix: header.noncePrefix, segmentSize: header.segmentSize };
  return { ...fields, bytes: headerBytes(fields) };
}

/** The longest header there is (a key id of 64 bytes): what to read to find the header. */
export const MAX_HEADER_LENGTH = 81 + 64;

/** The same header with its wrapped data key all zero bytes: the archive can never be decrypted again. */
export function shreddedHeader(header: ArchiveHeader): ArchiveHeader {
  const fields = { keyId: header.keyId, wrapNonce: header.wrapNonce, wrappedKey: Buffer.alloc(WRAPPED_KEY), noncePrefix: header.noncePrefix, segmentSize: header.segmentSize };
  return { ...fields, bytes: headerBytes(fields) };
}

/** Checks and decrypts one segment; ArchiveIntegrityError when it does not authenticate. */
export type SegmentOpener = (piece: Buffer, index: number, last: boolean) => Buffer;

/**
 * Opens the segments of one archive in any order: each nonce says where its segment sits
 * and whether it is the last, so a segment read out of place (random access into the ZIP,
 * a second pass over the file) authenticates exactly as in a sequential read.
 */
export function segmentOpener(header: ArchiveHeader, dataKey: Buffer): SegmentOpener {
  const aad = streamAad(header);
  return (piece, index, last) => {
    const plaintext = gcmDecrypt(dataKey, segmentNonce(header.noncePrefix, index, last), piece, aad);
    if (!plaintext) throw new ArchiveIntegrityError(`segment ${index} does not authenticate: the archive was altered, reordered or truncated`);
    return plaintext;
  };
}

export interface ArchiveLayout {
  readonly headerBytes: number;
  readonly segmentSize: number;
  /** Bytes of a segment on disk but the last: S + 16. */
  readonly pieceBytes: number;
  readonly segments: number;
  /** Bytes of the last segment on disk, its tag included: 16 to S + 15. */
  readonly lastPieceBytes: number;
  readonly plaintextBytes: number;
}

/**
 * Where every segment of a file of `fileBytes` lies, from its size alone (docs/archive-format.md,
 * Segments): a file that ends on a full segment, or inside a tag, is truncated.
 */
export function archiveLayout(fileBytes: number, headerLength: number, segmentSize: number): ArchiveLayout {
  if (segmentSize < 1 || segmentSize > MAX_SEGMENT_SIZE) throw new ArchiveIntegrityError(`segment size ${segmentSize}: expected 1 to ${MAX_SEGMENT_SIZE} bytes`);
  const body = fileBytes - headerLength;
  const pieceBytes = segmentSize + TAG;
  const lastPieceBytes = body % pieceBytes;
  if (body < TAG || lastPieceBytes < TAG) throw new ArchiveIntegrityError('truncated: the last segment is missing');
  const segments = Math.floor(body / pieceBytes) + 1;
  // The nonce holds the index in 4 bytes.
  if (segments > 2 ** 32) throw new ArchiveIntegrityError(`${segments} segments: more than a version 1 archive can hold`);
  return { headerBytes: headerLength, segmentSize, pieceBytes, segments, lastPieceBytes, plaintextBytes: body - segments * TAG };
}

/**
 * The plaintext size of an archive of `fileBytes` wrapped under `keyId`, from the catalogue
 * alone: every archive this service writes has segments of SEGMENT_SIZE bytes.
 */
export function catalogedPlaintextBytes(fileBytes: number, keyId: string): number {
  return archiveLayout(fileBytes, HEADER_FIXED + Buffer.byteLength(keyId, 'latin1'), SEGMENT_SIZE).plaintextBytes;
}

/** Plaintext in, the archive file's bytes out (header first). */
export function encryptArchive(master: MasterKey, segmentSize = SEGMENT_SIZE): Transform {
  const { header, dataKey } = newHeader(master, segmentSize);
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  let started = false;
  const aad = streamAad(header);
  const seal = (plaintext: Buffer, last: boolean) => gcmEncrypt(dataKey, segmentNonce(header.noncePrefix, index++, last), plaintext, aad);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!started) {
        this.push(header.bytes);
        started = true;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // A full segment is never the last one: the last holds fewer than S bytes (maybe none).
      while (pending.length >= segmentSize) {
        this.push(seal(pending.subarray(0, segmentSize), false));
        pending = pending.subarray(segmentSize);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (!started) this.push(header.bytes);
      this.push(seal(pending, true));
      callback();
    },
  });
}

/**
 * The archive file's bytes in, the plaintext out. Each segment is checked before it is
 * passed on; a truncated file is detected only at its end, so a caller that must never
 * hand out a partial plaintext authenticates the whole file first (`SealedArchive`).
 */
export function decryptArchive(keys: MasterKeys): Transform {
  let buffered: Buffer = Buffer.alloc(0);
  let header: ArchiveHeader | undefined;
  let openSegment: SegmentOpener | undefined;
  let index = 0;
  const open = (piece: Buffer, last: boolean) => openSegment!(piece, index++, last);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        if (!header) {
          header = parseHeader(buffered);
          if (!header) return callback();
          openSegment = segmentOpener(header, unwrapDataKey(header, keys));
          buffered = buffered.subarray(header.bytes.length);
        }
        const piece = header.segmentSize + TAG;
        // More than a full piece buffered: the first one cannot be the last.
        while (buffered.length > piece) {
          this.push(open(buffered.subarray(0, piece), false));
          buffered = buffered.subarray(piece);
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!header) throw new ArchiveIntegrityError('truncated: the file ends inside its header');
        if (buffered.length === header.segmentSize + TAG || buffered.length < TAG) throw new ArchiveIntegrityError('truncated: the last segment is missing');
        this.push(open(buffered, true));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
