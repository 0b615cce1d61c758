/**
 * 5.8, 5.9 and the other direction: documents that rows reference but the disk does not
 * hold (`FICHIER_MANQUANT`, a person must restore or correct them), then files the disk
 * holds but no row references (orphans, moved to `orphelins/`, never deleted).
 *
 * A document of an archived record is not missing: archiveJob removed it on purpose and
 * its row indexes the archive. Names are compared after Unicode normalisation (a file
 * written as NFD matches an NFC `chemin`, and the reverse).
 *
 * The step's items are the files of the walk: read, moved (written) or kept (filtered).
 * The document rows checked and the files found missing are figures of their own.
 */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import type { DefenseDb, InscriptionDb, UserDb } from '../../db/schema/sibling-tables.js';
import type { JsonObject, TaskletContext } from '../../engine/types.js';
import { adminAddresses } from '../../notifications/recipients.js';
import { resolveUnseen, type Anomaly } from '../../anomalies/anomaly-store.js';
import { anomalyEvent, listed, NOTHING, record, type ConsistencyBoundary, type Listing } from './cross-database-checks.js';
import { isRealFolderUnder } from '../../security/folder-on-disk.js';
import { moveOrphan, ORPHANS_DIR, OrphansOutsideError, scanOrphans } from './orphan-files.js';
import { eachPage, savePhase, stepState } from './paging.js';

export interface DocumentDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly uploadsDir: string;
  readonly topic: string;
  readonly pageSize: number;
  readonly logger: Logger;
  readonly boundary?: (at: ConsistencyBoundary) => void | Promise<void>;
}

export interface DocumentTotals extends JsonObject {
  documentsChecked: number;
  /** FICHIER_MANQUANT found (each left to a person). */
  missing: number;
  newAnomalies: number;
  /** Files the walk read, this attempt and the ones before. */
  filesSeen: number;
  /** Orphans moved, this attempt and the ones before (a dry run: would move). */
  orphansMoved: number;
  /** Moved (or, in a dry run, to move) orphans, `from → to`. */
  orphans: Listing;
  symlinksSkipped: Listing;
}

interface DocumentRow {
  readonly id: number;
  readonly owner: number;
  readonly chemin: string;
}

/**
 * Whether the `chemin` names a regular file inside UPLOADS_DIR, under either normal form.
 * Synchronous, as the orphan walk's reads (orphan-files.ts): one page of 500 is a few
 * milliseconds of calls that would each cost a thread-pool round trip several times longer.
 */
function present(uploadsDir: string, chemin: string): boolean {
  const root = path.resolve(uploadsDir);
  for (const form of new Set([chemin, chemin.normalize('NFC'), chemin.normalize('NFD')])) {
    const file = path.resolve(root, form);
    if (!file.startsWith(root + path.sep)) return false;
    if (lstatSync(file, { throwIfNoEntry: false })?.isFile()) return true;
  }
  return false;
}

interface DocumentTable {
  readonly db: Kysely<InscriptionDb> | Kysely<DefenseDb>;
  readonly table: 'documents' | 'soutenance_documents';
  readonly parent: 'inscriptions' | 'soutenances';
  readonly parentKey: 'inscription_id' | 'soutenance_id';
}

/**
 * The next page of one table's document rows whose record is not archived. Both tables
 * have the same shape in two databases, so one plain query serves both.
 */
async function documentPage(t: DocumentTable, after: number, pageSize: number): Promise<DocumentRow[]> {
  const { rows } = await sql<{ id: number | string; owner: number | string; chemin: string }>`
    select d.id, ${sql.ref(`d.${t.parentKey}`)} as owner, d.chemin
    from ${sql.table(t.table)} d join ${sql.table(t.parent)} p on p.id = ${sql.ref(`d.${t.parentKey}`)}
    where d.id > ${after} and p.archived = 0
    order by d.id
    limit ${pageSize}`.execute(t.db);
  return rows.map((r) => ({ id: Number(r.id), owner: Number(r.owner), chemin: r.chemin }));
}

export async function checkDocuments(ctx: TaskletContext, deps: DocumentDeps): Promise<DocumentTotals> {
  const admins = await adminAddresses(deps.user);
  const sources = [
    { phase: 'documents', entity: 'document', owner: 'inscriptionId', db: deps.inscription.db, table: 'documents', parent: 'inscriptions', parentKey: 'inscription_id' },
    { phase: 'soutenanceDocuments', entity: 'soutenance_document', owner: 'soutenanceId', db: deps.defense.db, table: 'soutenance_documents', parent: 'soutenances', parentKey: 'soutenance_id' },
  ] as const;
  let checked = 0;
  let missing = 0;
  let fresh = 0;
  for (const source of sources) {
    const { totals } = await eachPage(
      ctx,
      source.phase,
      { checked: 0, missing: 0, fresh: 0 },
      (after) => documentPage(source, after, deps.pageSize),
      (row) => row.id,
      async (page, totals) => {
        const flags = page.map((row) => present(deps.uploadsDir, row.chemin));
        const anomalies: Anomaly[] = page
          .filter((_, i) => !flags[i])
          .map((row) => ({ type: 'FICHIER_MANQUANT', entity: source.entity, entityId: row.id, details: { chemin: row.chemin, [source.owner]: row.owner }, action: 'INTERVENTION_REQUISE' }));
        const news = await record(ctx, deps, anomalies, (a) => anomalyEvent(a, admins, ctx.runAt));
        // Rows, not the step's items (files): figures only.
        return { counts: {}, totals: { checked: totals.checked + page.length, missing: totals.missing + anomalies.length, fresh: totals.fresh + news } };
      },
    );
    checked += totals.checked;
    missing += totals.missing;
    fresh += totals.fresh;
  }
  if (!ctx.dryRun) await resolveUnseen(deps.batch.db, ['FICHIER_MANQUANT'], ctx.runAt);
  const orphans = await moveOrphans(ctx, deps);
  return { documentsChecked: checked, missing, newAnomalies: fresh, ...orphans };
}

