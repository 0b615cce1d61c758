/**
 * 5.10–5.12: `PENDING` notifications created more than 24 hours before `runAt` are sent
 * again through the project's mailer.
 *
 * Claim before send. The contract has no "sending" status, so a claim is a guarded update
 * that increments `tentatives` and writes a marker into `derniere_erreur`, on the condition
 * that both still hold the values just read: of two processes that read the same row,
 * one claim changes it and the other changes nothing and skips it; a process that reads
 * the row after it was claimed sees a fresh marker and leaves it. A marker older than the
 * claim's lifetime is a sender that died: the row can be claimed again. A restart of the
 * same run (same `runAt`) takes its own markers back at once, and without counting a new
 * attempt: it continues the one its killed predecessor claimed, so `tentatives` ends as an
 * uninterrupted run leaves it.
 *
 * At least once. A crash after the mail left and before the row says SENT sends it again
 * at the next attempt; the Message-ID is derived from the notification's id, so the two
 * copies are recognisably the same message and receiving systems can drop one.
 *
 * One summary of the failures goes to TECH_ADMIN_EMAILS per run, after the last page,
 * recorded in the step context so a restart does not send it twice.
 *
 * Recorded before it is done: the page's claimable notifications are saved as
 * `unconfirmed` before the first claim. A restart counts those it finds SENT or FAILED as
 * its dead attempt's (they are no longer PENDING, so it never reads them again), and
 * sends the rest. Without it, a database gone mid-page (notificationdb and batchdb on one
 * server) lost the counts of every notification the page had already sent: the fault
 * harness found a restart counting 39 of 45.
 */
import { asJson } from '../../engine/execution-context.js';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../../db/connect.js';
import type { NotificationDb } from '../../db/schema/sibling-tables.js';
import { sqlTimestamp, sqlTimestampMillis } from '../../db/sql-time.js';
import type { JsonObject, TaskletContext } from '../../engine/types.js';
import type { Mailer } from '../../mail/mailer.js';
import { listed, NOTHING, type ConsistencyBoundary, type Listing } from './cross-database-checks.js';
import { countOf, formatDate, formatNumber } from '../../vocabulary/format-fr.js';
import { eachPage, savePhase, stepState, type PageOutcome } from './paging.js';

export interface RetryDeps {
  readonly notification: DatabaseHandle<NotificationDb>;
  readonly mailer: Mailer;
  readonly techAdmins: readonly string[];
  readonly pageSize: number;
  readonly logger: Logger;
  /** How long a claim keeps other senders away (default 1 hour). */
  readonly claimTtlMs?: number;
  readonly boundary?: (at: ConsistencyBoundary) => void | Promise<void>;
  /** The zone the mail's date is written in (BATCH_TIMEZONE); the runtime's when absent. */
  readonly timeZone?: string;
}

