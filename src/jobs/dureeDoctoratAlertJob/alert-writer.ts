/**
 * Writes one chunk of alerts. Order matters for crash safety (2.7):
 *   1. one batchdb transaction: `alerte_duree_envoyee` row + outbox event, per alert,
 *      the row under its unique key (an alert already sent inserts nothing, so no
 *      second event);
 *   2. for overruns, `SUSPENDU` / `DUREE_MAXIMALE_DEPASSEE` on the inscriptions, guarded
 *      by the old statut.
 * A crash after 1 replays the chunk on restart: 1 inserts nothing, 2 still happens. The
 * reverse order would lose the alert (a suspended inscription is no longer read).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import type { InscriptionDb, UserDb } from '../../db/schema/sibling-tables.js';
import { sqlTimestamp, sqlTimestampMillis } from '../../db/sql-time.js';
import type { ItemWriter } from '../../engine/types.js';
import type { AlertEvent, Person, TypeAlerte } from '../../events/event-types.js';
import { enqueueAll } from '../../events/outbox.js';
import { isUniqueViolation } from '../../db/errors.js';
import { alertMessage } from './alert-message.js';
import type { ActiveInscription } from './alert-candidate-reader.js';

export interface AlertCandidate {
  readonly inscription: ActiveInscription;
  readonly type: TypeAlerte;
  readonly days: number;
  readonly annees: number;
  readonly mois: number;
}

export class MissingUserError extends Error {
  constructor(readonly userId: number) {
    super(`doctorant ${userId} is not in userdb (see dataConsistencyJob); no alert can be addressed`);
    this.name = 'MissingUserError';
  }
}

export interface AlertWriterDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly topic: string;
  readonly runAt: Date;
  readonly jobExecutionId: number;
  /** Fault injection for the crash-safety tests: called between the two writes. */
  readonly afterAlertsRecorded?: (alerts: readonly AlertCandidate[]) => void | Promise<void>;
}

type UserRow = { id: number; email: string; nom: string | null; prenom: string | null };

export function alertWriter(deps: AlertWriterDeps): ItemWriter<AlertCandidate> {
  let admins: Promise<readonly UserRow[]> | undefined;
  const loadAdmins = () =>
    (admins ??= deps.user.db
      .selectFrom('users')
      .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
      .select(['users.id', 'users.email', 'users.nom', 'users.prenom'])
      .where('user_roles.role', '=', 'ROLE_ADMIN')
      .where('users.enabled', '=', 1)
      .orderBy('users.id')
      .execute());

  return {
    async write(alerts, attempt) {
      // One look-up for the whole chunk: doctorants and directeurs together (no N+1).
      const ids = [...new Set(alerts.flatMap((a) => [a.inscription.doctorantId, a.inscription.directeurId ?? a.inscription.doctorantId]))];
      const users = new Map(
        (await deps.user.db.selectFrom('users').select(['id', 'email', 'nom', 'prenom']).where('id', 'in', ids).execute()).map((u) => [Number(u.id), u]),
      );
      const missing = alerts.find((a) => !users.has(a.inscription.doctorantId));
      if (missing) throw new MissingUserError(missing.inscription.doctorantId);
      const adminRows = alerts.some((a) => a.type !== '3_ANS') ? await loadAdmins() : [];

      // The rule is evaluated at runAt; what was written, and when, is the wall clock's.
      const now = new Date();
      const recorded = await recordAlerts(deps, alerts, now, (alert) => alertEvent(alert, users, adminRows, deps.runAt), attempt?.afterUncertainCommit ?? false);
      await deps.afterAlertsRecorded?.(alerts);

      const overruns = alerts.filter((a) => a.type === 'DEPASSEMENT').map((a) => a.inscription.id);
      if (overruns.length > 0) {
        await deps.inscription.db
          .updateTable('inscriptions')
          .set({ statut: 'SUSPENDU', motif_suspension: 'DUREE_MAXIMALE_DEPASSEE', updated_at: sqlTimestamp(now) })
          .where('id', 'in', overruns)
          .where('statut', '=', 'VALIDÉ')
          .execute();
      }
      return recorded;
    },
  };
}

type Row = { doctorant_id: number; inscription_id: number; type_alerte: string; date_envoi: string; duree_jours: number; job_execution_id: number };

