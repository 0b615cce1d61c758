/**
 * `batch-service archive list | show | restore | verify | rewrap | shred` (10.5, 10.7,
 * 11.3). Every access is audited with the operating-system user and the host, as
 * the API audits its callers. A shredded archive is listed and shown by what identifies
 * it; restoring it is refused, saying when it was shredded.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config.js';
import { closeDatabases, migrate, openDatabases, type Databases } from '../db/databases.js';
import { ARCHIVE_TYPES, ArchiveCatalog, shreddedDetail } from '../archives/archive-catalog.js';
import { shredArchive } from '../archives/archive-erasure.js';
import { readArchive, type ArchiveType } from '../archives/record-archive.js';
import { loadArchiveKeys } from '../archives/archive-keys.js';
import { isRealFolderUnder } from '../security/folder-on-disk.js';
import { AuditLog, type AuditAction } from '../security/audit-log.js';
import { formatSeconds } from './format.js';

const archiveType = (value: string): ArchiveType => {
  if (!(ARCHIVE_TYPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected inscription or defense, got ${JSON.stringify(value)}`);
  return value as ArchiveType;
};
const originalId = (value: string): number => {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new InvalidArgumentError(`expected a record id (digits), got ${JSON.stringify(value)}`);
  return Number(value);
};

/** Who acts: the operating-system account (its uid when it has no name), from this host. */
function cliActor(): { actor: string; clientAddress: string } {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { actor: `${name} (cli)`, clientAddress: hostname() };
}

type Audit = (action: AuditAction, target: string, details?: Record<string, string | number>) => Promise<void>;

