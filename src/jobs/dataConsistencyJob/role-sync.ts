/**
 * 5.6, 5.7: the doctorant roles follow the one definition of an active doctorant
 * (doctorate/active-doctorant.ts), as of the date of `runAt` in BATCH_TIMEZONE. Per page of
 * users, one lookup of their doctorates, one of their defenses and one of their roles, then:
 *   - a SOUTENUE defense by that date → ROLE_DOCTEUR, and not ROLE_DOCTORANT_ACTIF (5.7 wins);
 *   - otherwise active → ROLE_DOCTORANT_ACTIF;
 *   - otherwise ROLE_DOCTORANT_ACTIF is taken away (5.6; `ROLE_SYNC_REVOKE=false` keeps it).
 * The step's items are users: read, changed (one role change or more) or left unchanged;
 * the role changes themselves are figures of their own (`rolesAdded`, `rolesRemoved`).
 * Changes are idempotent (insert-or-ignore, delete of what is there), counted by the rows
 * they actually changed, so a second run changes and audits nothing. Each change is one
 * audit entry, written after the page's roles commit: a crash exactly between the two
 * loses those entries (the roles themselves are right; the re-run finds nothing to do).
 *
 * Recorded before it is done, as the corrections of cross-database-checks.ts: the changes
 * a page is about to make are saved in the step context first (`users.changes`). A
 * restart that finds one of them made knows it was its own dead attempt's doing, and
 * counts it as made, so the run's figures are an uninterrupted run's (the fault harness
 * found a restart reporting 0 users changed where its dead attempt had changed 5).
 *
 * The page's doctorates are at hand here, so this step also records the doctorants whose
 * rows disagree on `date_premiere_inscription` (PREMIERE_INSCRIPTION_DIVERGENTE): the
 * definition counts from the earliest, and a person must say which is right. Doctorants
 * missing from userdb are not paged here; each of their inscriptions is already an anomaly
 * UTILISATEUR_INEXISTANT.
 */
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import type { DefenseDb, InscriptionDb, UserDb } from '../../db/schema/sibling-tables.js';
import { defendedAmong, doctoratesOf, type Doctorate } from '../../doctorate/active-doctorant.js';
import { dateInZone, type PlainDate } from '../../doctorate/calendar.js';
import type { JsonObject, TaskletContext } from '../../engine/types.js';
import { adminAddresses } from '../../notifications/recipients.js';
import type { AuditLog } from '../../security/audit-log.js';
import { resolveUnseen, type Anomaly } from '../../anomalies/anomaly-store.js';
import { anomalyEvent, listed, NOTHING, record, type ConsistencyBoundary, type Listing } from './cross-database-checks.js';
import { eachPage, savePhase, stepState } from './paging.js';

export const ACTIF = 'ROLE_DOCTORANT_ACTIF';
export const DOCTEUR = 'ROLE_DOCTEUR';

export interface RoleDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly audit: AuditLog;
  readonly topic: string;
  readonly pageSize: number;
  readonly timeZone: string;
  /** Take ROLE_DOCTORANT_ACTIF from a doctorant no longer active (ROLE_SYNC_REVOKE). */
  readonly revoke: boolean;
  /** Tests: called between a side effect and what records it (a process is killed there). */
  readonly boundary?: (at: ConsistencyBoundary) => void | Promise<void>;
}

export interface RoleChange {
  readonly userId: number;
  readonly role: string;
  readonly change: 'add' | 'remove';
  /** The requirement that asks for it, recorded in the audit entry. */
  readonly rule: '5.6' | '5.7';
}

export interface RoleTotals extends JsonObject {
  usersRead: number;
  /** Users with at least one role changed (a dry run: would change). */
  usersChanged: number;
  rolesAdded: number;
  rolesRemoved: number;
  /** PREMIERE_INSCRIPTION_DIVERGENTE found, new of them, and left to a person (all). */
  anomalies: number;
  newAnomalies: number;
  manual: number;
  wouldChange: Listing;
}