export interface RetryTotals extends JsonObject {
  /** Claimed and sent again, successfully or not (a dry run: would be). */
  retried: number;
  sent: number;
  failed: number;
  /** The failures of this run, for the summary (capped). */
  failures: { id: number; to: string; error: string }[];
  wouldChange: Listing;
  /**
   * Notifications this run may have decided without its page being saved: the page's
   * claimable ones, recorded before its first claim, and a mail that left before its mark
   * failed. The restart reads them first and counts those now SENT or FAILED; the others
   * are still PENDING, read again, sent and counted then, and leave the list.
   */
  unconfirmed: number[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MARKER = 'batch-service: envoi en cours';
const FAILURES_LISTED = 500;

export function claimMarker(runAt: Date, now: Date): string {
  return `${MARKER} (run ${runAt.toISOString()}, depuis ${now.toISOString()})`;
}

/** Whether the marker is a claim of the run at `runAt` (a restart retaking its own). */
export function ownClaim(derniereErreur: string | null, runAt: Date): boolean {
  if (derniereErreur === null || !derniereErreur.startsWith(MARKER)) return false;
  return /\(run (\S+), depuis \S+\)$/.exec(derniereErreur)?.[1] === runAt.toISOString();
}

/** Whether a row may be claimed: no marker, a stale one, or one of this same run. */
export function claimable(derniereErreur: string | null, runAt: Date, now: Date, ttlMs: number): boolean {
  if (derniereErreur === null || !derniereErreur.startsWith(MARKER)) return true;
  const match = /\(run (\S+), depuis (\S+)\)$/.exec(derniereErreur);
  if (!match) return true;
  if (ownClaim(derniereErreur, runAt)) return true;
  const since = Date.parse(match[2]!);
  return Number.isNaN(since) || now.getTime() - since > ttlMs;
}

export async function retryPendingNotifications(ctx: TaskletContext, deps: RetryDeps): Promise<RetryTotals> {
  const ttl = deps.claimTtlMs ?? 60 * 60 * 1000;
  const cutoff = sqlTimestamp(new Date(ctx.runAt.getTime() - DAY_MS));
  const db = deps.notification.db;
  const log = deps.logger.child({ job: ctx.jobName, execution: ctx.jobExecutionId, step: ctx.stepName });
  await confirmMarks(ctx, db);
  const state = await eachPage(
    ctx,
    'notifications',
    { retried: 0, sent: 0, failed: 0, failures: [], wouldChange: NOTHING, unconfirmed: [] } as RetryTotals,
    (after) =>
      db
        .selectFrom('notifications')
        .select(['id', 'destinataire_email', 'sujet', 'contenu', 'tentatives', 'derniere_erreur'])
        .where('statut', '=', 'PENDING')
        .where('created_at', '<', cutoff)
        .where('id', '>', after)
        .orderBy('id')
        .limit(deps.pageSize)
        .execute(),
    (row) => Number(row.id),
    async (page, totals): Promise<PageOutcome<RetryTotals>> => {
      const now = new Date();
      if (ctx.dryRun) {
        const candidates = page.filter((n) => claimable(n.derniere_erreur, ctx.runAt, now, ttl));
        return {
          counts: { read: page.length, write: candidates.length, filter: page.length - candidates.length },
          totals: { ...totals, retried: totals.retried + candidates.length, wouldChange: listed(totals.wouldChange, candidates.map((n) => `notification ${n.id} → ${n.destinataire_email} : « ${n.sujet} »`)) },
        };
      }
      // Each notification is decided in turn: sent (written), failed (a write skip) or left
      // (filtered: not claimable, or another sender claimed it first).
      // The notification whose mail left and whose mark is not written yet.
      let mailed: number | undefined;
      const decide = async (n: (typeof page)[number]): Promise<'left' | 'sent' | { error: string }> => {
        if (!claimable(n.derniere_erreur, ctx.runAt, now, ttl)) return 'left';
        ctx.checkLease();
        const id = Number(n.id);
        const marker = claimMarker(ctx.runAt, new Date());
        const attempts = Number(n.tentatives) + (ownClaim(n.derniere_erreur, ctx.runAt) ? 0 : 1);
        const claim = await db
          .updateTable('notifications')
          .set({ tentatives: attempts, derniere_erreur: marker })
          .where('id', '=', id)
          .where('statut', '=', 'PENDING')
          .where('tentatives', '=', Number(n.tentatives))
          .where((eb) => (n.derniere_erreur === null ? eb('derniere_erreur', 'is', null) : eb('derniere_erreur', '=', n.derniere_erreur)))
          .executeTakeFirst();
        if (Number(claim.numUpdatedRows) === 0) return 'left'; // another sender has it
        ctx.checkLease();
        const outcome = await deps.mailer
          .send({ to: [n.destinataire_email], subject: n.sujet, text: n.contenu, messageId: `<notification.${id}@batch-service>` })
          .then(
            () => ({ ok: true as const }),
            (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) }),
          );
        const mine = (q: ReturnType<typeof db.updateTable<'notifications'>>) => q.where('id', '=', id).where('derniere_erreur', '=', marker);
        if (outcome.ok) {
          mailed = id;
          await deps.boundary?.('notification-sent');
          await mine(db.updateTable('notifications').set({ statut: 'SENT', sent_at: sqlTimestampMillis(new Date()), derniere_erreur: null })).execute();
          mailed = undefined;
          await deps.boundary?.('notification-marked');
          return 'sent';
        }
        await mine(db.updateTable('notifications').set({ statut: 'FAILED', derniere_erreur: outcome.error.slice(0, 2000) })).execute();
        log.warn({ notification: id, to: n.destinataire_email, error: outcome.error }, 'notification re-send failed; marked FAILED');
        return { error: outcome.error };
      };
      const candidates = page.filter((n) => claimable(n.derniere_erreur, ctx.runAt, now, ttl)).map((n) => Number(n.id));
      const before = totals.unconfirmed ?? [];
      if (candidates.length > 0) {
        const saved = stepState(ctx).notifications as { lastKey?: number } | undefined;
        const recorded = { ...totals, unconfirmed: [...new Set([...before, ...candidates])] };
        await savePhase(ctx, 'notifications', asJson({ lastKey: saved?.lastKey ?? 0, totals: recorded }));
      }
      let read = 0;
      let sent = 0;
      let failed = 0;
      let failures = totals.failures;
      let stoppedAfter: number | undefined;
      let failure: Error | undefined;
      // The page decides its notifications itself: only an undecided one stays listed.
      const decided = new Set<number>();
      let unconfirmed = before;
      for (const n of page) {
        if (ctx.signal.aborted) {
          // A stop between two mails: what was sent is saved with its counts before giving up.
          if (read === 0) throw ctx.signal.reason as Error;
          stoppedAfter = Number(page[read - 1]!.id);
          break;
        }
        let decision: Awaited<ReturnType<typeof decide>>;
        try {
          decision = await decide(n);
        } catch (error) {
          // A database gone mid-page: this notification is undecided (the restart takes its
          // claim back and sends it, once more at most, or finds its mark landed: see
          // `unconfirmed`); the ones before it are saved with their counts, then the step
          // fails with the error.
          if (mailed !== undefined) unconfirmed = [...unconfirmed, mailed];
          if (read === 0 && mailed === undefined) throw error;
          stoppedAfter = read === 0 ? Number(page[0]!.id) - 1 : Number(page[read - 1]!.id);
          failure = error instanceof Error ? error : new Error(String(error));
          break;
        }
        read++;
        decided.add(Number(n.id));
        if (decision === 'sent') sent++;
        else if (decision !== 'left') {
          failed++;
          failures = [...failures, { id: Number(n.id), to: n.destinataire_email, error: decision.error }].slice(0, FAILURES_LISTED);
        }
      }
      const retried = sent + failed;
      unconfirmed = unconfirmed.filter((id) => !decided.has(id));
      return {
        counts: { read, write: sent, writeSkip: failed, filter: read - sent - failed },
        totals: { retried: totals.retried + retried, sent: totals.sent + sent, failed: totals.failed + failed, failures, wouldChange: totals.wouldChange, unconfirmed },
        ...(stoppedAfter === undefined ? {} : { stoppedAfter }),
        ...(failure === undefined ? {} : { failure }),
      };
    },
  );
  const summarised = stepState(ctx).summary === true;
  if (!ctx.dryRun && state.totals.failed > 0 && !summarised) {
    await mailFailureSummary(ctx, deps, state.totals, log);
    await savePhase(ctx, 'summary', true);
  }
  return state.totals;
}