async function withCatalog(config: Config, work: (catalog: ArchiveCatalog, audit: Audit, databases: Databases, log: AuditLog) => Promise<void>): Promise<void> {
  const databases = openDatabases(config);
  try {
    await migrate(databases);
    const log = new AuditLog(databases.batch.db);
    const { actor, clientAddress } = cliActor();
    await work(new ArchiveCatalog(databases.batch.db), async (action, target, details) => void (await log.append({ action, actor, clientAddress, target, ...(details ? { details } : {}) })), databases, log);
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
    .option('--json', 'JSON objects with type, originalId, archivedAt, keyId, sizeBytes, documents, shreddedAt')
    .action(async (opts: { type?: ArchiveType; json?: boolean }) => {
      await withCatalog(config(), async (catalog) => {
        const { items } = await catalog.list(opts.type, 0, Number.MAX_SAFE_INTEGER);
        if (opts.json) {
          console.log(JSON.stringify(items.map(({ type, originalId: id, archivedAt, keyId, sizeBytes, documents, shreddedAt }) => ({ type, originalId: id, archivedAt, keyId, sizeBytes, documents, shreddedAt })), null, 2));
          return;
        }
        for (const a of items) console.log(`${a.type} ${a.originalId}  ${a.archivedAt}  key ${a.keyId}  ${a.sizeBytes} bytes  ${a.documents} document(s)${a.shreddedAt ? `  SHREDDED ${a.shreddedAt}` : ''}`);
        console.log(`${items.length} archive(s)`);
      });
    });

  archive
    .command('show <type> <originalId>')
    .description('one archive: what identifies it and the original row (nothing but its identity once shredded)')
    .option('--json', 'one JSON object')
    .action(async (typeText: string, idText: string, opts: { json?: boolean }) => {
      const type = archiveType(typeText);
      const id = originalId(idText);
      await withCatalog(config(), async (catalog, audit) => {
        const record = await catalog.get(type, id);
        if (!record) throw new InvalidArgumentError(`no archive of ${type} ${id}`);
        const { path: file, originalRow, ...identity } = record;
        if (!record.shredded) await audit('ARCHIVE_ACCESS', `${type}#${id}`, { operation: 'read' });
        if (opts.json) {
          console.log(JSON.stringify(record.shredded ? identity : { ...identity, archive: file, originalRow }, null, 2));
          return;
        }
        console.log(`${type} ${id}  archived ${record.archivedAt}  key ${record.keyId}  ${record.sizeBytes} bytes  ${record.documents} document(s)`);
        if (record.shredded) {
          console.log(`SHREDDED: ${shreddedDetail(record)}`);
          return;
        }
        console.log(`archive ${file}  sha256 ${record.sha256}`);
        console.log(JSON.stringify(originalRow, null, 2));
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
        if (record.shredded) throw new InvalidArgumentError(`${shreddedDetail(record)}; nothing to restore`);
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
          // A folder under --out that is a link would take a document elsewhere: all are
          // checked before the first is written, and each again once its folder is made.
          await mkdir(out, { recursive: true });
          const realFolder = async (name: string) => {
            const folders = name.split('/').slice(0, -1);
            if (!(await isRealFolderUnder(out, folders))) throw new InvalidArgumentError(`${path.join(out, ...folders)} is or lies behind a symbolic link: documents are restored only into real folders under --out`);
          };
          for (const name of names) await realFolder(name);
          for (const { name, file } of outputs) {
            await mkdir(path.dirname(file), { recursive: true });
            await realFolder(name);
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
    .description('decrypt and check every archive, or one; ends with the totals (checked, bad, bytes read, time); exit 1 naming each bad one')
    .option('--json', 'one JSON object: each archive with its result, and the totals')
    .action(async (typeText: string | undefined, idText: string | undefined, opts: { json?: boolean }) => {
      const cfg = config();
      const keys = loadArchiveKeys(cfg);
      await withCatalog(cfg, async (catalog, audit) => {
        const started = performance.now();
        const records = typeText === undefined ? await catalog.all() : [await catalog.get(archiveType(typeText), originalId(idText ?? ''))];
        const results: { type: string; originalId: number; result: 'ok' | 'bad' | 'shredded'; sizeBytes: number; detail?: string }[] = [];
        for (const record of records) {
          if (!record) throw new InvalidArgumentError(`no archive of ${typeText} ${idText}`);
          if (record.shredded) {
            results.push({ type: record.type, originalId: record.originalId, result: 'shredded', sizeBytes: 0, detail: `shredded on ${record.shreddedAt}` });
            if (!opts.json) console.log(`${record.type} ${record.originalId}: shredded on ${record.shreddedAt} (erased: cannot be decrypted, by design)`);
            continue;
          }
          try {
            await catalog.open(record, keys);
            results.push({ type: record.type, originalId: record.originalId, result: 'ok', sizeBytes: record.sizeBytes });
            if (!opts.json) console.log(`${record.type} ${record.originalId}: OK`);
          } catch (error) {
            results.push({ type: record.type, originalId: record.originalId, result: 'bad', sizeBytes: record.sizeBytes, detail: (error as Error).message });
            if (!opts.json) console.log(`${record.type} ${record.originalId}: BAD — ${(error as Error).message}`);
          }
        }
        const count = (result: string) => results.filter((r) => r.result === result).length;
        const totals = {
          archives: results.length,
          checked: results.length - count('shredded'),
          ok: count('ok'),
          bad: count('bad'),
          shredded: count('shredded'),
          // The archive files read through (a bad one as far as its size says).
          bytesRead: results.reduce((sum, r) => sum + r.sizeBytes, 0),
          durationMs: Math.round(performance.now() - started),
        };
        await audit('ARCHIVE_ACCESS', typeText === undefined ? 'all archives' : `${typeText}#${idText}`, { operation: 'verify', checked: records.length, bad: totals.bad });
        if (opts.json) console.log(JSON.stringify({ archives: results, totals }, null, 2));
        else console.log(verifyTotalLine(totals));
        if (totals.bad > 0) process.exitCode = 1;
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
      await withCatalog(config(), async (catalog, _audit, databases, log) => {
        const record = await catalog.get(type, id);
        if (!record) throw new InvalidArgumentError(`no archive of ${type} ${id}`);
        const outcome = await shredArchive({ batch: databases.batch, audit: log }, record, cliActor());
        const erased = outcome.erased.skippedItems + outcome.erased.anomalies + outcome.erased.events;
        console.log(
          outcome.alreadyShredded
            ? `${type} ${id}: already shredded on ${outcome.shreddedAt.toISOString()}; erased again${erased > 0 ? ` (${erased} more row(s) naming its documents)` : ''}`
            : `${type} ${id}: shredded; its archive can never be decrypted again, its row and the names of its documents are erased from batchdb${erased > 0 ? ` (with ${erased} other row(s) naming them)` : ''}`,
        );
        if (outcome.fileMissing) console.log(`warning: its archive file ${record.path} was not there (nothing to destroy in it); if a copy of it turns up, delete it`);
        if (outcome.walEmptied === false) {
          console.log(`warning: batchdb's write-ahead log could not be emptied now (another connection was reading): the erased bytes may remain in batchdb's files until a later checkpoint; run this command again once the service is idle`);
          process.exitCode = 1;
        }
      });
    });
}

/** `total: 3 archives checked, 1 bad, 1 shredded skipped; 12.3 MB read in 0.4 s` */
export function verifyTotalLine(totals: { checked: number; bad: number; shredded: number; bytesRead: number; durationMs: number }): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `total: ${plural(totals.checked, 'archive')} checked, ${totals.bad} bad${totals.shredded > 0 ? `, ${totals.shredded} shredded skipped` : ''}; ${readableBytes(totals.bytesRead)} read in ${formatSeconds(totals.durationMs)}`;
}

function readableBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