/** The rule itself, on one user's facts as of the run's date: what to add and remove. */
export function roleChanges(userId: number, facts: { active: boolean; defended: boolean; roles: ReadonlySet<string>; revoke: boolean }): RoleChange[] {
  const changes: RoleChange[] = [];
  if (facts.defended) {
    if (!facts.roles.has(DOCTEUR)) changes.push({ userId, role: DOCTEUR, change: 'add', rule: '5.7' });
    if (facts.roles.has(ACTIF)) changes.push({ userId, role: ACTIF, change: 'remove', rule: '5.7' });
  } else if (facts.active) {
    if (!facts.roles.has(ACTIF)) changes.push({ userId, role: ACTIF, change: 'add', rule: '5.6' });
  } else if (facts.revoke && facts.roles.has(ACTIF)) {
    changes.push({ userId, role: ACTIF, change: 'remove', rule: '5.6' });
  }
  return changes;
}

const REASONS: Readonly<Record<RoleChange['rule'], string>> = { '5.6': 'doctorant actif', '5.7': 'a soutenu' };

function describe(c: RoleChange, asOf: PlainDate): string {
  const reason = c.rule === '5.6' && c.change === 'remove' ? `n’est plus doctorant actif au ${asOf}` : REASONS[c.rule];
  return `utilisateur ${c.userId} : ${c.change === 'add' ? '+' : '−'} ${c.role} (${reason})`;
}

export async function syncRoles(ctx: TaskletContext, deps: RoleDeps): Promise<RoleTotals> {
  const asOf = dateInZone(ctx.runAt, deps.timeZone);
  const admins = await adminAddresses(deps.user);
  const initial: RoleTotals = { usersRead: 0, usersChanged: 0, rolesAdded: 0, rolesRemoved: 0, anomalies: 0, newAnomalies: 0, manual: 0, wouldChange: NOTHING };
  const { totals } = await eachPage(
    ctx,
    'users',
    initial,
    (after) => deps.user.db.selectFrom('users').select('id').where('id', '>', after).orderBy('id').limit(deps.pageSize).execute(),
    (row) => Number(row.id),
    async (page, totals) => {
      const ids = page.map((u) => Number(u.id));
      const defendedOnes = defendedAmong(deps.defense, ids, asOf);
      const [doctorates, defended, roles] = await Promise.all([
        doctoratesOf(deps, ids, asOf, defendedOnes),
        defendedOnes,
        deps.user.db.selectFrom('user_roles').select(['user_id', 'role']).where('user_id', 'in', ids).where('role', 'in', [ACTIF, DOCTEUR]).execute(),
      ]);
      const held = new Map<number, Set<string>>();
      for (const r of roles) held.set(Number(r.user_id), (held.get(Number(r.user_id)) ?? new Set()).add(r.role));
      const changes = ids.flatMap((id) =>
        roleChanges(id, { active: doctorates.get(id)?.active ?? false, defended: defended.has(id), roles: held.get(id) ?? new Set(), revoke: deps.revoke }),
      );
      // A dry run counts the changes it would make (the engine records them as would-write).
      let made = changes;
      if (!ctx.dryRun) {
        const resumed = madeByDeadAttempt(ctx, ids, held);
        if (changes.length > 0) await savePhase(ctx, PENDING, changes.map(changeKey));
        made = [...resumed, ...(changes.length === 0 ? [] : await apply(ctx, deps, changes))];
      }
      const usersChanged = new Set(made.map((c) => c.userId)).size;

      const anomalies = await divergentFirstEnrollments(deps, [...doctorates.values()].filter((d) => d.firstEnrollmentDisagrees), asOf);
      const fresh = await record(ctx, deps, anomalies, (a) => anomalyEvent(a, admins, ctx.runAt));
      return {
        counts: { read: page.length, write: usersChanged, filter: page.length - usersChanged },
        totals: {
          usersRead: totals.usersRead + page.length,
          usersChanged: totals.usersChanged + usersChanged,
          rolesAdded: totals.rolesAdded + made.filter((c) => c.change === 'add').length,
          rolesRemoved: totals.rolesRemoved + made.filter((c) => c.change === 'remove').length,
          anomalies: totals.anomalies + anomalies.length,
          newAnomalies: totals.newAnomalies + fresh,
          manual: totals.manual + anomalies.length,
          wouldChange: ctx.dryRun ? listed(totals.wouldChange, changes.map((c) => describe(c, asOf))) : totals.wouldChange,
        },
      };
    },
  );
  if (!ctx.dryRun) await resolveUnseen(deps.batch.db, ['PREMIERE_INSCRIPTION_DIVERGENTE'], ctx.runAt);
  return totals;
}

