/**
 * Properties 32, 33, 35 and 36 (5.2–5.9) on random platforms spread over the four sibling
 * databases and UPLOADS_DIR: users that exist or not, inscriptions and soutenances in every
 * state, roles held or not (a doctorant no longer active loses ROLE_DOCTORANT_ACTIF), files referenced by either document table or by none, old or
 * young. After a run, each rule holds row by row and file by file against a model computed
 * here from the data as planted; a second run changes nothing (idempotence).
 * Small pages (3 rows) so every case crosses page boundaries.
 */
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataConsistencyJob } from '../../../src/jobs/dataConsistencyJob/data-consistency-job.js';
import type { JobOperator } from '../../../src/engine/job-operator.js';
import { createMailer } from '../../../src/mail/mailer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { AuditLog } from '../../../src/security/audit-log.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { operatorFor } from '../../engine/harness.js';

const INSCRIPTION_STATUTS = ['EN_ATTENTE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU'] as const;
const DEFENSE_STATUTS = ['DEMANDEE', 'AUTORISEE', 'PLANIFIEE', 'SOUTENUE', 'REJETEE', 'BLOQUEE'] as const;
const OPEN = ['DEMANDEE', 'AUTORISEE', 'PLANIFIEE'];
const ROLES = ['ROLE_DOCTORANT_ACTIF', 'ROLE_DOCTEUR', 'ROLE_DIRECTEUR'] as const;
const AT = '2024-01-01 00:00:00';

const platform = fc.record({
  /** Which of the doctorants 1..8 exist in userdb, and the roles they hold. */
  users: fc.array(fc.record({ exists: fc.boolean(), roles: fc.subarray([...ROLES]) }), { minLength: 8, maxLength: 8 }),
  inscriptions: fc.array(fc.record({ doctorant: fc.integer({ min: 1, max: 8 }), statut: fc.constantFrom(...INSCRIPTION_STATUTS), archived: fc.boolean() }), { maxLength: 14 }),
  soutenances: fc.array(fc.record({ doctorant: fc.integer({ min: 1, max: 8 }), inscription: fc.integer({ min: 1, max: 16 }), statut: fc.constantFrom(...DEFENSE_STATUTS) }), { maxLength: 12 }),
  /** Files f<i>.pdf: referenced by `documents`, `soutenance_documents` or nothing; hours before runAt. */
  files: fc.array(fc.record({ by: fc.constantFrom('documents', 'soutenance_documents', 'none'), ageHours: fc.constantFrom(1, 23, 25, 200), nfd: fc.boolean() }), { maxLength: 8 }),
});