/**
 * Counts the unconfirmed notifications (see RetryTotals) the dead attempt decided: SENT
 * (its mark landed) or FAILED (its failure was recorded). The rest stay listed until the
 * pages that read them again decide them.
 */
async function confirmMarks(ctx: TaskletContext, db: DatabaseHandle<NotificationDb>['db']): Promise<void> {
  const saved = stepState(ctx).notifications as { lastKey: number; totals: RetryTotals } | undefined;
  const listed = saved?.totals.unconfirmed ?? [];
  if (saved === undefined || listed.length === 0 || ctx.dryRun) return;
  const rows = await db.selectFrom('notifications').select(['id', 'statut', 'destinataire_email', 'derniere_erreur']).where('id', 'in', listed).where('statut', 'in', ['SENT', 'FAILED']).execute();
  const marked = rows.filter((r) => r.statut === 'SENT').map((r) => Number(r.id));
  const failedRows = rows.filter((r) => r.statut === 'FAILED');
  const done = new Set(rows.map((r) => Number(r.id)));
  ctx.count({ read: rows.length, write: marked.length, writeSkip: failedRows.length });
  const failures = [...saved.totals.failures, ...failedRows.map((r) => ({ id: Number(r.id), to: r.destinataire_email, error: r.derniere_erreur ?? '' }))].slice(0, FAILURES_LISTED);
  const totals: RetryTotals = {
    ...saved.totals,
    retried: saved.totals.retried + rows.length,
    sent: saved.totals.sent + marked.length,
    failed: saved.totals.failed + failedRows.length,
    failures,
    unconfirmed: listed.filter((id) => !done.has(id)),
  };
  await savePhase(ctx, 'notifications', asJson({ lastKey: saved.lastKey, totals }));
}

async function mailFailureSummary(ctx: TaskletContext, deps: RetryDeps, totals: RetryTotals, log: Logger): Promise<void> {
  if (deps.techAdmins.length === 0) {
    ctx.warn(`${totals.failed} notification(s) could not be re-sent and TECH_ADMIN_EMAILS is empty: nobody was told`);
    return;
  }
  ctx.checkLease();
  const lines = totals.failures.map((f) => `- notification ${f.id} → ${f.to} : ${f.error}`);
  const more = totals.failed - totals.failures.length;
  try {
    await deps.mailer.send({
      to: deps.techAdmins,
      subject: `[batch-service] ${totals.failed} notification(s) en échec après nouvel envoi`,
      text: [
        'Bonjour,',
        '',
        `Le contrôle de cohérence du ${formatDate(ctx.runAt, deps.timeZone)} a tenté de renvoyer ${countOf(totals.retried, 'notification')} restée${totals.retried < 2 ? '' : 's'} en attente plus de 24 heures.`,
        `${countOf(totals.sent, 'a été envoyée', 'ont été envoyées')} ; ${formatNumber(totals.failed)} ${totals.failed < 2 ? 'a échoué et reste' : 'ont échoué et restent'} en échec définitif (statut FAILED) :`,
        '',
        ...lines,
        ...(more > 0 ? [`… et ${more} de plus.`] : []),
        '',
        'Ce message est envoyé automatiquement par le service de traitements de la plateforme.',
      ].join('\n'),
      messageId: `<notification-failures.${createHash('sha256').update(`${ctx.jobName}\n${ctx.runAt.toISOString()}`).digest('hex').slice(0, 24)}@batch-service>`,
    });
  } catch (error) {
    // The failures are recorded on the rows themselves; the summary is a courtesy.
    log.error({ err: error }, 'the summary of failed notifications could not be mailed');
    ctx.warn(`the summary of ${totals.failed} failed notification(s) could not be mailed: ${(error as Error).message}`);
  }
}
