/**
 * The archive envelope (4.10, 10.4, Properties 29 and 61): what is written decrypts to
 * the same bytes — with this project's code and with the independent decoder printed in
 * docs/archive-format.md, run as written there (WebCrypto only) — no plaintext shows in
 * the file, and any flipped byte, truncation, reordering, wrong key or shredded key is
 * refused, never a partial plaintext.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveIntegrityError, decryptArchive, encryptArchive, parseHeader, rewrapHeader, type MasterKey, type MasterKeys } from '../../src/archives/archive-envelope.js';
import { ArchiveKeyError, archiveKeysProblem, loadArchiveKeys } from '../../src/archives/archive-keys.js';

const SMALL = 64; // small segments: every boundary case in a few bytes
const master: MasterKey = { id: 'k2026', key: randomBytes(32) };
const other: MasterKey = { id: 'k2027', key: randomBytes(32) };
const keys: MasterKeys = { current: master, byId: new Map([[master.id, master]]) };

async function collect(stream: NodeJS.ReadableStream | Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(stream, new Writable({ write: (chunk: Buffer, _e, cb) => void (chunks.push(chunk), cb()) }));
  return Buffer.concat(chunks);
}

const encrypt = (plaintext: Buffer, key = master, segment = SMALL) => collect(Readable.from(splitRandomly(plaintext)).pipe(encryptArchive(key, segment)));
const decrypt = (file: Buffer, withKeys = keys) => collect(Readable.from(splitRandomly(file)).pipe(decryptArchive(withKeys)));

/** Chunks of uneven sizes, as a file or a socket delivers them. */
function splitRandomly(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + ((at * 7919 + bytes.length) % 97);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out.length === 0 ? [Buffer.alloc(0)] : out;
}

