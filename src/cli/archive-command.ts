/**
 * `batch-service archive list | restore | verify | rewrap | shred` (10.5, 10.7, CONTRACT.md).
 * Every access is audited with the operating-system user and the host, as the API audits
 * its callers.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config.js';
import { closeDatabases, migrate, openDatabases, type Databases } from '../db/databases.js';
import { ARCHIVE_TYPES, ArchiveCatalog } from '../jobs/archiveJob/archive-catalog.js';
import { readArchive, type ArchiveType } from '../jobs/archiveJob/record-archive.js';
import { loadArchiveKeys } from '../security/archive-keys.js';
import { AuditLog, type AuditAction } from '../security/audit-log.js';

const archiveType = (value: string): ArchiveType => {
  if (!(ARCHIVE_TYPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected inscription or defense, got ${JSON.stringify(value)}`);
  return value as ArchiveType;
};
const originalId = (value: string): number => {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new InvalidArgumentError(`expected a record id (digits), got ${JSON.stringify(value)}`);
  return Number(value);
};

async function withCatalog(config: Config, work: (catalog: ArchiveCatalog, audit: (action: AuditAction, target: string, details?: Record<string, string | number>) => Promise<void>, databases: Databases) => Promise<void>): Promise<void> {
  const databases = openDatabases(config);
  try {
    await migrate(databases);
    const log = new AuditLog(databases.batch.db);
    const actor = `${userInfo().username} (cli)`;
    await work(new ArchiveCatalog(databases.batch.db), async (action, target, details) => void (await log.append({ action, actor, clientAddress: hostname(), target, ...(details ? { details } : {}) })), databases);
  } finally {
    await closeDatabases(databases);
  }
}

export function registerArchiveCommand(program: Command, config: () => Config): void {
  const archive = program.command('archive').description('encrypted archives of inscriptions and defenses: list, restore, verify, rewrap, shred');

  archive
    .command('list')
    .description('archived records, newest first')
    .option('--type <type>', 'inscription or defense', archiveType)
    .option('--json', 'JSON objects with type, originalId, archivedAt, keyId, sizeBytes, documents')
    .action(async (opts: { type?: ArchiveType; json?: boolean }) => {
      await withCatalog(config(), async (catalog) => {
        const { items } = await catalog.list(opts.type, 0, Number.MAX_SAFE_INTEGER);
        if (opts.json) {
          console.log(JSON.stringify(items.map(({ type, originalId: id, archivedAt, keyId, sizeBytes, documents }) => ({ type, originalId: id, archivedAt, keyId, sizeBytes, documents })), null, 2));
          return;
        }
        for (const a of items) console.log(`${a.type} ${a.originalId}  ${a.archivedAt}  key ${a.keyId}  ${a.sizeBytes} bytes  ${a.documents} document(s)${a.shredded ? '  SHREDDED' : ''}`);
        console.log(`${items.length} archive(s)`);
      });
    });

  archive
    .command('restore <type> <originalId>')
    .description('write the documents under <dir> at their chemin, plus record.json; never overwrites')
    .requiredOption('--out <dir>', 'where to write')
    .action(async (typeText: string, idText: string, opts: { out: string }) => {
      const type = archiveType(typeText);
      const id = originalId(idText);
      const cfg = config();
      const keys = loadArchiveKeys(cfg);
      await withCatalog(cfg, async (catalog, audit) => {
        const record = await catalog.get(type, id);
        if (!record) throw new InvalidArgumentError(`no archive of ${type} ${id}`);
        const out = path.resolve(opts.out);
        // Verified whole before the first file is written; each document is then streamed
        // from the archive to its file, never held in memory.
        const documents = await readArchive(record.path, keys, { sha256: record.sha256 }, async (archive) => {
          const names = archive.contents.entries.filter((name) => name !== 'manifest.json' && name !== 'record.json');
          const outputs = names.map((name) => ({ name, file: path.join(out, ...name.split('/')) }));
          const leaving = outputs.find(({ file }) => !file.startsWith(out + path.sep));
          if (leaving) throw new InvalidArgumentError(`archive entry ${JSON.stringify(leaving.name)} leaves the output folder`);
          const existing = [...outputs.map(({ file }) => file), path.join(out, 'record.json')].filter((file) => existsSync(file));
          if (existing.length > 0) throw new InvalidArgumentError(`refusing to overwrite ${existing.join(', ')}`);
          for (const { name, file } of outputs) {
            await mkdir(path.dirname(file), { recursive: true });
            try {
              await pipeline(await archive.entry(name), createWriteStream(file, { flags: 'wx' }));
            } catch (error) {
              // A segment changed since the verification: no half-written document stays.
              if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(file, { force: true });
              throw error;
            }
          }
          await writeFile(path.join(out, 'record.json'), JSON.stringify(archive.contents.record, null, 2), { flag: 'wx' });
          return names.length;
        });
        await audit('ARCHIVE_ACCESS', `${type}#${id}`, { operation: 'restore', documents });
        console.log(`${type} ${id}: ${documents} document(s) and record.json written under ${out}`);
      });
    });

  archive
    .command('verify [type] [originalId]')
    .description('decrypt and check every archive, or one; exit 1 naming each bad one')
    .action(async (typeText: string | undefined, idText: string | undefined) => {
      const cfg = config();
      const keys = loadArchiveKeys(cfg);
      await withCatalog(cfg, async (catalog, audit) => {
        const records = typeText === undefined ? await catalog.all() : [await catalog.get(archiveType(typeText), originalId(idText ?? ''))];
        let bad = 0;
        for (const record of records) {
          if (!record) throw new InvalidArgumentError(`no archive of ${typeText} ${idText}`);
          if (record.shredded) {
            console.log(`${record.type} ${record.originalId}: shredded (cannot be decrypted, by design)`);
            continue;
          }
          try {
            await catalog.open(record, keys);
            console.log(`${record.type} ${record.originalId}: OK`);
          } catch (error) {
            bad++;
            console.log(`${record.type} ${record.originalId}: BAD — ${(error as Error).message}`);
          }
        }
        await audit('ARCHIVE_ACCESS', typeText === undefined ? 'all archives' : `${typeText}#${idText}`, { operation: 'verify', checked: records.length, bad });
        if (bad > 0) process.exitCode = 1;
      });
    });

  archive
    .command('rewrap')
    .description('re-wrap every data key under the current archive key (the first of ARCHIVE_KEYS); the older keys can go afterwards')
    .action(async () => {
      const cfg = config();
      const keys = loadArchiveKeys(cfg);
      await withCatalog(cfg, async (catalog, audit) => {
        const done = await catalog.rewrap(keys);
        await audit('ARCHIVE_ACCESS', 'all archives', { operation: 'rewrap', rewrapped: done.length, keyId: keys.current.id });
        console.log(`${done.length} archive(s) re-wrapped under key ${keys.current.id}`);
      });
    });

  archive
    .command('shred <type> <originalId>')
    .description('destroy the archive\'s data key: it can never be decrypted again (an erasure request); needs --yes')
    .option('--yes', 'yes, destroy it')
    .action(async (typeText: string, idText: string, opts: { yes?: boolean }) => {
      const type = archiveType(typeText);
      const id = originalId(idText);
      if (!opts.yes) throw new InvalidArgumentError(`shredding ${type} ${id} cannot be undone; add --yes`);
      await withCatalog(config(), async (catalog, audit) => {
        const record = await catalog.get(type, id);
        if (!record) throw new InvalidArgumentError(`no archive of ${type} ${id}`);
        await catalog.shred(record);
        await audit('ARCHIVE_SHRED', `${type}#${id}`, { archive: record.path });
        console.log(`${type} ${id}: shredded; its archive can never be decrypted again`);
      });
    });
}
