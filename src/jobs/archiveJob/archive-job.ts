/**
 * archiveJob (requirements 4.1–4.13): inscriptions and defenses closed for more than a
 * year at `runAt`, each into its own encrypted archive by a crash-safe saga
 * (archive-saga.ts), in keyset pages and chunks of 20 (4.9). A record that cannot be
 * archived as it is (a document missing, unreadable, a symlink, outside UPLOADS_DIR) is
 * skipped and recorded, up to ARCHIVE_SKIP_LIMIT.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../../db/connect.js';
import type { Databases } from '../../db/databases.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import { addYears, dateInZone } from '../../doctorate/calendar.js';
import { keysetPosition, keysetReader } from '../../engine/keyset-reader.js';
import type { ChunkStep, JobDefinition, Json, StepRunContext, TaskletStep } from '../../engine/types.js';
import type { MasterKeys } from '../../archives/archive-envelope.js';
import type { AuditLog } from '../../security/audit-log.js';
import { asJsonObject, contextKey } from '../../engine/execution-context.js';
import { archiveRecords, type SagaDeps } from './archive-saga.js';
import { maintain, type MaintenanceResult } from './database-maintenance.js';
import { deleteNotifications, deleteOldAppLogs, oldSentNotifications } from './log-cleanup.js';
import { documentFile, UnarchivableRecordError, type ArchiveType, type RecordToArchive } from '../../archives/record-archive.js';


/** What a dry run of the archive step would archive, summed over its chunks. */
const DRY_RUN_PLAN = contextKey<{ readonly records: number; readonly documents: number; readonly bytes: number }>('dryRun');
/** What the log cleanup deleted. */
const CLEANUP = contextKey<{ readonly logsDeleted: number; readonly notificationsDeleted: number }>('cleanup');
export const ARCHIVE_JOB = 'archiveJob';
/** 4.9: chunk and fetch size. */
const PAGE = 20;

export interface ArchiveDeps extends Pick<Databases, 'batch' | 'inscription' | 'defense' | 'notification'> {
  readonly audit: AuditLog;
  readonly uploadsDir: string;
  readonly logDir: string;
  readonly archivesDir: string;
  readonly timeZone: string;
  readonly skipLimit: number;
  /**
   * Also maintain the sibling services' tables this job touched (DB_MAINTENANCE_SIBLINGS):
   * on MariaDB, OPTIMIZE TABLE rebuilds a table, so it is their owners' call, off by default.
   */
  readonly maintainSiblings?: boolean;
  /** Throws ArchiveKeyError (a 400, exit 2) when the keys are missing or malformed. */
  keys(): MasterKeys;
  readonly logger?: Logger;
  /** Fault-injection tests only: called between the steps of each record's saga. */
  readonly boundary?: SagaDeps['boundary'];
}

/** 4.2, 4.4: one year before `runAt` — as an instant for `updated_at`, as a date in the zone for `date_soutenance`. */
export function archiveCutoff(runAt: Date, timeZone: string): { instant: Date; date: string } {
  const instant = new Date(runAt);
  instant.setUTCFullYear(instant.getUTCFullYear() - 1);
  return { instant, date: addYears(dateInZone(runAt, timeZone), -1) };
}

/** An archive step's candidates: read by pages after a key, and counted after one for its estimate. */
interface Candidates {
  page(ctx: StepRunContext, after: number, limit: number): Promise<RecordToArchive[]>;
  count(ctx: StepRunContext, after: number): Promise<number>;
}