/** Which of these NFC paths a document row references, by both normal forms, one query per table. */
export async function referencedAmong(deps: Pick<DocumentDeps, 'inscription' | 'defense'>, chemins: readonly string[]): Promise<ReadonlySet<string>> {
  const forms = [...new Set(chemins.flatMap((c) => [c, c.normalize('NFD')]))];
  const [a, b] = await Promise.all([
    deps.inscription.db.selectFrom('documents').select('chemin').where('chemin', 'in', forms).execute(),
    deps.defense.db.selectFrom('soutenance_documents').select('chemin').where('chemin', 'in', forms).execute(),
  ]);
  return new Set([...a, ...b].map((r) => r.chemin.normalize('NFC')));
}

/** What the walk saved: the moves so far (they will not be found again), and whether it finished. */
interface WalkState {
  readonly orphansMoved?: number;
  readonly orphans?: Listing;
  readonly walked?: { readonly filesSeen: number; readonly symlinksSkipped: Listing };
}

/**
 * The walk is not resumable by key; it need not be: a restart walks again, and what the
 * first attempt moved is no longer there to find. The moves saved after each batch carry
 * over. So that a restart counts no file twice, the walk's files are counted once, when it
 * ends, in the same save that marks it walked: the files this walk read plus those the
 * attempts before moved.
 */
async function moveOrphans(ctx: TaskletContext, deps: DocumentDeps): Promise<Pick<DocumentTotals, 'filesSeen' | 'orphansMoved' | 'orphans' | 'symlinksSkipped'>> {
  // A dry run moved nothing: a restarted one walks and lists again from nothing.
  const saved = (ctx.dryRun ? {} : (stepState(ctx).orphans ?? {})) as WalkState;
  const movedBefore = saved.orphansMoved ?? 0;
  if (saved.walked) return { filesSeen: saved.walked.filesSeen, orphansMoved: movedBefore, orphans: saved.orphans ?? NOTHING, symlinksSkipped: saved.walked.symlinksSkipped };
  let walk = { filesSeen: 0, moved: 0, orphans: saved.orphans ?? NOTHING, symlinksSkipped: NOTHING };
  const log = deps.logger.child({ job: ctx.jobName, execution: ctx.jobExecutionId, step: ctx.stepName });
  // Checked before the walk, in a dry run too: it must not announce moves the real run refuses.
  if (!(await isRealFolderUnder(deps.uploadsDir, [ORPHANS_DIR]))) throw new OrphansOutsideError(deps.uploadsDir, ORPHANS_DIR);
  for await (const batch of scanOrphans({ uploadsDir: deps.uploadsDir, runAt: ctx.runAt, referenced: (chemins) => referencedAmong(deps, chemins), signal: ctx.signal })) {
    const moved: string[] = [];
    for (const orphan of batch.orphans) {
      if (ctx.dryRun) {
        moved.push(`${orphan.path} → orphelins/${orphan.path}`);
        continue;
      }
      ctx.checkLease();
      const to = await moveOrphan(deps.uploadsDir, orphan.path);
      if (to !== undefined) {
        moved.push(`${orphan.path} → ${to}`);
        await deps.boundary?.('orphan-moved');
      }
    }
    if (moved.length > 0) log.info({ orphans: moved }, ctx.dryRun ? 'orphan documents that would be moved' : 'orphan documents moved to orphelins/');
    if (batch.symlinksSkipped.length > 0) log.warn({ symlinks: batch.symlinksSkipped }, 'symbolic links in UPLOADS_DIR left alone (never followed nor moved)');
    walk = {
      filesSeen: walk.filesSeen + batch.filesSeen,
      // In a dry run, the moves it would make.
      moved: walk.moved + moved.length,
      orphans: listed(walk.orphans, moved),
      symlinksSkipped: listed(walk.symlinksSkipped, batch.symlinksSkipped),
    };
    if (!ctx.dryRun) await savePhase(ctx, 'orphans', { orphansMoved: movedBefore + walk.moved, orphans: walk.orphans });
  }
  const orphansMoved = movedBefore + walk.moved;
  const filesSeen = movedBefore + walk.filesSeen;
  // In a dry run, the moves it would make are recorded as would-write.
  ctx.count({ read: filesSeen, write: orphansMoved, filter: walk.filesSeen - walk.moved });
  await savePhase(ctx, 'orphans', { orphansMoved, orphans: walk.orphans, walked: { filesSeen, symlinksSkipped: walk.symlinksSkipped } });
  return { filesSeen, orphansMoved, orphans: walk.orphans, symlinksSkipped: walk.symlinksSkipped };
}
