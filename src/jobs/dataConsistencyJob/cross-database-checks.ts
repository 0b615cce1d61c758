/**
 * 5.2–5.5: the two checks that span databases. Each reads its table by key in pages and
 * looks the other side up once per page (`IN` lists): no join can cross two databases,
 * and one query per row would be 100,000 round trips.
 *
 * The correction comes first, in the sibling database, guarded by the values it
 * corrects; the anomaly is recorded next, in batchdb, with its notification in the same
 * transaction. A crash in between leaves a corrected row whose anomaly the re-run
 * records (it is still there to see); never a notification without its anomaly.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import type { DefenseDb, InscriptionDb, UserDb } from '../../db/schema/sibling-tables.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import type { JsonObject, TaskletContext } from '../../engine/types.js';
import type { AnomalyEvent } from '../../events/event-types.js';
import type { EnqueueOptions } from '../../events/outbox.js';
import { adminAddresses } from '../../notifications/recipients.js';
import { observeAnomalies, resolveUnseen, type Anomaly } from './anomaly-store.js';
import { eachPage } from './paging.js';

export interface CheckDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly topic: string;
  readonly pageSize: number;
  /** Called between a side effect and its record (fault-injection tests only). */
  readonly boundary?: (at: ConsistencyBoundary) => void;
}

/**
 * The points between a change and what records it, named for the tests that kill a
 * process at each of them (test/fixtures/consistency-child.ts); production passes no hook.
 */
export type ConsistencyBoundary = 'corrected' | 'notification-sent' | 'report-written' | 'report-mailed';

/** What a check did, kept in its step context and, for a dry run, listed by the CLI. */
export interface CheckTotals extends JsonObject {
  read: number;
  anomalies: number;
  newAnomalies: number;
  corrected: number;
  /** Dry run: what would change, for the audit-mode summary. */
  wouldChange: Listing;
}

/** How many, and the first of them in words (a list that cannot grow without bound). */
export interface Listing extends JsonObject {
  count: number;
  first: string[];
}

export const NOTHING: Listing = { count: 0, first: [] };

const WOULD_CHANGE_LISTED = 200;
const SAFE_INSCRIPTION = ['SUSPENDU', 'REJETÉ'];
export const OPEN_DEFENSE = ['DEMANDEE', 'AUTORISEE', 'PLANIFIEE'];
const MOTIF = { user: 'UTILISATEUR_INEXISTANT', inscription: 'INSCRIPTION_INVALIDE' } as const;

const emptyTotals = (): CheckTotals => ({ read: 0, anomalies: 0, newAnomalies: 0, corrected: 0, wouldChange: NOTHING });