export function archiveJob(deps: ArchiveDeps): JobDefinition {
  const markArchived: Readonly<Record<ArchiveType, (ids: readonly number[]) => Promise<void>>> = {
    inscription: async (ids) => void (await deps.inscription.db.updateTable('inscriptions').set({ archived: 1 }).where('id', 'in', ids).where('archived', '=', 0).execute()),
    defense: async (ids) => void (await deps.defense.db.updateTable('soutenances').set({ archived: 1 }).where('id', 'in', ids).where('archived', '=', 0).execute()),
  };
  const saga = (type: ArchiveType): SagaDeps => ({
    batch: deps.batch,
    audit: deps.audit,
    uploadsDir: deps.uploadsDir,
    archivesDir: deps.archivesDir,
    keys: deps.keys(),
    boundary: deps.boundary,
    markArchived: markArchived[type],
  });

  /** Each row with the `chemin` of its documents, in the documents' order. */
  const withDocuments = (type: ArchiveType, rows: readonly ({ id: number } & Record<string, unknown>)[], documents: readonly { owner: number; chemin: string }[], resumed: readonly number[]): RecordToArchive[] => {
    const chemins = new Map<number, string[]>();
    for (const d of documents) chemins.set(d.owner, [...(chemins.get(d.owner) ?? []), d.chemin]);
    return rows.map((row) => ({ type, originalId: Number(row.id), row, chemins: chemins.get(Number(row.id)) ?? [], resumed: resumed.includes(Number(row.id)) }));
  };

  // 4.2: inscriptions closed and untouched for a year at runAt, plus those a crash left
  // half-archived, after a key; one condition for the step's pages and its estimate.
  const enrollmentCandidates = (ctx: StepRunContext, resume: readonly number[], after: number) => {
    const { instant } = archiveCutoff(ctx.runAt, deps.timeZone);
    return deps.inscription.db
      .selectFrom('inscriptions')
      .where((eb) =>
        eb.or([
          eb.and([eb('statut', 'in', ['VALIDÉ', 'REJETÉ']), eb('updated_at', '<', sqlTimestamp(instant)), eb('archived', '=', 0)]),
          ...(resume.length > 0 ? [eb('id', 'in', resume)] : []),
        ]),
      )
      .where('id', '>', after);
  };
  // 4.4: defenses held with signed minutes more than a year before runAt, plus those a
  // crash left half-archived, after a key; one condition for the step's pages and its estimate.
  const defenseCandidates = (ctx: StepRunContext, resume: readonly number[], after: number) => {
    const { date } = archiveCutoff(ctx.runAt, deps.timeZone);
    return deps.defense.db
      .selectFrom('soutenances')
      .where((eb) =>
        eb.or([
          eb.and([eb('statut', '=', 'SOUTENUE'), eb('date_soutenance', '<', date), eb('pv_signe', '=', 1), eb('archived', '=', 0)]),
          ...(resume.length > 0 ? [eb('id', 'in', resume)] : []),
        ]),
      )
      .where('id', '>', after);
  };

  /** Records whose saga a crash left unfinished (row without completed_at): brought back whatever their flag. */
  const unfinished = async (type: ArchiveType): Promise<number[]> =>
    (await deps.batch.db.selectFrom(type === 'inscription' ? 'inscription_archive' : 'defense_archive').select('original_id').where('completed_at', 'is', null).execute()).map((r) => Number(r.original_id));

  const step = (name: string, type: ArchiveType, candidates: Candidates): ChunkStep<RecordToArchive> => ({
    kind: 'chunk',
    name,
    chunkSize: PAGE,
    reader: (ctx) => keysetReader(ctx.restoredContext, { fetch: (after, limit) => candidates.page(ctx, after, limit), keyOf: (record: RecordToArchive) => record.originalId }),
    estimate: (ctx) => candidates.count(ctx, keysetPosition(ctx.restoredContext)),
    // Every document of a new record checked before the chunk's write, so a bad record (missing, a
    // symlink, outside UPLOADS_DIR) is skipped here instead of failing its chunk's saga;
    // the saga checks again as it reads (a file can change in between). A dry run lists
    // what it would archive and the bytes that would be freed.
    processor: async (record, ctx) => {
      if (record.resumed) return record;
      const files = await Promise.all(record.chemins.map((chemin) => documentFile(deps.uploadsDir, chemin)));
      if (!ctx.dryRun) return record;
      const bytes = (await Promise.all(files.map(async (file) => (await stat(file)).size))).reduce((a, b) => a + b, 0);
      const planned = ctx.jobContext.read(DRY_RUN_PLAN) ?? { records: 0, documents: 0, bytes: 0 };
      ctx.jobContext.write(DRY_RUN_PLAN, { records: planned.records + 1, documents: planned.documents + record.chemins.length, bytes: planned.bytes + bytes });
      deps.logger?.info({ type: record.type, originalId: record.originalId, documents: record.chemins, bytes }, 'dry run: would archive');
      return record;
    },
    writer: (ctx) => {
      const sagaDeps = saga(type);
      return {
        async write(records) {
          await archiveRecords(type, records, sagaDeps, ctx);
          return records.length;
        },
      };
    },
    skip: { limit: deps.skipLimit, skippable: (error) => error instanceof UnarchivableRecordError },
    describeItem: (record) => ({ type: record.type, originalId: record.originalId, documents: record.chemins as Json }),
  });

  // 4.6, 4.7: log files by name, then SENT notifications in chunks of 20, the position saved after each.
  const cleanupLogs: TaskletStep = {
    kind: 'tasklet',
    name: 'cleanupLogsStep',
    run: async (ctx) => {
      const saved = ctx.restoredContext as { logsDeleted?: string[]; lastNotificationId?: number; notificationsDeleted?: number };
      const logsDeleted = saved.logsDeleted ?? (await deleteOldAppLogs(deps.logDir, ctx.runAt, deps.timeZone, ctx.dryRun));
      let state = { logsDeleted, lastNotificationId: saved.lastNotificationId ?? 0, notificationsDeleted: saved.notificationsDeleted ?? 0 };
      await ctx.saveState(state);
      for (;;) {
        if (ctx.signal.aborted) throw ctx.signal.reason as Error;
        const ids = await oldSentNotifications(deps.notification, ctx.runAt, state.lastNotificationId, PAGE);
        if (ids.length === 0) break;
        ctx.checkLease();
        const deleted = ctx.dryRun ? ids.length : await deleteNotifications(deps.notification, ctx.runAt, ids);
        state = { ...state, lastNotificationId: ids.at(-1)!, notificationsDeleted: state.notificationsDeleted + deleted };
        ctx.count({ read: ids.length, write: deleted, filter: ids.length - deleted });
        await ctx.saveState(state);
      }
      ctx.jobContext.write(CLEANUP, { logsDeleted: logsDeleted.length, notificationsDeleted: state.notificationsDeleted });
    },
  };

  // 4.8: batchdb's archive tables, and the sibling tables this job touched when their owners allow it
  // (DB_MAINTENANCE_SIBLINGS); corruption fails the step, a missing privilege is a warning.
  const optimizeDatabase: TaskletStep = {
    kind: 'tasklet',
    name: 'optimizeDatabaseStep',
    run: async (ctx) => {
      const siblings: readonly (readonly [DatabaseHandle<unknown>, readonly string[]])[] = [
        [deps.inscription as DatabaseHandle<unknown>, ['inscriptions', 'documents']],
        [deps.defense as DatabaseHandle<unknown>, ['soutenances', 'soutenance_documents']],
        [deps.notification as DatabaseHandle<unknown>, ['notifications']],
      ];
      const touched = [...(deps.maintainSiblings ? siblings : []), [deps.batch as DatabaseHandle<unknown>, ['inscription_archive', 'defense_archive']] as const];
      // Counted in tables (not operations, which differ by engine), so a dry run announces what the real run counts.
      const tables = touched.reduce((sum, [, names]) => sum + names.length, 0);
      if (ctx.dryRun) {
        ctx.count({ read: tables, write: tables });
        return;
      }
      const results: MaintenanceResult[] = [];
      for (const [handle, names] of touched) results.push(...(await maintain(handle, names)));
      deps.logger?.info({ job: ctx.jobName, execution: ctx.jobExecutionId, results }, `database maintenance of ${tables} tables done`);
      const warnings = results.filter((r) => r.status === 'WARNING');
      if (warnings.length > 0) ctx.warn(`maintenance skipped where privileges are missing: ${warnings.map((w) => `${w.operation} ${w.database}.${w.table}`).join(', ')}`);
      await ctx.saveState(asJsonObject({ results }));
      const refused = new Set(warnings.map((w) => `${w.database}.${w.table}`)).size;
      ctx.count({ read: tables, write: tables - refused, filter: refused });
    },
  };

  return {
    name: ARCHIVE_JOB,
    description: 'Archives closed inscriptions and defenses into encrypted files, then removes their documents',
    validateParameters: () => void deps.keys(),
    unavailable: () => {
      try {
        deps.keys();
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    steps: [
      step('archiveEnrollmentsStep', 'inscription', {
        page: async (ctx, after, limit) => {
          const resume = await unfinished('inscription');
          const rows = await enrollmentCandidates(ctx, resume, after).selectAll().orderBy('id').limit(limit).execute();
          const documents = rows.length === 0 ? [] : await deps.inscription.db.selectFrom('documents').select(['inscription_id as owner', 'chemin']).where('inscription_id', 'in', rows.map((r) => r.id)).orderBy('id').execute();
          return withDocuments('inscription', rows, documents.map((d) => ({ owner: Number(d.owner), chemin: d.chemin })), resume);
        },
        count: async (ctx, after) => {
          const row = await enrollmentCandidates(ctx, await unfinished('inscription'), after).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
          return Number(row.n);
        },
      }),
      step('archiveDefensesStep', 'defense', {
        page: async (ctx, after, limit) => {
          const resume = await unfinished('defense');
          const rows = await defenseCandidates(ctx, resume, after).selectAll().orderBy('id').limit(limit).execute();
          const documents = rows.length === 0 ? [] : await deps.defense.db.selectFrom('soutenance_documents').select(['soutenance_id as owner', 'chemin']).where('soutenance_id', 'in', rows.map((r) => r.id)).orderBy('id').execute();
          return withDocuments('defense', rows, documents.map((d) => ({ owner: Number(d.owner), chemin: d.chemin })), resume);
        },
        count: async (ctx, after) => {
          const row = await defenseCandidates(ctx, await unfinished('defense'), after).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
          return Number(row.n);
        },
      }),
      cleanupLogs,
      optimizeDatabase,
    ],
    // 4.13, from the archive rows of this instance's executions: exact whatever was replayed.
    metrics: async (steps, jobContext, execution) => {
      const totals = async (table: 'inscription_archive' | 'defense_archive') =>
        deps.batch.db
          .selectFrom(table)
          .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('documents_count').as('docs'), (eb) => eb.fn.sum<number>('documents_bytes').as('bytes'), (eb) => eb.fn.sum<number>('size_bytes').as('size')])
          .where('job_execution_id', 'in', (eb) => eb.selectFrom('batch_job_execution').select('id').where('job_instance_id', '=', execution.instanceId))
          .executeTakeFirstOrThrow();
      const skipped = [...steps.values()].reduce((sum, s) => sum + s.counts.writeSkip + s.counts.processSkip, 0);
      const cleanup = {
        logsDeleted: jobContext.read(CLEANUP)?.logsDeleted ?? 0,
        notificationsDeleted: jobContext.read(CLEANUP)?.notificationsDeleted ?? 0,
        recordsSkipped: skipped,
      };
      if (execution.dryRun) {
        // Nothing archived: what the processor planned (no archive built, so no archive size).
        const planned = jobContext.read(DRY_RUN_PLAN) ?? { records: 0, documents: 0, bytes: 0 };
        return {
          enrollmentsArchived: steps.get('archiveEnrollmentsStep')?.counts.wouldWrite ?? 0,
          defensesArchived: steps.get('archiveDefensesStep')?.counts.wouldWrite ?? 0,
          documentsArchived: planned.documents,
          bytesFreed: planned.bytes,
          ...cleanup,
        };
      }
      const [i, d] = await Promise.all([totals('inscription_archive'), totals('defense_archive')]);
      return {
        enrollmentsArchived: Number(i.n),
        defensesArchived: Number(d.n),
        documentsArchived: Number(i.docs ?? 0) + Number(d.docs ?? 0),
        bytesFreed: Number(i.bytes ?? 0) + Number(d.bytes ?? 0),
        archiveBytes: Number(i.size ?? 0) + Number(d.size ?? 0),
        ...cleanup,
      };
    },
    dryRunWords: {
      enrollmentsArchived: 'would archive {n} inscriptions',
      defensesArchived: 'would archive {n} defenses',
      documentsArchived: 'would archive and delete {n} documents',
      bytesFreed: 'would free {n} bytes of uploads',
      logsDeleted: 'would delete {n} application log files',
      notificationsDeleted: 'would delete {n} sent notifications',
      recordsSkipped: 'would skip {n} records (see the skipped items)',
    },
  };
}