describe.each(dialects)('dataConsistencyJob properties (%s)', (dialect) => {
  let env: TestEnvironment;
  let operator: JobOperator;
  let night = 0;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect);
    const mailer = createMailer({ from: 'batch@test', mailDir: `${env.dataDir}/mail` }, silentLogger);
    const job = dataConsistencyJob({ ...env.databases, mailer, audit: new AuditLog(env.databases.batch.db), logger: silentLogger, uploadsDir: env.config.uploadsDir, reportsDir: env.config.reportsDir, techAdmins: [], topic: 't', timeZone: 'UTC', pageSize: 3 });
    operator = operatorFor(env.databases, [job]);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  const nextNight = () => new Date(Date.UTC(2027, 0, 1) + night++ * 86_400_000).toISOString();
  const run = async (runAt: string) => (await operator.start('dataConsistencyJob', { parameters: { runAt }, trigger: 'CLI' })).done;

  it('Properties 32, 33, 35, 36: suspended, blocked, roles and orphans exactly as the rules say; a second run changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(platform, async (p) => {
        const { user, inscription, defense, batch } = env.databases;
        await user.db.deleteFrom('user_roles').execute();
        await user.db.deleteFrom('users').execute();
        await inscription.db.deleteFrom('inscriptions').execute();
        await defense.db.deleteFrom('soutenances').execute();
        await batch.db.deleteFrom('consistency_anomaly').execute();
        await inscription.db.deleteFrom('documents').execute();
        await defense.db.deleteFrom('soutenance_documents').execute();
        const uploads = env.config.uploadsDir;
        rmSync(uploads, { recursive: true, force: true });
        const runAt = nextNight();
        // Names with an accent, written on disk as NFD half the time; the rows always hold NFC.
        const name = (i: number) => `docs/thèse-${i}.pdf`;
        p.files.forEach((f, i) => {
          const file = path.join(uploads, f.nfd ? name(i).normalize('NFD') : name(i));
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, `file ${i}`);
          const when = new Date(Date.parse(runAt) - f.ageHours * 3_600_000);
          utimesSync(file, when, when);
        });
        const referencedBy = (table: string) => p.files.flatMap((f, i) => (f.by === table ? [{ type: 'PIECE', nom_fichier: null, chemin: name(i), taille: 1, created_at: AT }] : []));
        // Owners that do not exist are still references: the check reads chemins, not owners.
        if (referencedBy('documents').length > 0) await inscription.db.insertInto('documents').values(referencedBy('documents').map((d) => ({ ...d, inscription_id: 1000 }))).execute();
        if (referencedBy('soutenance_documents').length > 0) await defense.db.insertInto('soutenance_documents').values(referencedBy('soutenance_documents').map((d) => ({ ...d, soutenance_id: 1000 }))).execute();
        const existing = p.users.map((u, i) => ({ ...u, id: i + 1 })).filter((u) => u.exists);
        if (existing.length > 0) {
          await user.db.insertInto('users').values(existing.map((u) => ({ id: u.id, email: `u${u.id}@x.fr`, nom: null, prenom: null, enabled: 1, created_at: AT }))).execute();
          const roles = existing.flatMap((u) => u.roles.map((role) => ({ user_id: u.id, role })));
          if (roles.length > 0) await user.db.insertInto('user_roles').values(roles).execute();
        }
        if (p.inscriptions.length > 0) {
          await inscription.db.insertInto('inscriptions').values(p.inscriptions.map((r, i) => ({
            id: i + 1, doctorant_id: r.doctorant, directeur_id: null, sujet_these: null, annee_universitaire: null, type: 'PREMIERE', date_inscription: '2024-01-01',
            date_premiere_inscription: '2024-01-01', statut: r.statut, motif_suspension: null, archived: r.archived ? 1 : 0, created_at: AT, updated_at: AT,
          }))).execute();
        }
        if (p.soutenances.length > 0) {
          await defense.db.insertInto('soutenances').values(p.soutenances.map((s, i) => ({
            id: i + 1, doctorant_id: s.doctorant, inscription_id: s.inscription, directeur_id: null, titre_these: null, statut: s.statut, date_soutenance: null, mention: null,
            pv_signe: 0, motif_blocage: null, archived: 0, created_at: AT, updated_at: AT,
          }))).execute();
        }

        // The model, from the data as planted.
        const exists = (id: number) => p.users[id - 1]!.exists;
        const expectedInscriptions = p.inscriptions.map((r) => (!exists(r.doctorant) && !['SUSPENDU', 'REJETÉ'].includes(r.statut) && !r.archived ? 'SUSPENDU' : r.statut));
        const expectedDefenses = p.soutenances.map((s) => {
          const target = expectedInscriptions[s.inscription - 1];
          return OPEN.includes(s.statut) && target !== 'VALIDÉ' ? 'BLOQUEE' : s.statut;
        });
        const expectedRoles = existing.map((u) => {
          const roles = new Set<string>(u.roles);
          const docteur = p.soutenances.some((s) => s.doctorant === u.id && s.statut === 'SOUTENUE');
          // Active: the latest row (all share one date, so the highest id), as step 1 left it, is VALIDÉ; archived or not.
          const latest = p.inscriptions.map((r, i) => ({ r, i })).filter(({ r }) => r.doctorant === u.id).at(-1);
          const active = latest !== undefined && expectedInscriptions[latest.i] === 'VALIDÉ';
          if (docteur) {
            roles.add('ROLE_DOCTEUR');
            roles.delete('ROLE_DOCTORANT_ACTIF');
          } else if (active) roles.add('ROLE_DOCTORANT_ACTIF');
          else roles.delete('ROLE_DOCTORANT_ACTIF');
          return [...roles].sort().map((r) => `${u.id}:${r}`);
        }).flat();

        const first = await run(runAt);
        expect(first.status, first.exitMessage ?? '').toBe('COMPLETED');
        const state = async () => ({
          inscriptions: (await inscription.db.selectFrom('inscriptions').select('statut').orderBy('id').execute()).map((r) => r.statut),
          defenses: (await defense.db.selectFrom('soutenances').select('statut').orderBy('id').execute()).map((r) => r.statut),
          roles: (await user.db.selectFrom('user_roles').select(['user_id', 'role']).orderBy('user_id').orderBy('role').execute()).map((r) => `${r.user_id}:${r.role}`),
        });
        const after = await state();
        expect(after.inscriptions).toEqual(expectedInscriptions);
        expect(after.defenses).toEqual(expectedDefenses);
        expect(after.roles).toEqual(expectedRoles);
        // Property 32: one open anomaly per inscription whose doctorant is missing, none other.
        const open = await batch.db.selectFrom('consistency_anomaly').select(['type', 'entity_id']).where('open_key', 'is not', null).execute();
        const ids = (type: string) => open.filter((a) => a.type === type).map((a) => Number(a.entity_id)).sort((a, b) => a - b);
        expect(ids('UTILISATEUR_INEXISTANT')).toEqual(p.inscriptions.flatMap((r, i) => (exists(r.doctorant) ? [] : [i + 1])));
        // Property 33: one per open soutenance without a VALIDÉ inscription (blocked now).
        expect(ids('INSCRIPTION_INVALIDE')).toEqual(p.soutenances.flatMap((s, i) => (OPEN.includes(s.statut) && expectedInscriptions[s.inscription - 1] !== 'VALIDÉ' ? [i + 1] : [])));

        // Property 36: an unreferenced file older than a day is under orphelins/, every other file in place.
        p.files.forEach((f, i) => {
          const onDisk = f.nfd ? name(i).normalize('NFD') : name(i);
          const orphan = f.by === 'none' && f.ageHours > 24;
          expect(existsSync(path.join(uploads, onDisk)), `${name(i)} in place`).toBe(!orphan);
          expect(existsSync(path.join(uploads, 'orphelins', onDisk)), `${name(i)} under orphelins/`).toBe(orphan);
        });
        expect(first.metrics.orphansMoved).toBe(p.files.filter((f) => f.by === 'none' && f.ageHours > 24).length);

        const second = await run(nextNight());
        // The files that were young are older now: the second night may move those, nothing else.
        expect(second.metrics).toMatchObject({ newAnomalies: 0, rolesAdded: 0, rolesRemoved: 0 });
        expect(await state()).toEqual(after);
      }),
      { numRuns: dialect === 'sqlite' ? 40 : 15 },
    );
  }, 180_000);
});