/** 5.2, 5.3: every inscription's doctorant exists; otherwise the inscription is suspended. */
export async function checkUserEnrollments(ctx: TaskletContext, deps: CheckDeps): Promise<CheckTotals> {
  const admins = await adminAddresses(deps.user);
  const { totals } = await eachPage(
    ctx,
    'inscriptions',
    emptyTotals(),
    (after) =>
      deps.inscription.db
        .selectFrom('inscriptions')
        .select(['id', 'doctorant_id', 'statut', 'archived'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(deps.pageSize)
        .execute(),
    (row) => Number(row.id),
    async (page, totals) => {
      const doctorants = [...new Set(page.map((r) => Number(r.doctorant_id)))];
      const existing = new Set((await deps.user.db.selectFrom('users').select('id').where('id', 'in', doctorants).execute()).map((u) => Number(u.id)));
      const orphaned = page.filter((r) => !existing.has(Number(r.doctorant_id)));
      const toSuspend = orphaned.filter((r) => !SAFE_INSCRIPTION.includes(r.statut) && !Number(r.archived));
      // A dry run counts what it would correct (the engine records it as would-write).
      let corrected = ctx.dryRun ? toSuspend.length : 0;
      if (toSuspend.length > 0 && !ctx.dryRun) {
        ctx.checkLease();
        const result = await deps.inscription.db
          .updateTable('inscriptions')
          .set({ statut: 'SUSPENDU', motif_suspension: MOTIF.user, updated_at: sqlTimestamp(new Date()) })
          .where('id', 'in', toSuspend.map((r) => Number(r.id)))
          // Guarded by what was read: a row a person changed meanwhile is left to the next night.
          .where('statut', 'not in', SAFE_INSCRIPTION)
          .where('archived', '=', 0)
          .where('doctorant_id', 'in', [...new Set(toSuspend.map((r) => Number(r.doctorant_id)))])
          .executeTakeFirst();
        corrected = Number(result.numUpdatedRows);
        deps.boundary?.('corrected');
      }
      const suspendedNow = new Set(toSuspend.map((r) => Number(r.id)));
      const anomalies: Anomaly[] = orphaned.map((r) => ({
        type: 'UTILISATEUR_INEXISTANT',
        entity: 'inscription',
        entityId: Number(r.id),
        details: { doctorantId: Number(r.doctorant_id), statut: r.statut, archived: !!Number(r.archived), correction: suspendedNow.has(Number(r.id)) ? 'SUSPENDU' : 'aucune (déjà suspendue, rejetée ou archivée)' },
        action: 'AUTO_CORRIGÉE',
      }));
      const fresh = await record(ctx, deps, anomalies, (a) => anomalyEvent(a, admins, ctx.runAt));
      return addPage(ctx, totals, { read: page.length, anomalies: anomalies.length, fresh, corrected }, () =>
        toSuspend.map((r) => `inscription ${r.id} (doctorant ${r.doctorant_id} inexistant) : ${r.statut} → SUSPENDU`),
      );
    },
  );
  if (!ctx.dryRun) await resolveUnseen(deps.batch.db, ['UTILISATEUR_INEXISTANT'], ctx.runAt);
  return totals;
}

/**
 * 5.4, 5.5: every open soutenance references an existing inscription `VALIDÉ`; otherwise
 * it is blocked. Soutenances this check blocked earlier are read too: their anomaly
 * stays open while their inscription is still invalid, and is resolved once it is valid
 * again (unblocking the defense is then a person's decision, not the job's).
 */
export async function checkEnrollmentDefenses(ctx: TaskletContext, deps: CheckDeps): Promise<CheckTotals> {
  const admins = await adminAddresses(deps.user);
  const { totals } = await eachPage(
    ctx,
    'soutenances',
    emptyTotals(),
    (after) =>
      deps.defense.db
        .selectFrom('soutenances')
        .select(['id', 'inscription_id', 'doctorant_id', 'directeur_id', 'statut'])
        .where('id', '>', after)
        .where((eb) => eb.or([eb('statut', 'in', OPEN_DEFENSE), eb.and([eb('statut', '=', 'BLOQUEE'), eb('motif_blocage', '=', MOTIF.inscription)])]))
        .orderBy('id')
        .limit(deps.pageSize)
        .execute(),
    (row) => Number(row.id),
    async (page, totals) => {
      const inscriptionIds = [...new Set(page.map((s) => Number(s.inscription_id)))];
      const inscriptions = new Map(
        (await deps.inscription.db.selectFrom('inscriptions').select(['id', 'statut']).where('id', 'in', inscriptionIds).execute()).map((i) => [Number(i.id), i.statut]),
      );
      const invalid = page.filter((s) => inscriptions.get(Number(s.inscription_id)) !== 'VALIDÉ');
      const toBlock = invalid.filter((s) => OPEN_DEFENSE.includes(s.statut));
      let corrected = ctx.dryRun ? toBlock.length : 0;
      if (toBlock.length > 0 && !ctx.dryRun) {
        ctx.checkLease();
        const result = await deps.defense.db
          .updateTable('soutenances')
          .set({ statut: 'BLOQUEE', motif_blocage: MOTIF.inscription, updated_at: sqlTimestamp(new Date()) })
          .where('id', 'in', toBlock.map((s) => Number(s.id)))
          .where('statut', 'in', OPEN_DEFENSE)
          .where('inscription_id', 'in', [...new Set(toBlock.map((s) => Number(s.inscription_id)))])
          .executeTakeFirst();
        corrected = Number(result.numUpdatedRows);
      }
      const directeurs = new Map(
        (await emailsOf(deps.user, invalid.map((s) => s.directeur_id).filter((id): id is number => id !== null).map(Number))).map((u) => [u.id, u.email]),
      );
      const blockedNow = new Set(toBlock.map((s) => Number(s.id)));
      const anomalies = invalid.map((s) => {
        const inscriptionStatut = inscriptions.get(Number(s.inscription_id)) ?? null;
        const anomaly: Anomaly = {
          type: 'INSCRIPTION_INVALIDE',
          entity: 'soutenance',
          entityId: Number(s.id),
          details: { inscriptionId: Number(s.inscription_id), inscriptionStatut, statut: s.statut, correction: blockedNow.has(Number(s.id)) ? 'BLOQUEE' : 'aucune (déjà bloquée)' },
          action: 'AUTO_CORRIGÉE',
        };
        return { anomaly, directeur: s.directeur_id === null ? undefined : directeurs.get(Number(s.directeur_id)) };
      });
      const byKey = new Map(anomalies.map((a) => [a.anomaly.entityId, a.directeur]));
      const fresh = await record(ctx, deps, anomalies.map((a) => a.anomaly), (a) => anomalyEvent(a, [...admins, ...(byKey.get(a.entityId) ? [byKey.get(a.entityId)!] : [])], ctx.runAt));
      return addPage(ctx, totals, { read: page.length, anomalies: anomalies.length, fresh, corrected }, () =>
        toBlock.map((s) => `soutenance ${s.id} (inscription ${s.inscription_id} ${inscriptions.get(Number(s.inscription_id)) ?? 'inexistante'}) : ${s.statut} → BLOQUEE`),
      );
    },
  );
  if (!ctx.dryRun) await resolveUnseen(deps.batch.db, ['INSCRIPTION_INVALIDE'], ctx.runAt);
  return totals;
}

/** One page's figures added to a check's totals (and its step counts); a dry run lists what it would change. */
function addPage(ctx: TaskletContext, totals: CheckTotals, page: { read: number; anomalies: number; fresh: number; corrected: number }, wouldChange: () => string[]): CheckTotals {
  ctx.count({ read: page.read, write: page.corrected, filter: page.read - page.corrected });
  return {
    read: totals.read + page.read,
    anomalies: totals.anomalies + page.anomalies,
    newAnomalies: totals.newAnomalies + page.fresh,
    corrected: totals.corrected + page.corrected,
    wouldChange: ctx.dryRun ? listed(totals.wouldChange, wouldChange()) : totals.wouldChange,
  };
}

async function emailsOf(user: DatabaseHandle<UserDb>, ids: readonly number[]): Promise<{ id: number; email: string }[]> {
  if (ids.length === 0) return [];
  return (await user.db.selectFrom('users').select(['id', 'email']).where('id', 'in', [...new Set(ids)]).where('enabled', '=', 1).execute()).map((u) => ({ id: Number(u.id), email: u.email }));
}

/** Records the page's anomalies (not in a dry run); returns how many were new. */
export async function record(ctx: TaskletContext, deps: CheckDeps, anomalies: readonly Anomaly[], eventOf: (a: Anomaly) => AnomalyEvent): Promise<number> {
  if (ctx.dryRun || anomalies.length === 0) return 0;
  ctx.checkLease();
  const options: EnqueueOptions = { topic: deps.topic, key: 'consistency', now: new Date() };
  const fresh = await observeAnomalies(deps.batch.db, anomalies, { runAt: ctx.runAt, jobExecutionId: ctx.jobExecutionId, eventsFor: (news) => news.map((a) => ({ event: eventOf(a), options: { ...options, key: `${a.entity}:${a.entityId}` } })) });
  return fresh.length;
}

export function listed(listing: Listing, more: readonly string[]): Listing {
  return { count: listing.count + more.length, first: [...listing.first, ...more].slice(0, WOULD_CHANGE_LISTED) };
}

/** The French notification of a new anomaly (admins; the directeur too for a blocked defense). */
export function anomalyEvent(anomaly: Anomaly, recipients: readonly string[], runAt: Date): AnomalyEvent {
  const d = anomaly.details as Record<string, unknown>;
  const text =
    anomaly.type === 'UTILISATEUR_INEXISTANT'
      ? {
          subject: `Inscription n° ${anomaly.entityId} : doctorant inexistant`,
          message: `L’inscription n° ${anomaly.entityId} référence le doctorant n° ${String(d.doctorantId)}, qui n’existe pas dans la base des utilisateurs. ${d.correction === 'SUSPENDU' ? 'Elle a été suspendue automatiquement (motif UTILISATEUR_INEXISTANT).' : 'Elle était déjà suspendue, rejetée ou archivée.'} Vérifiez le compte du doctorant.`,
        }
      : anomaly.type === 'INSCRIPTION_INVALIDE'
        ? {
            subject: `Soutenance n° ${anomaly.entityId} bloquée : inscription non valide`,
            message: `La soutenance n° ${anomaly.entityId} référence l’inscription n° ${String(d.inscriptionId)}, ${d.inscriptionStatut === null ? 'qui n’existe pas' : `dont le statut est ${String(d.inscriptionStatut)} et non VALIDÉ`}. ${d.correction === 'BLOQUEE' ? 'Elle a été bloquée automatiquement (motif INSCRIPTION_INVALIDE).' : 'Elle était déjà bloquée.'} Régularisez l’inscription avant de la débloquer.`,
          }
        : {
            subject: `Document manquant : ${String(d.chemin)}`,
            message: `Le fichier ${String(d.chemin)} est référencé (${anomaly.entity} n° ${anomaly.entityId}) mais absent du répertoire des dépôts. Restaurez-le depuis une sauvegarde ou corrigez la référence.`,
          };
  return {
    eventId: randomUUID(),
    type: 'CONSISTENCY_ANOMALY',
    anomalyType: anomaly.type,
    entity: anomaly.entity,
    entityId: anomaly.entityId,
    action: anomaly.action,
    details: anomaly.details,
    recipients: [...new Set(recipients)],
    ...text,
    occurredAt: runAt.toISOString(),
  };
}