describe('archive envelope', () => {
  let decodeFromDoc: (file: Uint8Array, keys: Map<string, Uint8Array>) => Promise<Buffer>;
  let dir: string;
  beforeAll(async () => {
    const doc = readFileSync(new URL('../../docs/archive-format.md', import.meta.url), 'utf8');
    const code = /## Example decoder[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeDefined();
    dir = mkdtempSync(path.join(tmpdir(), 'decoder-'));
    writeFileSync(path.join(dir, 'decoder.mjs'), code!);
    decodeFromDoc = ((await import(path.join(dir, 'decoder.mjs'))) as { decryptArchive: typeof decodeFromDoc }).decryptArchive;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round trip at every size around the segment boundaries, with the code and with the decoder of the document', async () => {
    for (const size of [0, 1, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL, 3 * SMALL + 5, 1000]) {
      const plaintext = randomBytes(size);
      const file = await encrypt(plaintext);
      expect((await decrypt(file)).equals(plaintext), `size ${size}`).toBe(true);
      expect(Buffer.from(await decodeFromDoc(file, new Map([[master.id, master.key]]))).equals(plaintext), `document decoder, size ${size}`).toBe(true);
    }
    // The default 64 KiB segments too, through the document's decoder.
    const large = randomBytes(200_000);
    expect(Buffer.from(await decodeFromDoc(await encrypt(large, master, 65_536), new Map([[master.id, master.key]]))).equals(large)).toBe(true);
  });

  it('Properties 29 and 61: no plaintext shows in the file; every single-byte change and every truncation is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.nat(), fc.integer({ min: 1, max: 255 }), async (bytes, at, flip) => {
        const plaintext = Buffer.from(bytes);
        const file = await encrypt(plaintext);
        // Any 16 plaintext bytes would be found if they were stored as they are.
        for (let i = 0; i + 16 <= plaintext.length; i += 16) expect(file.includes(plaintext.subarray(i, i + 16))).toBe(false);
        const altered = Buffer.from(file);
        altered[at % altered.length]! ^= flip;
        await expect(decrypt(altered)).rejects.toBeInstanceOf(ArchiveIntegrityError);
        await expect(decodeFromDoc(altered, new Map([[master.id, master.key]]))).rejects.toThrow();
        const cut = at % file.length;
        await expect(decrypt(file.subarray(0, cut))).rejects.toBeInstanceOf(ArchiveIntegrityError);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses reordered segments, another key, a key id it does not hold, and a shredded key', async () => {
    const plaintext = randomBytes(5 * SMALL + 3);
    const file = await encrypt(plaintext);
    const header = parseHeader(file)!;
    const body = file.subarray(header.bytes.length);
    const piece = SMALL + 16;
    const swapped = Buffer.concat([header.bytes, body.subarray(piece, 2 * piece), body.subarray(0, piece), body.subarray(2 * piece)]);
    await expect(decrypt(swapped)).rejects.toThrow(/segment 0 does not authenticate/);
    const impostor: MasterKeys = { current: { id: master.id, key: randomBytes(32) }, byId: new Map([[master.id, { id: master.id, key: randomBytes(32) }]]) };
    await expect(decrypt(file, impostor)).rejects.toThrow(/does not open this archive/);
    await expect(decrypt(file, { current: other, byId: new Map([[other.id, other]]) })).rejects.toThrow(/key "k2026", which is not in ARCHIVE_KEYS/);
    const shredded = Buffer.from(file);
    header.wrappedKey.fill(0);
    shredded.fill(0, 22 + master.id.length, 70 + master.id.length);
    await expect(decrypt(shredded)).rejects.toThrow(/shredded/);
  });

  it('rewrapping changes only the header: the old key can go, the data decrypts with the new one', async () => {
    const plaintext = randomBytes(3 * SMALL);
    const file = await encrypt(plaintext);
    const header = parseHeader(file)!;
    const both: MasterKeys = { current: other, byId: new Map([[master.id, master], [other.id, other]]) };
    const rewrapped = Buffer.concat([rewrapHeader(header, both, other).bytes, file.subarray(header.bytes.length)]);
    const onlyNew: MasterKeys = { current: other, byId: new Map([[other.id, other]]) };
    expect((await decrypt(rewrapped, onlyNew)).equals(plaintext)).toBe(true);
    await expect(decrypt(file, onlyNew)).rejects.toBeInstanceOf(ArchiveIntegrityError);
  });

  it('reads ARCHIVE_KEYS and ARCHIVE_KEY_FILE, the first key current, and names what is wrong', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    const loaded = loadArchiveKeys({ archiveKeys: `k2:${a},k1:${b}` });
    expect(loaded.current.id).toBe('k2');
    expect([...loaded.byId.keys()]).toEqual(['k2', 'k1']);
    expect(() => loadArchiveKeys({})).toThrow(/no archive key configured; set ARCHIVE_KEYS or ARCHIVE_KEY_FILE/);
    for (const bad of ['k1', `k1:${randomBytes(16).toString('base64')}`, `:${a}`, `k1:${a},k1:${b}`, 'k1:not base64 at all', ',']) {
      expect(() => loadArchiveKeys({ archiveKeys: bad }), bad).toThrow(ArchiveKeyError);
      expect(archiveKeysProblem({ archiveKeys: bad }), bad).toMatch(/^ARCHIVE_KEYS=\*\*\*\*: /);
    }
    // The key itself never appears in a message, not even its beginning.
    expect(archiveKeysProblem({ archiveKeys: `k1:${a.slice(0, 30)}` })).not.toContain(a.slice(0, 8));
  });

  it('accepts a key file its owner or root owns with mode 0600, 0400, 0640 or 0440, and nothing laxer', () => {
    const a = randomBytes(32).toString('base64');
    const keyDir = mkdtempSync(path.join(tmpdir(), 'keys-'));
    try {
      const file = path.join(keyDir, 'archive.keys');
      writeFileSync(file, `k9:${a}\n`);
      for (const mode of [0o600, 0o400, 0o640, 0o440]) {
        chmodSync(file, mode);
        expect(loadArchiveKeys({ archiveKeyFile: file }).current.id, mode.toString(8)).toBe('k9');
      }
      for (const mode of [0o644, 0o604, 0o660, 0o620, 0o666]) {
        chmodSync(file, mode);
        expect(() => loadArchiveKeys({ archiveKeyFile: file }), mode.toString(8)).toThrow(
          new RegExp(`ARCHIVE_KEY_FILE=.*: mode 0?${mode.toString(8)} lets others read or change it; expected 0600, 0400, 0640 or 0440`),
        );
      }
      chmodSync(file, 0o600);
      const uid = process.getuid!();
      const stranger = uid === 0 ? 4242 : undefined;
      if (stranger !== undefined) {
        // Only root can give a file away; as root, a file some other user owns is refused.
        chownSync(file, stranger, stranger);
        expect(() => loadArchiveKeys({ archiveKeyFile: file })).toThrow(/owned by uid 4242; expected the service's user \(uid 0\) or root/);
      }
      expect(archiveKeysProblem({ archiveKeyFile: path.join(keyDir, 'missing') })).toMatch(/ARCHIVE_KEY_FILE=.*missing.*: cannot read it \(ENOENT\)/);
      expect(archiveKeysProblem({ archiveKeyFile: keyDir })).toMatch(/expected a regular file/);
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });
});
