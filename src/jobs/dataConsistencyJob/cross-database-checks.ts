/**
 * 5.2–5.5: the two checks that span databases. Each reads its table by key in pages and
 * looks the other side up once per page (`IN` lists): no join can cross two databases,
 * and one query per row would be 100,000 round trips.
 *
 * The correction comes first, in the sibling database, guarded by the values it
 * corrects; the anomaly is recorded next, in batchdb, with its notification in the same
 * transaction. A crash in between leaves a corrected row whose anomaly the re-run
 * records (it is still there to see); never a notification without its anomaly.
 *
 * Recorded before it is done: the rows a page is about to correct, with the statut each
 * had, are saved in the step context first (`<phase>.corrections`). A restart that finds
 * one of them corrected by this job's motif knows it was its own dead attempt's doing, not
 * an earlier night's: its anomaly says what the row was and that this run corrected it,
 * and it is counted as corrected, exactly as an uninterrupted run records it.
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
import { countUnopened, observeAnomalies, resolveUnseen, type Anomaly } from '../../anomalies/anomaly-store.js';
import { eachPage, savePhase, stepState, type PageOutcome } from './paging.js';

export interface CheckDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly topic: string;
  readonly pageSize: number;
  /** Called between a side effect and its record, and awaited (fault-injection tests only). */
  readonly boundary?: (at: ConsistencyBoundary) => void | Promise<void>;
}

/**
 * The points between a change and what records it, named for the tests that kill a
 * process (test/fixtures/consistency-child.ts) or ask a stop at each of them; the job
 * waits for the hook. Production passes none.
 */
export type ConsistencyBoundary = 'corrected' | 'blocked' | 'roles-changed' | 'orphan-moved' | 'notification-sent' | 'notification-marked' | 'report-written' | 'report-mailed';

