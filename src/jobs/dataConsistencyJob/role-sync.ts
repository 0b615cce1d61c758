/**
 * 5.6, 5.7: the doctorant roles follow the studies. Per page of users, one lookup each of
 * active inscriptions, SOUTENUE defenses and current roles, then:
 *   - a SOUTENUE defense → ROLE_DOCTEUR, and not ROLE_DOCTORANT_ACTIF (5.7 wins);
 *   - otherwise an active inscription (`VALIDÉ`, not archived) → ROLE_DOCTORANT_ACTIF.
 * Nothing else is taken away: a suspended doctorant keeps ACTIF until a person decides.
 * Changes are idempotent (insert-or-ignore, delete of what is there), counted by the rows
 * they actually changed, so a second run changes and audits nothing. Each change is one
 * audit entry, written after the page's roles commit: a crash exactly between the two
 * loses those entries (the roles themselves are right; the re-run finds nothing to do).
 */
import type { DatabaseHandle } from '../../db/connect.js';
import type { DefenseDb, InscriptionDb, UserDb } from '../../db/schema/sibling-tables.js';
import type { JsonObject, TaskletContext } from '../../engine/types.js';
import type { AuditLog } from '../../security/audit-log.js';
import { listed, NOTHING, type Listing } from './cross-database-checks.js';
import { eachPage } from './paging.js';

export const ACTIF = 'ROLE_DOCTORANT_ACTIF';
export const DOCTEUR = 'ROLE_DOCTEUR';

export interface RoleDeps {
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly audit: AuditLog;
  readonly pageSize: number;
}

export interface RoleChange {
  readonly userId: number;
  readonly role: string;
  readonly change: 'add' | 'remove';
}

export interface RoleTotals extends JsonObject {
  usersRead: number;
  rolesAdded: number;
  rolesRemoved: number;
  wouldChange: Listing;
}

/** The rule itself, on one user's facts: what to add and remove. */
export function roleChanges(userId: number, facts: { active: boolean; docteur: boolean; roles: ReadonlySet<string> }): RoleChange[] {
  const wanted = new Set<string>();
  const unwanted = new Set<string>();
  if (facts.docteur) {
    wanted.add(DOCTEUR);
    unwanted.add(ACTIF);
  } else if (facts.active) {
    wanted.add(ACTIF);
  }
  return [
    ...[...wanted].filter((r) => !facts.roles.has(r)).map((role) => ({ userId, role, change: 'add' as const })),
    ...[...unwanted].filter((r) => facts.roles.has(r)).map((role) => ({ userId, role, change: 'remove' as const })),
  ];
}

export async function syncRoles(ctx: TaskletContext, deps: RoleDeps): Promise<RoleTotals> {
  const { totals } = await eachPage(
    ctx,
    'users',
    { usersRead: 0, rolesAdded: 0, rolesRemoved: 0, wouldChange: NOTHING } as RoleTotals,
    (after) => deps.user.db.selectFrom('users').select('id').where('id', '>', after).orderBy('id').limit(deps.pageSize).execute(),
    (row) => Number(row.id),
    async (page, totals) => {
      const ids = page.map((u) => Number(u.id));
      const [active, docteurs, roles] = await Promise.all([
        deps.inscription.db.selectFrom('inscriptions').select('doctorant_id').distinct().where('doctorant_id', 'in', ids).where('statut', '=', 'VALIDÉ').where('archived', '=', 0).execute(),
        deps.defense.db.selectFrom('soutenances').select('doctorant_id').distinct().where('doctorant_id', 'in', ids).where('statut', '=', 'SOUTENUE').execute(),
        deps.user.db.selectFrom('user_roles').select(['user_id', 'role']).where('user_id', 'in', ids).where('role', 'in', [ACTIF, DOCTEUR]).execute(),
      ]);
      const activeSet = new Set(active.map((r) => Number(r.doctorant_id)));
      const docteurSet = new Set(docteurs.map((r) => Number(r.doctorant_id)));
      const held = new Map<number, Set<string>>();
      for (const r of roles) held.set(Number(r.user_id), (held.get(Number(r.user_id)) ?? new Set()).add(r.role));
      const changes = ids.flatMap((id) => roleChanges(id, { active: activeSet.has(id), docteur: docteurSet.has(id), roles: held.get(id) ?? new Set() }));
      const applied = ctx.dryRun || changes.length === 0 ? [] : await apply(ctx, deps, changes);
      // A dry run counts the changes it would make (recorded as would-write).
      const changed = ctx.dryRun ? changes.length : applied.length;
      ctx.count({ read: page.length, write: changed, filter: page.length - Math.min(page.length, changed) });
      return {
        usersRead: totals.usersRead + page.length,
        rolesAdded: totals.rolesAdded + applied.filter((c) => c.change === 'add').length,
        rolesRemoved: totals.rolesRemoved + applied.filter((c) => c.change === 'remove').length,
        wouldChange: ctx.dryRun ? listed(totals.wouldChange, changes.map((c) => `utilisateur ${c.userId} : ${c.change === 'add' ? '+' : '−'} ${c.role}`)) : totals.wouldChange,
      };
    },
  );
  return totals;
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
  if (applied.length > 0) {
    await deps.audit.appendWith(async () =>
      applied.map((c) => ({
        action: c.change === 'add' ? ('ROLE_ADD' as const) : ('ROLE_REMOVE' as const),
        actor: null,
        target: `user#${c.userId}`,
        details: { role: c.role, rule: c.role === DOCTEUR || c.change === 'remove' ? '5.7' : '5.6', jobExecutionId: ctx.jobExecutionId },
      })),
    );
  }
  return applied;
}