/** The anomalies of doctorants whose rows disagree on their first enrollment, with the dates they hold (one query, only when there are some). */
async function divergentFirstEnrollments(deps: RoleDeps, divergent: readonly Doctorate[], asOf: PlainDate): Promise<Anomaly[]> {
  if (divergent.length === 0) return [];
  const rows = await deps.inscription.db
    .selectFrom('inscriptions')
    .select(['doctorant_id', 'date_premiere_inscription'])
    .distinct()
    .where('doctorant_id', 'in', divergent.map((d) => d.doctorantId))
    // The rows the definition read: those dated by the run's date.
    .where('date_inscription', '<=', asOf)
    .execute();
  const dates = new Map<number, Set<string>>();
  for (const r of rows) dates.set(Number(r.doctorant_id), (dates.get(Number(r.doctorant_id)) ?? new Set()).add(String(r.date_premiere_inscription).slice(0, 10)));
  return divergent.map((d) => ({
    type: 'PREMIERE_INSCRIPTION_DIVERGENTE',
    entity: 'doctorant',
    entityId: d.doctorantId,
    details: { datesPremiereInscription: [...(dates.get(d.doctorantId) ?? [])].sort(), dateRetenue: d.firstEnrollment },
    action: 'INTERVENTION_REQUISE',
  }));
}

const PENDING = 'users.changes';

function changeKey(c: RoleChange): string {
  return `${c.userId} ${c.change} ${c.role} ${c.rule}`;
}

/** The changes this run's dead attempt recorded for these users and made: each role is now as it asked. */
function madeByDeadAttempt(ctx: TaskletContext, ids: readonly number[], held: ReadonlyMap<number, ReadonlySet<string>>): RoleChange[] {
  const pending = (stepState(ctx)[PENDING] ?? []) as string[];
  if (pending.length === 0) return [];
  const page = new Set(ids);
  return pending
    .map((key) => {
      const [userId, change, role, rule] = key.split(' ');
      return { userId: Number(userId), change: change as RoleChange['change'], role: role!, rule: rule as RoleChange['rule'] };
    })
    .filter((c) => page.has(c.userId) && (held.get(c.userId)?.has(c.role) ?? false) === (c.change === 'add'));
}

/** One userdb transaction for the page; returns the changes that changed a row. */
async function apply(ctx: TaskletContext, deps: RoleDeps, changes: readonly RoleChange[]): Promise<RoleChange[]> {
  ctx.checkLease();
  const applied = await deps.user.db.transaction().execute(async (trx) => {
    const done: RoleChange[] = [];
    for (const c of changes) {
      const changed =
        c.change === 'add'
          ? Number((await trx.insertInto('user_roles').values({ user_id: c.userId, role: c.role }).ignore().executeTakeFirst()).numInsertedOrUpdatedRows ?? 0)
          : Number((await trx.deleteFrom('user_roles').where('user_id', '=', c.userId).where('role', '=', c.role).executeTakeFirst()).numDeletedRows);
      if (changed > 0) done.push(c);
    }
    return done;
  });
  await deps.boundary?.('roles-changed');
  if (applied.length > 0) {
    await deps.audit.appendWith(async () =>
      applied.map((c) => ({
        action: c.change === 'add' ? ('ROLE_ADD' as const) : ('ROLE_REMOVE' as const),
        actor: null,
        target: `user#${c.userId}`,
        details: { role: c.role, rule: c.rule, jobExecutionId: ctx.jobExecutionId },
      })),
    );
  }
  return applied;
}
