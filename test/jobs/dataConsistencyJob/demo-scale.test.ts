/**
 * dataConsistencyJob on demo data at scale 1 (1,500 inscriptions, 2,000 users, over a thousand
 * pending notifications and files: several pages of 500, and a dry run at a page size of 11 that
 * splits even the few open defenses into pages), on each database,
 * with cases planted on top so that every kind of anomaly has members whatever the demo
 * holds. Every figure is checked against a recount written here in plain SQL (and a walk of
 * UPLOADS_DIR), not the job's queries:
 *   - each step counts one kind of item, each item once: no negative count, and read =
 *     written (or would-write) + filtered + skipped;
 *   - the anomalies are the ones the recount finds, with « corrigée » only where a change
 *     was made; the roles follow the definition of an active doctorant as of runAt's date;
 *   - a dry run announces exactly what the real run then does, at any page size;
 *   - a second night changes nothing and reports 0 corrections, the same stock of anomalies;
 *   - stopped in the middle of three steps and restarted, the run counts nothing twice
 *     (and with ROLE_SYNC_REVOKE off, nobody loses ROLE_DOCTORANT_ACTIF for being inactive).
 * Exact demo counts are never assumed: the demo data is reshaped independently.
 */
import { lstatSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDemoData } from '../../../src/db/fixtures/demo-data.js';
import type { JobOperator } from '../../../src/engine/job-operator.js';
import { skipCount, type JobExecution, type StepExecution } from '../../../src/engine/types.js';
import { dataConsistencyJob, type DataConsistencyDeps } from '../../../src/jobs/dataConsistencyJob/data-consistency-job.js';
import { createMailer } from '../../../src/mail/mailer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { AuditLog } from '../../../src/security/audit-log.js';
import { operatorFor } from '../../engine/harness.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';