/** What a check did, kept in its step context and, for a dry run, listed by the CLI. */
export interface CheckTotals extends JsonObject {
  read: number;
  /** Anomalies found. */
  anomalies: number;
  /** Of them, not open before this run (a dry run reads the store to tell). */
  newAnomalies: number;
  /** Of them, left to a person (INTERVENTION_REQUISE). */
  manual: number;
  /** Rows this run changed (a dry run: would change). */
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
export const OPEN_DEFENSE = ['DEMANDEE', 'AUTORISEE', 'PLANIFIEE'];
const MOTIF = { user: 'UTILISATEUR_INEXISTANT', inscription: 'INSCRIPTION_INVALIDE' } as const;

const emptyTotals = (): CheckTotals => ({ read: 0, anomalies: 0, newAnomalies: 0, manual: 0, corrected: 0, wouldChange: NOTHING });

interface InscriptionState {
  readonly statut: string;
  readonly motif_suspension: string | null;
  readonly archived: number | boolean;
}

/**
 * 5.3 on an inscription whose doctorant is missing: `suspend` it now; `suspended` already,
 * by this rule (it bears the motif: this job's correction, made on an earlier night or
 * before a crash); or `left` as it is for a person (suspended for another reason,
 * rejected, archived: the job must not touch it, so nothing was corrected).
 */
export function missingUserDecision(row: InscriptionState): 'suspend' | 'suspended' | 'left' {
  if (row.statut === 'SUSPENDU') return row.motif_suspension === MOTIF.user ? 'suspended' : 'left';
  if (row.statut === 'REJETÉ' || Number(row.archived)) return 'left';
  return 'suspend';
}

/** id → the statut it had, for the rows the page being handled is about to correct (see the module comment). */
type Corrections = Record<string, string>;

function pendingCorrections(ctx: TaskletContext, phase: string): Corrections {
  return (stepState(ctx)[`${phase}.corrections`] ?? {}) as Corrections;
}

async function recordCorrections(ctx: TaskletContext, phase: string, rows: readonly { id: number | string; statut: string }[]): Promise<void> {
  await savePhase(ctx, `${phase}.corrections`, Object.fromEntries(rows.map((r) => [String(r.id), r.statut])));
}

const USER_CORRECTION = {
  suspend: 'SUSPENDU',
  suspended: 'déjà SUSPENDU (motif UTILISATEUR_INEXISTANT)',
  left: 'aucune (inscription suspendue pour un autre motif, rejetée ou archivée)',
} as const;

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
        .select(['id', 'doctorant_id', 'statut', 'motif_suspension', 'archived'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(deps.pageSize)
        .execute(),
    (row) => Number(row.id),
    async (page, totals) => {
      const existing = await existingUsers(deps.user, page.map((r) => Number(r.doctorant_id)));
      const pending = pendingCorrections(ctx, 'inscriptions');
      const orphaned = page
        .filter((r) => !existing.has(Number(r.doctorant_id)))
        .map((r) => {
          const decision = missingUserDecision(r);
          const before = pending[String(r.id)];
          // Suspended by this run's attempt that died before recording it: as that attempt found it.
          if (decision === 'suspended' && before !== undefined) return { ...r, statut: before, decision: 'suspend' as const, resumed: true };
          return { ...r, decision, resumed: false };
        });
      const toSuspend = orphaned.filter((r) => r.decision === 'suspend' && !r.resumed);
      const resumed = orphaned.filter((r) => r.resumed).length;
      // A dry run counts what it would correct (the engine records it as would-write).
      let corrected = ctx.dryRun ? toSuspend.length : resumed;
      if (toSuspend.length > 0 && !ctx.dryRun) {
        ctx.checkLease();
        await recordCorrections(ctx, 'inscriptions', toSuspend);
        const result = await deps.inscription.db
          .updateTable('inscriptions')
          .set({ statut: 'SUSPENDU', motif_suspension: MOTIF.user, updated_at: sqlTimestamp(new Date()) })
          .where('id', 'in', toSuspend.map((r) => Number(r.id)))
          // Guarded by what was read: a row a person changed meanwhile is left to the next night.
          .where('statut', 'not in', ['SUSPENDU', 'REJETÉ'])
          .where('archived', '=', 0)
          .where('doctorant_id', 'in', [...new Set(toSuspend.map((r) => Number(r.doctorant_id)))])
          .executeTakeFirst();
        corrected += Number(result.numUpdatedRows);
        await deps.boundary?.('corrected');
      }
      const anomalies: Anomaly[] = orphaned.map((r) => ({
        type: 'UTILISATEUR_INEXISTANT',
        entity: 'inscription',
        entityId: Number(r.id),
        details: { doctorantId: Number(r.doctorant_id), statut: r.statut, archived: !!Number(r.archived), correction: USER_CORRECTION[r.decision] },
        action: r.decision === 'left' ? 'INTERVENTION_REQUISE' : 'AUTO_CORRIGÉE',
      }));
      const fresh = await record(ctx, deps, anomalies, (a) => anomalyEvent(a, admins, ctx.runAt));
      return addPage(ctx, totals, { read: page.length, anomalies, fresh, corrected }, () =>
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
 * again (unblocking the defense is then a person's decision, not the job's). Either way
 * the job's correction is in place: the anomaly is AUTO_CORRIGÉE.
 *
 * A dry run suspended nothing in the step before: an inscription that step would have
 * suspended is read here as the real run will find it, suspended, so the dry run
 * announces the defenses the real run then blocks.
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
      const inscriptions = await inscriptionStatuts(ctx, deps, [...new Set(page.map((s) => Number(s.inscription_id)))]);
      const pending = pendingCorrections(ctx, 'soutenances');
      // Blocked by this run's attempt that died before recording it: as that attempt found it.
      const invalid = page
        .filter((s) => inscriptions.get(Number(s.inscription_id)) !== 'VALIDÉ')
        .map((s) => (s.statut === 'BLOQUEE' && pending[String(s.id)] !== undefined ? { ...s, statut: pending[String(s.id)]!, resumed: true } : { ...s, resumed: false }));
      const toBlock = invalid.filter((s) => OPEN_DEFENSE.includes(s.statut) && !s.resumed);
      const resumed = invalid.filter((s) => s.resumed);
      let corrected = ctx.dryRun ? toBlock.length : resumed.length;
      if (toBlock.length > 0 && !ctx.dryRun) {
        ctx.checkLease();
        await recordCorrections(ctx, 'soutenances', toBlock);
        const result = await deps.defense.db
          .updateTable('soutenances')
          .set({ statut: 'BLOQUEE', motif_blocage: MOTIF.inscription, updated_at: sqlTimestamp(new Date()) })
          .where('id', 'in', toBlock.map((s) => Number(s.id)))
          .where('statut', 'in', OPEN_DEFENSE)
          .where('inscription_id', 'in', [...new Set(toBlock.map((s) => Number(s.inscription_id)))])
          .executeTakeFirst();
        corrected += Number(result.numUpdatedRows);
        await deps.boundary?.('blocked');
      }
      const directeurs = new Map(
        (await emailsOf(deps.user, invalid.map((s) => s.directeur_id).filter((id): id is number => id !== null).map(Number))).map((u) => [u.id, u.email]),
      );
      const blockedNow = new Set([...toBlock, ...resumed].map((s) => Number(s.id)));
      const anomalies = invalid.map((s) => {
        const inscriptionStatut = inscriptions.get(Number(s.inscription_id)) ?? null;
        const anomaly: Anomaly = {
          type: 'INSCRIPTION_INVALIDE',
          entity: 'soutenance',
          entityId: Number(s.id),
          details: { inscriptionId: Number(s.inscription_id), inscriptionStatut, statut: s.statut, correction: blockedNow.has(Number(s.id)) ? 'BLOQUEE' : 'déjà BLOQUEE (motif INSCRIPTION_INVALIDE)' },
          action: 'AUTO_CORRIGÉE',
        };
        return { anomaly, directeur: s.directeur_id === null ? undefined : directeurs.get(Number(s.directeur_id)) };
      });
      const byKey = new Map(anomalies.map((a) => [a.anomaly.entityId, a.directeur]));
      const fresh = await record(ctx, deps, anomalies.map((a) => a.anomaly), (a) => anomalyEvent(a, [...admins, ...(byKey.get(a.entityId) ? [byKey.get(a.entityId)!] : [])], ctx.runAt));
      return addPage(ctx, totals, { read: page.length, anomalies: anomalies.map((a) => a.anomaly), fresh, corrected }, () =>
        toBlock.map((s) => `soutenance ${s.id} (inscription ${s.inscription_id} ${inscriptions.get(Number(s.inscription_id)) ?? 'inexistante'}) : ${s.statut} → BLOQUEE`),
      );
    },
  );
  if (!ctx.dryRun) await resolveUnseen(deps.batch.db, ['INSCRIPTION_INVALIDE'], ctx.runAt);
  return totals;
}

/** The statut of each inscription as the defense check must judge it (see checkEnrollmentDefenses on a dry run). */
async function inscriptionStatuts(ctx: TaskletContext, deps: CheckDeps, ids: readonly number[]): Promise<Map<number, string>> {
  const rows = await deps.inscription.db.selectFrom('inscriptions').select(['id', 'doctorant_id', 'statut', 'motif_suspension', 'archived']).where('id', 'in', ids).execute();
  const statuts = new Map(rows.map((i) => [Number(i.id), i.statut]));
  if (ctx.dryRun) {
    const validated = rows.filter((i) => i.statut === 'VALIDÉ');
    const existing = await existingUsers(deps.user, validated.map((i) => Number(i.doctorant_id)));
    for (const i of validated) if (!existing.has(Number(i.doctorant_id)) && missingUserDecision(i) === 'suspend') statuts.set(Number(i.id), 'SUSPENDU');
  }
  return statuts;
}

async function existingUsers(user: DatabaseHandle<UserDb>, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  return new Set((await user.db.selectFrom('users').select('id').where('id', 'in', [...new Set(ids)]).execute()).map((u) => Number(u.id)));
}

/**
 * One page of a check: its figures added to the check's, and its items counted once: read
 * inscriptions (or soutenances), the corrected written, the rest filtered. A dry run lists
 * what it would change.
 */
function addPage(
  ctx: TaskletContext,
  totals: CheckTotals,
  page: { read: number; anomalies: readonly Anomaly[]; fresh: number; corrected: number },
  wouldChange: () => string[],
): PageOutcome<CheckTotals> {
  return {
    counts: { read: page.read, write: page.corrected, filter: page.read - page.corrected },
    totals: {
      read: totals.read + page.read,
      anomalies: totals.anomalies + page.anomalies.length,
      newAnomalies: totals.newAnomalies + page.fresh,
      manual: totals.manual + page.anomalies.filter((a) => a.action === 'INTERVENTION_REQUISE').length,
      corrected: totals.corrected + page.corrected,
      wouldChange: ctx.dryRun ? listed(totals.wouldChange, wouldChange()) : totals.wouldChange,
    },
  };
}

async function emailsOf(user: DatabaseHandle<UserDb>, ids: readonly number[]): Promise<{ id: number; email: string }[]> {
  if (ids.length === 0) return [];
  return (await user.db.selectFrom('users').select(['id', 'email']).where('id', 'in', [...new Set(ids)]).where('enabled', '=', 1).execute()).map((u) => ({ id: Number(u.id), email: u.email }));
}

/** Records the page's anomalies; returns how many were new (a dry run records nothing and says how many would be). */
export async function record(ctx: TaskletContext, deps: Pick<CheckDeps, 'batch' | 'topic'>, anomalies: readonly Anomaly[], eventOf: (a: Anomaly) => AnomalyEvent): Promise<number> {
  if (anomalies.length === 0) return 0;
  if (ctx.dryRun) return countUnopened(deps.batch.db, anomalies);
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
  return {
    eventId: randomUUID(),
    type: 'CONSISTENCY_ANOMALY',
    anomalyType: anomaly.type,
    entity: anomaly.entity,
    entityId: anomaly.entityId,
    action: anomaly.action,
    details: anomaly.details,
    recipients: [...new Set(recipients)],
    ...anomalyText(anomaly),
    occurredAt: runAt.toISOString(),
  };
}

function anomalyText(anomaly: Anomaly): { subject: string; message: string } {
  const d = anomaly.details as Record<string, unknown>;
  switch (anomaly.type) {
    case 'UTILISATEUR_INEXISTANT':
      return {
        subject: `Inscription n° ${anomaly.entityId} : doctorant inexistant`,
        message: `L’inscription n° ${anomaly.entityId} référence le doctorant n° ${String(d.doctorantId)}, qui n’existe pas dans la base des utilisateurs. ${
          d.correction === USER_CORRECTION.suspend
            ? 'Elle a été suspendue automatiquement (motif UTILISATEUR_INEXISTANT).'
            : anomaly.action === 'AUTO_CORRIGÉE'
              ? 'Elle était déjà suspendue pour ce motif.'
              : 'Elle était suspendue pour un autre motif, rejetée ou archivée : elle n’a pas été modifiée.'
        } Vérifiez le compte du doctorant.`,
      };
    case 'INSCRIPTION_INVALIDE':
      return {
        subject: `Soutenance n° ${anomaly.entityId} bloquée : inscription non valide`,
        message: `La soutenance n° ${anomaly.entityId} référence l’inscription n° ${String(d.inscriptionId)}, ${d.inscriptionStatut === null ? 'qui n’existe pas' : `dont le statut est ${String(d.inscriptionStatut)} et non VALIDÉ`}. ${d.correction === 'BLOQUEE' ? 'Elle a été bloquée automatiquement (motif INSCRIPTION_INVALIDE).' : 'Elle était déjà bloquée.'} Régularisez l’inscription avant de la débloquer.`,
      };
    case 'PREMIERE_INSCRIPTION_DIVERGENTE':
      return {
        subject: `Doctorant n° ${anomaly.entityId} : dates de première inscription divergentes`,
        message: `Les inscriptions du doctorant n° ${anomaly.entityId} ne portent pas la même date de première inscription (${(d.datesPremiereInscription as string[] | undefined)?.join(', ') ?? '?'}). La durée du doctorat est comptée depuis la plus ancienne, le ${String(d.dateRetenue)}. Corrigez les inscriptions qui se trompent.`,
      };
    default:
      return {
        subject: `Document manquant : ${String(d.chemin)}`,
        message: `Le fichier ${String(d.chemin)} est référencé (${anomaly.entity} n° ${anomaly.entityId}) mais absent du répertoire des dépôts. Restaurez-le depuis une sauvegarde ou corrigez la référence.`,
      };
  }
}