/**
 * Records the chunk's new alerts and their events in one batchdb transaction; returns
 * how many were new. The reader already dropped the alerts sent before, so the fast path
 * inserts the chunk at once. When one is there all the same (a replay after a crash, a
 * concurrent run), the unique key refuses the batch and the slow path inserts row by row,
 * ignoring what exists: no alert twice, no event without its alert.
 *
 * Retried after a lost acknowledgement, the first attempt may have committed the chunk:
 * an alert this execution recorded for this inscription is then counted as recorded (its
 * event committed with it), so the figures equal an undisturbed run's instead of counting
 * the chunk as already sent.
 */
async function recordAlerts(
  deps: AlertWriterDeps,
  alerts: readonly AlertCandidate[],
  now: Date,
  toEvent: (a: AlertCandidate) => AlertEvent,
  afterUncertainCommit: boolean,
): Promise<number> {
  const row = (a: AlertCandidate): Row => ({
    doctorant_id: a.inscription.doctorantId,
    inscription_id: a.inscription.id,
    type_alerte: a.type,
    date_envoi: sqlTimestampMillis(now),
    duree_jours: a.days,
    job_execution_id: deps.jobExecutionId,
  });
  const outbox = (a: AlertCandidate) => ({ event: toEvent(a), options: { topic: deps.topic, key: String(a.inscription.doctorantId), now: deps.runAt } });
  try {
    return await deps.batch.db.transaction().execute(async (trx) => {
      await trx.insertInto('alerte_duree_envoyee').values(alerts.map(row)).execute();
      await enqueueAll(trx, alerts.map(outbox));
      return alerts.length;
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return deps.batch.db.transaction().execute(async (trx) => {
      let recorded = 0;
      for (const alert of alerts) {
        const result = await trx.insertInto('alerte_duree_envoyee').values(row(alert)).ignore().executeTakeFirst();
        if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
          if (afterUncertainCommit && (await recordedByThisExecution(trx, deps.jobExecutionId, alert))) recorded++;
          continue;
        }
        recorded++;
        await enqueueAll(trx, [outbox(alert)]);
      }
      return recorded;
    });
  }
}

async function recordedByThisExecution(trx: Kysely<BatchDb>, jobExecutionId: number, alert: AlertCandidate): Promise<boolean> {
  const row = await trx
    .selectFrom('alerte_duree_envoyee')
    .select('id')
    .where('doctorant_id', '=', alert.inscription.doctorantId)
    .where('type_alerte', '=', alert.type)
    .where('inscription_id', '=', alert.inscription.id)
    .where('job_execution_id', '=', jobExecutionId)
    .executeTakeFirst();
  return row !== undefined;
}

function person(row: UserRow | undefined, id: number): Person {
  return { id, email: row?.email ?? null, nom: row?.nom ?? null, prenom: row?.prenom ?? null };
}

function alertEvent(alert: AlertCandidate, users: ReadonlyMap<number, UserRow>, admins: readonly UserRow[], runAt: Date): AlertEvent {
  const doctorant = users.get(alert.inscription.doctorantId);
  const directeurId = alert.inscription.directeurId;
  const directeur = directeurId === null ? null : person(users.get(directeurId), directeurId);
  // 2.5, 2.6: the 6-year and overrun alerts also go to the admins.
  const recipients = [doctorant?.email, directeur?.email, ...(alert.type === '3_ANS' ? [] : admins.map((a) => a.email))].filter(
    (email, index, all): email is string => typeof email === 'string' && all.indexOf(email) === index,
  );
  return {
    eventId: randomUUID(),
    type: 'DUREE_DOCTORAT_ALERT',
    typeAlerte: alert.type,
    doctorant: person(doctorant, alert.inscription.doctorantId),
    directeur: directeur && { id: directeur.id, email: directeur.email },
    inscriptionId: alert.inscription.id,
    datePremiereInscription: alert.inscription.datePremiereInscription,
    duree: { jours: alert.days, annees: alert.annees, mois: alert.mois },
    recipients,
    message: alertMessage({
      type: alert.type,
      prenom: doctorant?.prenom ?? null,
      nom: doctorant?.nom ?? null,
      datePremiereInscription: alert.inscription.datePremiereInscription,
      annees: alert.annees,
      mois: alert.mois,
    }),
    occurredAt: runAt.toISOString(),
  };
}