const ZONE = 'Europe/Paris';
/** A page size that divides none of the counts, small enough to split every check into pages. */
const SMALL_PAGE = 11;
/** The demo's reference instant, ten days before the run: nothing of it is younger than a day at either night. */
const REFERENCE = new Date('2026-11-20T12:00:00Z');
const RUN_AT = '2026-12-01T22:00:00Z'; // 23:00 in Paris: the date is 2026-12-01
const AS_OF = '2026-12-01';
const NEXT_NIGHT = '2026-12-02T22:00:00Z';
const NEXT_AS_OF = '2026-12-02';
const OPEN = ['DEMANDEE', 'AUTORISEE', 'PLANIFIEE'];
const ACTIF = 'ROLE_DOCTORANT_ACTIF';
const DOCTEUR = 'ROLE_DOCTEUR';
const STEPS = [
  'verifyUserEnrollmentConsistencyStep',
  'verifyEnrollmentDefenseConsistencyStep',
  'verifyUserRolesStep',
  'checkOrphanedDocumentsStep',
  'retryPendingNotificationsStep',
  'generateAnomalyReportStep',
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain SQL against any of the five databases
type AnyDb = Kysely<any>;
type Row = Record<string, unknown>;

async function query(db: AnyDb, statement: ReturnType<typeof sql>): Promise<Row[]> {
  return (await statement.execute(db)).rows as Row[];
}
const num = (value: unknown) => Number(value);
const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
const sqlTime = (iso: string) => new Date(iso).toISOString().replace('T', ' ').slice(0, 19);

/**
 * Cases planted on the demo data, each by plain SQL, so the run has members of each kind:
 * doctorants deleted from userdb (one with an open defense on a VALIDÉ inscription, which
 * the first step suspends and the second must then block; one whose inscription already
 * bears the job's suspension, an earlier night's correction), doctorants whose rows
 * disagree on the first enrollment, and users holding ROLE_DOCTORANT_ACTIF without any
 * inscription.
 */
async function plantOnDemo(env: TestEnvironment): Promise<void> {
  const { user, inscription, defense } = env.databases;
  const users = new Set((await query(user.db, sql`SELECT id FROM users`)).map((r) => num(r.id)));
  const rows = (await query(inscription.db, sql`SELECT id, doctorant_id, statut, archived FROM inscriptions ORDER BY id`)).map((r) => ({
    id: num(r.id), doctorant: num(r.doctorant_id), statut: String(r.statut), archived: num(r.archived),
  }));
  const ofUsers = rows.filter((r) => users.has(r.doctorant));
  const validated = ofUsers.filter((r) => r.statut === 'VALIDÉ' && r.archived === 0);
  const at = (share: number) => validated[Math.floor(validated.length * share)]!;

  // A defense request on a VALIDÉ inscription whose doctorant is then deleted.
  const withDefense = at(0.2);
  const nextDefense = num((await query(defense.db, sql`SELECT MAX(id) AS m FROM soutenances`))[0]!.m) + 1;
  await sql`INSERT INTO soutenances (id, doctorant_id, inscription_id, directeur_id, titre_these, statut, date_soutenance, mention, pv_signe, motif_blocage, archived, created_at, updated_at)
    VALUES (${nextDefense}, ${withDefense.doctorant}, ${withDefense.id}, NULL, 'Thèse plantée', 'DEMANDEE', NULL, NULL, 0, NULL, 0, '2026-11-01 10:00:00', '2026-11-01 10:00:00')`.execute(defense.db);
  const earlier = at(0.55);
  const deleted = [...new Set([withDefense.doctorant, earlier.doctorant, at(0.9).doctorant])];
  // An earlier night's correction, still in place.
  await sql`UPDATE inscriptions SET statut = 'SUSPENDU', motif_suspension = 'UTILISATEUR_INEXISTANT' WHERE id = ${earlier.id}`.execute(inscription.db);
  for (const id of deleted) {
    await sql`DELETE FROM user_roles WHERE user_id = ${id}`.execute(user.db);
    await sql`DELETE FROM users WHERE id = ${id}`.execute(user.db);
  }

  // First enrollments that disagree: the latest row of three doctorants with several rows says 2015-01-01.
  const counts = new Map<number, number[]>();
  for (const r of ofUsers) if (!deleted.includes(r.doctorant)) counts.set(r.doctorant, [...(counts.get(r.doctorant) ?? []), r.id]);
  const several = [...counts.values()].filter((ids) => ids.length > 1);
  for (const ids of [several[0], several[Math.floor(several.length / 2)], several.at(-1)]) {
    await sql`UPDATE inscriptions SET date_premiere_inscription = '2015-01-01' WHERE id = ${ids!.at(-1)!}`.execute(inscription.db);
  }

  // ROLE_DOCTORANT_ACTIF held by users who never enrolled.
  const doctorants = new Set(rows.map((r) => r.doctorant));
  const holders = new Set((await query(user.db, sql`SELECT user_id FROM user_roles WHERE role = ${ACTIF}`)).map((r) => num(r.user_id)));
  const never = sorted(users).filter((id) => !doctorants.has(id) && !holders.has(id));
  for (const id of [never[0]!, never[Math.floor(never.length / 2)]!, never.at(-1)!]) await sql`INSERT INTO user_roles (user_id, role) VALUES (${id}, ${ACTIF})`.execute(user.db);

  // Orphans spread over twelve directories of the tree, so the walk meets them in different batches.
  const chemins = (await query(inscription.db, sql`SELECT chemin FROM documents ORDER BY id`)).map((r) => String(r.chemin));
  const directories = [...new Set(chemins.map((c) => path.posix.dirname(c)))];
  const old = new Date(REFERENCE.getTime() - 30 * 86_400_000);
  for (let i = 0; i < 12; i++) {
    const file = path.join(env.config.uploadsDir, directories[Math.floor((directories.length * i) / 12)]!, `oublie-${i}.pdf`);
    writeFileSync(file, `orphelin ${i}`);
    utimesSync(file, old, old);
  }
}

interface Recount {
  readonly inscriptions: number;
  readonly userInexistant: { readonly auto: number[]; readonly manual: number[] };
  readonly suspendTonight: number[];
  readonly defensesRead: number;
  readonly inscriptionInvalide: number[];
  readonly blockTonight: number[];
  readonly users: number;
  readonly divergent: number[];
  readonly roles: { readonly actif: number[]; readonly docteur: number[] };
  readonly missingFiles: number;
  readonly files: number;
  readonly orphans: number;
  readonly pendingToRetry: number;
}

/** What the night must find and do, from the data as it stands before the run, in plain SQL. */
async function recount(env: TestEnvironment, runAt: string, asOf: string, revoke: boolean): Promise<Recount> {
  const { user, inscription, defense, notification } = env.databases;
  const users = new Set((await query(user.db, sql`SELECT id FROM users`)).map((r) => num(r.id)));
  const inscriptions = (await query(inscription.db, sql`SELECT id, doctorant_id, statut, motif_suspension, archived FROM inscriptions`)).map((r) => ({
    id: num(r.id), doctorant: num(r.doctorant_id), statut: String(r.statut), motif: r.motif_suspension as string | null, archived: num(r.archived) === 1,
  }));
  // 5.2, 5.3: a missing doctorant; suspended tonight unless suspended, rejected or archived; « corrigée » when the job's suspension is in place.
  const missing = inscriptions.filter((i) => !users.has(i.doctorant));
  const suspendTonight = missing.filter((i) => i.statut !== 'SUSPENDU' && i.statut !== 'REJETÉ' && !i.archived);
  const auto = missing.filter((i) => suspendTonight.includes(i) || (i.statut === 'SUSPENDU' && i.motif === 'UTILISATEUR_INEXISTANT'));
  const statutAfter = new Map(inscriptions.map((i) => [i.id, suspendTonight.includes(i) ? 'SUSPENDU' : i.statut]));

  // 5.4, 5.5: open soutenances (and those this check blocked) whose inscription is not VALIDÉ once step 1 is done.
  const defenses = (await query(defense.db, sql`SELECT id, inscription_id, statut FROM soutenances WHERE statut IN ('DEMANDEE', 'AUTORISEE', 'PLANIFIEE') OR (statut = 'BLOQUEE' AND motif_blocage = 'INSCRIPTION_INVALIDE')`)).map((r) => ({
    id: num(r.id), inscription: num(r.inscription_id), statut: String(r.statut),
  }));
  const invalid = defenses.filter((s) => statutAfter.get(s.inscription) !== 'VALIDÉ');

  // 5.6, 5.7 by the definition: the latest row dated by asOf (date, then id) is VALIDÉ; no SOUTENUE defense by then.
  const latest = await query(inscription.db, sql`
    SELECT doctorant_id, statut FROM (
      SELECT doctorant_id, statut, ROW_NUMBER() OVER (PARTITION BY doctorant_id ORDER BY date_inscription DESC, id DESC) AS position
      FROM inscriptions WHERE date_inscription <= ${asOf}
    ) ranked WHERE position = 1`);
  const dayAfter = `${new Date(Date.parse(`${asOf}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)} 00:00:00`;
  const defended = new Set(
    (await query(defense.db, sql`SELECT DISTINCT doctorant_id FROM soutenances WHERE statut = 'SOUTENUE' AND (date_soutenance <= ${asOf} OR (date_soutenance IS NULL AND updated_at < ${dayAfter}))`)).map((r) => num(r.doctorant_id)),
  );
  const active = new Set(latest.filter((r) => r.statut === 'VALIDÉ').map((r) => num(r.doctorant_id)).filter((id) => !defended.has(id)));
  const held = await query(user.db, sql`SELECT user_id, role FROM user_roles WHERE role IN (${ACTIF}, ${DOCTEUR})`);
  const holding = (role: string) => new Set(held.filter((r) => r.role === role).map((r) => num(r.user_id)));
  const actif = [...users].filter((id) => !defended.has(id) && (active.has(id) || (!revoke && holding(ACTIF).has(id))));
  const docteur = [...users].filter((id) => defended.has(id) || holding(DOCTEUR).has(id));

  const divergent = (await query(inscription.db, sql`SELECT doctorant_id FROM inscriptions WHERE date_inscription <= ${asOf} GROUP BY doctorant_id HAVING COUNT(DISTINCT date_premiere_inscription) > 1`))
    .map((r) => num(r.doctorant_id))
    .filter((id) => users.has(id));

  // Documents and files: every reference of a record not archived must be on disk; every old file no row names is an orphan.
  const uploads = env.config.uploadsDir;
  const onDisk = (chemin: string) => [chemin, chemin.normalize('NFC'), chemin.normalize('NFD')].some((form) => lstatSync(path.join(uploads, form), { throwIfNoEntry: false })?.isFile());
  const documents = [
    ...(await query(inscription.db, sql`SELECT d.chemin FROM documents d JOIN inscriptions i ON i.id = d.inscription_id WHERE i.archived = 0`)),
    ...(await query(defense.db, sql`SELECT d.chemin FROM soutenance_documents d JOIN soutenances s ON s.id = d.soutenance_id WHERE s.archived = 0`)),
  ];
  const referenced = new Set(
    [...(await query(inscription.db, sql`SELECT chemin FROM documents`)), ...(await query(defense.db, sql`SELECT chemin FROM soutenance_documents`))].map((r) => String(r.chemin).normalize('NFC')),
  );
  const files = walk(uploads).filter((f) => !f.startsWith('orphelins/'));
  const cutoff = Date.parse(runAt) - 86_400_000;
  const orphans = files.filter((f) => !referenced.has(f.normalize('NFC')) && lstatSync(path.join(uploads, f)).mtimeMs <= cutoff);

  const pending = await query(notification.db, sql`SELECT COUNT(*) AS n FROM notifications WHERE statut = 'PENDING' AND created_at < ${sqlTime(new Date(Date.parse(runAt) - 86_400_000).toISOString())}`);
  return {
    inscriptions: inscriptions.length,
    userInexistant: { auto: sorted(auto.map((i) => i.id)), manual: sorted(missing.filter((i) => !auto.includes(i)).map((i) => i.id)) },
    suspendTonight: sorted(suspendTonight.map((i) => i.id)),
    defensesRead: defenses.length,
    inscriptionInvalide: sorted(invalid.map((s) => s.id)),
    blockTonight: sorted(invalid.filter((s) => OPEN.includes(s.statut)).map((s) => s.id)),
    users: users.size,
    divergent: sorted(divergent),
    roles: { actif: sorted(actif), docteur: sorted(docteur) },
    missingFiles: documents.filter((d) => !onDisk(String(d.chemin))).length,
    files: files.length,
    orphans: orphans.length,
    pendingToRetry: num(pending[0]!.n),
  };
}

/** Regular files under `root`, '/'-separated, symbolic links left out (the job never follows nor moves them). */
function walk(root: string, relative = ''): string[] {
  return readdirSync(path.join(root, relative), { withFileTypes: true }).flatMap((entry) => {
    const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) return walk(root, name);
    return entry.isFile() ? [name] : [];
  });
}

async function rolesHeld(env: TestEnvironment): Promise<{ actif: number[]; docteur: number[] }> {
  const held = await query(env.databases.user.db, sql`SELECT user_id, role FROM user_roles WHERE role IN (${ACTIF}, ${DOCTEUR})`);
  return { actif: sorted(held.filter((r) => r.role === ACTIF).map((r) => num(r.user_id))), docteur: sorted(held.filter((r) => r.role === DOCTEUR).map((r) => num(r.user_id))) };
}

async function openAnomalies(env: TestEnvironment): Promise<{ type: string; id: number; action: string }[]> {
  return (await query(env.databases.batch.db, sql`SELECT type, entity_id, action FROM consistency_anomaly WHERE open_key IS NOT NULL`)).map((r) => ({ type: String(r.type), id: num(r.entity_id), action: String(r.action) }));
}

/** Each step counts one kind of item, each once: nothing negative, and every item read is decided. */
function expectBalanced(steps: readonly StepExecution[]): void {
  expect(steps.map((s) => s.stepName)).toEqual(STEPS);
  for (const { stepName, counts } of steps) {
    for (const [name, value] of Object.entries(counts)) expect(value, `${stepName}.${name}`).toBeGreaterThanOrEqual(0);
    expect(counts.write + counts.wouldWrite + counts.filter + skipCount(counts), `${stepName}: written + filtered + skipped = read`).toBe(counts.read);
  }
}

const byName = (steps: readonly StepExecution[]) => new Map(steps.map((s) => [s.stepName, s.counts]));

describe.each(dialects)('dataConsistencyJob on demo data at scale 1 (%s)', (dialect) => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  async function demoEnvironment(): Promise<TestEnvironment> {
    env = await createTestEnvironment(dialect, { BATCH_TIMEZONE: ZONE });
    await generateDemoData(env.databases, { uploadsDir: env.config.uploadsDir, scale: 1, referenceDate: REFERENCE });
    await plantOnDemo(env);
    return env;
  }

  function operatorWith(e: TestEnvironment, options: Partial<DataConsistencyDeps>): JobOperator {
    const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir: path.join(e.dataDir, 'mail') }, silentLogger);
    const job = dataConsistencyJob({
      ...e.databases, mailer, audit: new AuditLog(e.databases.batch.db), logger: silentLogger, uploadsDir: e.config.uploadsDir, reportsDir: e.config.reportsDir,
      techAdmins: ['dsi@univ-exemple.fr'], topic: 'notifications', timeZone: ZONE, ...options,
    });
    return operatorFor(e.databases, [job]);
  }

  const launch = async (operator: JobOperator, runAt: string, dryRun = false): Promise<JobExecution> =>
    (await operator.start('dataConsistencyJob', { parameters: { runAt }, dryRun, trigger: 'CLI' })).done;

  it('counts each item once, finds what plain SQL finds, announces in a dry run what the real run does, and changes nothing the next night', async () => {
    const e = await demoEnvironment();
    const expected = await recount(e, RUN_AT, AS_OF, true);
    // Every kind has members, every check has several pages of 500, and the small pages split even the open defenses.
    expect(expected.suspendTonight.length).toBeGreaterThan(0);
    expect(expected.userInexistant.manual.length).toBeGreaterThan(0);
    expect(expected.userInexistant.auto.length).toBeGreaterThan(expected.suspendTonight.length);
    expect(expected.blockTonight.length).toBeGreaterThan(0);
    expect(expected.divergent.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(expected.inscriptions, expected.users, expected.files, expected.pendingToRetry)).toBeGreaterThan(1_000);
    expect(expected.defensesRead).toBeGreaterThan(2 * SMALL_PAGE);

    const rolesBefore = await rolesHeld(e);
    const small = operatorWith(e, { pageSize: SMALL_PAGE });
    const operator = operatorWith(e, {});
    const drySmall = await launch(small, RUN_AT, true);
    const dry = await launch(operator, RUN_AT, true);
    const real = await launch(operator, RUN_AT);
    for (const run of [drySmall, dry, real]) expect(run.status, run.exitMessage ?? '').toBe('COMPLETED');
    const [drySmallSteps, drySteps, realSteps] = await Promise.all([drySmall, dry, real].map((run) => operator.repository.stepExecutions(run.id)));
    for (const steps of [drySmallSteps!, drySteps!, realSteps!]) expectBalanced(steps);

    // Each step's items, as the recount has them.
    const counts = byName(realSteps!);
    expect(counts.get('verifyUserEnrollmentConsistencyStep')).toMatchObject({ read: expected.inscriptions, write: expected.suspendTonight.length });
    expect(counts.get('verifyEnrollmentDefenseConsistencyStep')).toMatchObject({ read: expected.defensesRead, write: expected.blockTonight.length });
    expect(counts.get('checkOrphanedDocumentsStep')).toMatchObject({ read: expected.files, write: expected.orphans });
    expect(counts.get('retryPendingNotificationsStep')).toMatchObject({ read: expected.pendingToRetry, write: expected.pendingToRetry });
    expect(counts.get('generateAnomalyReportStep')).toMatchObject({ read: 1, write: 1 });

    // Roles: as the definition recounted in SQL says; the step's items are users (changed or not), role changes a figure apart.
    const after = await rolesHeld(e);
    expect(after).toEqual(expected.roles);
    const minus = (a: readonly number[], b: readonly number[]) => a.filter((id) => !b.includes(id));
    const [addedActif, addedDocteur, removedActif, removedDocteur] = [minus(after.actif, rolesBefore.actif), minus(after.docteur, rolesBefore.docteur), minus(rolesBefore.actif, after.actif), minus(rolesBefore.docteur, after.docteur)];
    expect(removedDocteur).toEqual([]);
    const added = addedActif.length + addedDocteur.length;
    const removed = removedActif.length;
    const changedUsers = new Set([...addedActif, ...addedDocteur, ...removedActif]);
    expect(counts.get('verifyUserRolesStep')).toMatchObject({ read: expected.users, write: changedUsers.size });
    expect(removed).toBeGreaterThan(0);
    // Each change audited once: the audit entries lead from the holders after back to those before.
    expect(await rolesBeforeFromAudit(e, after)).toEqual({ actif: new Set(rolesBefore.actif), docteur: new Set(rolesBefore.docteur) });

    // The anomalies: the recount's, with « corrigée » only where the job's correction is in place.
    const open = await openAnomalies(e);
    const ids = (type: string, action?: string) => sorted(open.filter((a) => a.type === type && (action === undefined || a.action === action)).map((a) => a.id));
    expect(ids('UTILISATEUR_INEXISTANT', 'AUTO_CORRIGÉE')).toEqual(expected.userInexistant.auto);
    expect(ids('UTILISATEUR_INEXISTANT', 'INTERVENTION_REQUISE')).toEqual(expected.userInexistant.manual);
    expect(ids('INSCRIPTION_INVALIDE', 'AUTO_CORRIGÉE')).toEqual(expected.inscriptionInvalide);
    expect(ids('INSCRIPTION_INVALIDE')).toEqual(expected.inscriptionInvalide);
    expect(ids('PREMIERE_INSCRIPTION_DIVERGENTE', 'INTERVENTION_REQUISE')).toEqual(expected.divergent);
    expect(ids('FICHIER_MANQUANT', 'INTERVENTION_REQUISE').length).toBe(expected.missingFiles);

    const manual = expected.userInexistant.manual.length + expected.divergent.length + expected.missingFiles;
    const total = expected.userInexistant.auto.length + expected.userInexistant.manual.length + expected.inscriptionInvalide.length + expected.divergent.length + expected.missingFiles;
    expect(real.metrics).toMatchObject({
      totalAnomalies: total,
      newAnomalies: total,
      autoCorrected: expected.suspendTonight.length + expected.blockTonight.length,
      inscriptionsSuspended: expected.suspendTonight.length,
      soutenancesBlocked: expected.blockTonight.length,
      openAutoCorrected: total - manual,
      manualRequired: manual,
      usersChanged: changedUsers.size,
      rolesAdded: added,
      rolesRemoved: removed,
      orphansMoved: expected.orphans,
      notificationsRetried: expected.pendingToRetry,
      notificationsSent: expected.pendingToRetry,
      notificationsFailed: 0,
    });

    // The dry runs announced exactly that, at either page size: figures, and per step what it would write.
    for (const [run, steps] of [[drySmall, drySmallSteps!], [dry, drySteps!]] as const) {
      const announced = run.metrics.dryRun as Record<string, unknown>;
      const numeric = Object.entries(announced).filter(([, value]) => typeof value === 'number');
      expect(numeric.map(([name]) => name).sort()).toEqual(Object.keys(real.metrics).filter((name) => !name.startsWith('notificationsSent') && !name.startsWith('notificationsFailed')).sort());
      for (const [name, value] of numeric) expect([name, value]).toEqual([name, real.metrics[name]]);
      const would = byName(steps);
      for (const step of STEPS) {
        const [d, r] = [would.get(step)!, counts.get(step)!];
        expect([step, d.read, d.wouldWrite, d.write, d.filter, skipCount(d)]).toEqual([step, r.read, r.write, 0, r.filter, skipCount(r)]);
      }
    }

    // The next night: nothing to change, nothing new; the same stock of open anomalies, by action.
    const second = await launch(operator, NEXT_NIGHT);
    expect(second.status, second.exitMessage ?? '').toBe('COMPLETED');
    const nextExpected = await recount(e, NEXT_NIGHT, NEXT_AS_OF, true);
    expect(second.metrics).toMatchObject({
      totalAnomalies: total, newAnomalies: 0, autoCorrected: 0, inscriptionsSuspended: 0, soutenancesBlocked: 0, openAutoCorrected: total - manual, manualRequired: manual,
      usersChanged: 0, rolesAdded: 0, rolesRemoved: 0, orphansMoved: 0, notificationsRetried: nextExpected.pendingToRetry,
    });
    const secondSteps = await operator.repository.stepExecutions(second.id);
    expectBalanced(secondSteps);
    for (const step of STEPS.slice(0, 4)) expect([step, byName(secondSteps).get(step)!.write]).toEqual([step, 0]);
    expect(byName(secondSteps).get('generateAnomalyReportStep')).toMatchObject({ read: 0, write: 0 });
    expect(await openAnomalies(e)).toHaveLength(total);
  }, 900_000);

  it('stopped in the middle of three steps and restarted three times, counts nothing twice; with ROLE_SYNC_REVOKE=false nobody loses ROLE_DOCTORANT_ACTIF for being inactive', async () => {
    const e = await demoEnvironment();
    const expected = await recount(e, RUN_AT, AS_OF, false);
    const rolesBefore = await rolesHeld(e);
    let running: number | undefined;
    let sent = 0;
    let corrected = false;
    let moved = false;
    const operator: JobOperator = operatorWith(e, {
      pageSize: 50,
      roleSyncRevoke: false,
      // A stop asked from inside the step, at a known point: after its first correction, its first orphan moved, its fifth mail.
      boundary: async (at) => {
        if (at === 'corrected' && !corrected) {
          corrected = true;
          await operator.stop(running!);
        }
        if (at === 'orphan-moved' && !moved) {
          moved = true;
          await operator.stop(running!);
        }
        if (at === 'notification-sent' && ++sent === 5) await operator.stop(running!);
      },
    });
    const first = await operator.start('dataConsistencyJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' });
    running = first.execution.id;
    const stopped = await first.done;
    expect([stopped.status, stopped.exitMessage]).toEqual(['STOPPED', 'stopped on request during verifyUserEnrollmentConsistencyStep']);
    const [halted] = await operator.repository.stepExecutions(stopped.id);
    expect(halted!.counts.read).toBeGreaterThan(0);
    expect(halted!.counts.read).toBeLessThan(expected.inscriptions);

    const walking = await operator.restart(stopped.id, { trigger: 'CLI' });
    running = walking.execution.id;
    const stoppedWalking = await walking.done;
    expect([stoppedWalking.status, stoppedWalking.exitMessage]).toEqual(['STOPPED', 'stopped on request during checkOrphanedDocumentsStep']);
    const walked = byName(await operator.repository.stepExecutions(stoppedWalking.id)).get('checkOrphanedDocumentsStep')!;
    // The walk's files are counted once, when it ends: none yet, though some were moved.
    expect([walked.read, walked.write]).toEqual([0, 0]);
    expect(walk(path.join(e.config.uploadsDir, 'orphelins')).length).toBeGreaterThan(0);

    const second = await operator.restart(stoppedWalking.id, { trigger: 'CLI' });
    running = second.execution.id;
    const stoppedAgain = await second.done;
    expect([stoppedAgain.status, stoppedAgain.exitMessage]).toEqual(['STOPPED', 'stopped on request during retryPendingNotificationsStep']);
    const mid = byName(await operator.repository.stepExecutions(stoppedAgain.id)).get('retryPendingNotificationsStep')!;
    // Five sent in a page of fifty, saved with their counts before giving up.
    expect(mid.write).toBe(5);
    expect(mid.read).toBeLessThan(50);

    const third = await operator.restart(stoppedAgain.id, { trigger: 'CLI' });
    running = third.execution.id;
    const done = await third.done;
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    const latest = [...(await operator.repository.latestStepsOfInstance(done.instanceId)).values()];
    expectBalanced(latest);
    const counts = byName(latest);
    expect(counts.get('verifyUserEnrollmentConsistencyStep')).toMatchObject({ read: expected.inscriptions, write: expected.suspendTonight.length });
    expect(counts.get('verifyEnrollmentDefenseConsistencyStep')).toMatchObject({ read: expected.defensesRead, write: expected.blockTonight.length });
    expect(counts.get('verifyUserRolesStep')!.read).toBe(expected.users);
    expect(counts.get('checkOrphanedDocumentsStep')).toMatchObject({ read: expected.files, write: expected.orphans });
    expect(counts.get('retryPendingNotificationsStep')).toMatchObject({ read: expected.pendingToRetry, write: expected.pendingToRetry });
    // Each notification mailed once across the two stops (one .eml a message), and the report once.
    expect(readdirSync(path.join(e.dataDir, 'mail')).length).toBe(expected.pendingToRetry + 1);
    expect((await recount(e, RUN_AT, AS_OF, false)).pendingToRetry).toBe(0);
    expect(done.metrics).toMatchObject({
      autoCorrected: expected.suspendTonight.length + expected.blockTonight.length,
      orphansMoved: expected.orphans,
      notificationsRetried: expected.pendingToRetry,
      notificationsSent: expected.pendingToRetry,
    });

    // Revocation off: the holders who are not active keep ROLE_DOCTORANT_ACTIF; the defended still lose it (5.7).
    const after = await rolesHeld(e);
    expect(after).toEqual(expected.roles);
    const removed = rolesBefore.actif.filter((id) => !after.actif.includes(id));
    expect(done.metrics.rolesRemoved).toBe(removed.length);
    const removals = (await new AuditLog(e.databases.batch.db).list(0, 10_000)).items.filter((a) => a.action === 'ROLE_REMOVE');
    expect(removals.map((a) => (a.details as { rule: string }).rule)).toEqual(removed.map(() => '5.7'));
  }, 900_000);
});

/**
 * The role holders before the run, from those after it and the run's audit entries (each
 * change is one entry): the recount read the holders before; this checks the audit says
 * the same changes.
 */
async function rolesBeforeFromAudit(env: TestEnvironment, after: { actif: number[]; docteur: number[] }): Promise<{ actif: Set<number>; docteur: Set<number> }> {
  const entries = (await new AuditLog(env.databases.batch.db).list(0, 100_000)).items.filter((a) => a.action === 'ROLE_ADD' || a.action === 'ROLE_REMOVE');
  const actif = new Set(after.actif);
  const docteur = new Set(after.docteur);
  for (const entry of entries) {
    const id = Number((entry.target ?? '').replace('user#', ''));
    const set = (entry.details as { role: string }).role === ACTIF ? actif : docteur;
    if (entry.action === 'ROLE_ADD') set.delete(id);
    else set.add(id);
  }
  return { actif, docteur };
}
