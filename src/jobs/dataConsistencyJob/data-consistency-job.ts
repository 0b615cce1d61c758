/**
 * dataConsistencyJob (requirements 5.1–5.16): every night at 23:00, the checks that span
 * the platform's databases, the safe corrections, the orphan files, the notifications left
 * pending, and — when the night found something new — a PDF report for the technical team.
 * Six tasklet steps (5.15); each pages by key and saves its position, so a stop or a crash
 * resumes where it was. Anomalies are kept in batchdb across nights (src/anomalies/anomaly-store.ts).
 *
 * A dry run is the audit mode: every check runs and lists what it would change; nothing
 * is written, moved or sent. Its figures and each step's would-write are what the real run
 * on the same data and `runAt` then does (a refused mail aside, which no simulation can
 * foresee): the anomalies it would record as new, the corrections, role changes, moves and
 * re-sends it would make, and whether a report would be written.
 *
 * Figures (5.16) keep two things apart: what this run changed (`autoCorrected`: the
 * inscriptions it suspended and the soutenances it blocked; roles, orphans, notifications)
 * and the stock of anomalies open after it, by action (`openAutoCorrected`: the job's
 * correction is in place; `manualRequired`: a person must act). A night that finds only
 * known anomalies changes nothing and reports 0 corrections.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Databases } from '../../db/databases.js';
import { asJson, contextKey, type ContextKey, type ExecutionContext } from '../../engine/execution-context.js';
import type { JobDefinition, JsonObject, TaskletStep } from '../../engine/types.js';
import type { Mailer } from '../../mail/mailer.js';
import { logoOf, writeReportAtomically } from '../../pdf/report-file.js';
import type { AuditLog } from '../../security/audit-log.js';
import { readRegularFile } from '../../security/regular-file.js';
import { peopleOf } from '../../anomalies/anomaly-people.js';
import { anomalyReportDocument, nextAnomalyReportFileName } from '../../anomalies/anomaly-report.js';
import { anomaliesSeenAt } from '../../anomalies/anomaly-store.js';
import { checkEnrollmentDefenses, checkUserEnrollments, NOTHING, type CheckTotals, type ConsistencyBoundary } from './cross-database-checks.js';
import { checkDocuments, type DocumentTotals } from './document-checks.js';
import { retryPendingNotifications, type RetryTotals } from './notification-retry.js';
import { stepState, savePhase } from './paging.js';
import { syncRoles, type RoleTotals } from './role-sync.js';

export const DATA_CONSISTENCY_JOB = 'dataConsistencyJob';

export interface DataConsistencyDeps extends Databases {
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly uploadsDir: string;
  readonly reportsDir: string;
  readonly techAdmins: readonly string[];
  readonly topic: string;
  readonly timeZone: string;
  readonly logoFile?: string;
  /** Rows per page of every check (default 500). */
  readonly pageSize?: number;
  /** Take ROLE_DOCTORANT_ACTIF from a doctorant no longer active (ROLE_SYNC_REVOKE, default true). */
  readonly roleSyncRevoke?: boolean;
  /** Fault-injection tests only: called between each side effect and its record. */
  readonly boundary?: (at: ConsistencyBoundary) => void | Promise<void>;
}

interface ReportState {
  readonly fileName: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly pages: number;
}

/** What each step leaves in the job context for the report and the figures. */
const USERS = contextKey<CheckTotals>('users');
const DEFENSES = contextKey<CheckTotals>('defenses');
const ROLES = contextKey<RoleTotals>('roles');
const DOCUMENTS = contextKey<DocumentTotals>('documents');
const NOTIFICATIONS = contextKey<RetryTotals>('notifications');
const RUN_AT = contextKey<string>('runAt');
const REPORT = contextKey<ReportState>('report');

export function dataConsistencyJob(deps: DataConsistencyDeps): JobDefinition {
  const pageSize = deps.pageSize ?? 500;
  const checkDeps = { ...deps, pageSize, revoke: deps.roleSyncRevoke ?? true };

  const generateReport: TaskletStep = {
    kind: 'tasklet',
    name: 'generateAnomalyReportStep',
    // 5.15: only when this night found something new; a known anomaly seen again is in the
    // API and in the next report, not in another mail (two runs in a row: the second
    // notifies nobody).
    condition: (jobContext) => newAnomaliesOf(jobContext) > 0,
    run: async (ctx) => {
      // A dry run announces the report the real run would write and mail.
      if (ctx.dryRun) {
        ctx.count({ read: 1, write: 1 });
        return;
      }
      const saved = stepState(ctx) as { fileName?: string; report?: ReportState; mailed?: boolean };
      let report = saved.report;
      if (!report) {
        const anomalies = await anomaliesSeenAt(deps.batch.db, ctx.runAt);
        const newIds = new Set(anomalies.filter((a) => a.firstSeen.getTime() === ctx.runAt.getTime()).map((a) => a.id));
        const users = ctx.jobContext.read(USERS);
        const defenses = ctx.jobContext.read(DEFENSES);
        const figures = {
          autoCorrected: (users?.corrected ?? 0) + (defenses?.corrected ?? 0),
          rolesAdded: ctx.jobContext.read(ROLES)?.rolesAdded ?? 0,
          rolesRemoved: ctx.jobContext.read(ROLES)?.rolesRemoved ?? 0,
          orphansMoved: ctx.jobContext.read(DOCUMENTS)?.orphansMoved ?? 0,
          notificationsSent: ctx.jobContext.read(NOTIFICATIONS)?.sent ?? 0,
          notificationsFailed: ctx.jobContext.read(NOTIFICATIONS)?.failed ?? 0,
        };
        const people = await peopleOf(deps, anomalies, pageSize);
        const doc = anomalyReportDocument({ runAt: ctx.runAt, timeZone: deps.timeZone, generatedAt: new Date(), logo: logoOf(deps.logoFile), anomalies, newIds, people, figures });
        // The day's next free name, recorded before the file is written: a restart of this
        // execution writes the same file again, never a second one; another run of the same
        // day gets its own (…_2.pdf).
        let fileName = saved.fileName;
        if (fileName === undefined) {
          fileName = await nextAnomalyReportFileName(deps.reportsDir, ctx.runAt, deps.timeZone);
          await savePhase(ctx, 'fileName', fileName);
        }
        ctx.checkLease();
        const written = await writeReportAtomically(doc, deps.reportsDir, fileName);
        // Between the file and its record: a restart from here writes the same file again.
        await deps.boundary?.('report-written');
        report = { fileName, path: written.path, sizeBytes: written.sizeBytes, pages: written.pages };
        await savePhase(ctx, 'report', asJson(report));
      }
      ctx.jobContext.write(REPORT, report);
      if (!saved.mailed) {
        await mailReport(ctx, report);
        await deps.boundary?.('report-mailed');
        await savePhase(ctx, 'mailed', true);
      }
      ctx.count({ read: 1, write: 1 });
    },
  };

  /** 5.14: once per run (recorded before a restart could send it again), same Message-ID every attempt. */
  async function mailReport(ctx: Parameters<TaskletStep['run']>[0], report: ReportState): Promise<void> {
    if (deps.techAdmins.length === 0) {
      ctx.warn('TECH_ADMIN_EMAILS is empty: the anomaly report was written and mailed to nobody');
      return;
    }
    ctx.checkLease();
    await deps.mailer.send({
      to: deps.techAdmins,
      subject: `[batch-service] Rapport d’anomalies du ${report.fileName.slice(18, 28).split('_').reverse().join('/')}`,
      text: [
        'Bonjour,',
        '',
        'La vérification nocturne de cohérence des données a trouvé de nouvelles anomalies.',
        'Le rapport ci-joint les liste par type, avec la correction appliquée ou l’intervention requise.',
        '',
        'Ce message est envoyé automatiquement par le service de traitements de la plateforme.',
      ].join('\n'),
      attachments: [{ filename: report.fileName, content: await readRegularFile(report.path), contentType: 'application/pdf' }],
      messageId: `<anomaly-report.${createHash('sha256').update(`${ctx.jobName}\n${ctx.runAt.toISOString()}`).digest('hex').slice(0, 24)}@batch-service>`,
    });
  }

  return {
    name: DATA_CONSISTENCY_JOB,
    description: 'Nightly cross-database consistency checks with safe corrections, orphan files, notification retries and an anomaly report',
    steps: [
      tasklet('verifyUserEnrollmentConsistencyStep', USERS, (ctx) => checkUserEnrollments(ctx, checkDeps)),
      tasklet('verifyEnrollmentDefenseConsistencyStep', DEFENSES, (ctx) => checkEnrollmentDefenses(ctx, checkDeps)),
      tasklet('verifyUserRolesStep', ROLES, (ctx) => syncRoles(ctx, checkDeps)),
      tasklet('checkOrphanedDocumentsStep', DOCUMENTS, (ctx) => checkDocuments(ctx, checkDeps)),
      tasklet('retryPendingNotificationsStep', NOTIFICATIONS, (ctx) => retryPendingNotifications(ctx, { ...checkDeps, techAdmins: deps.techAdmins, timeZone: deps.timeZone })),
      generateReport,
    ],
    // 5.16. What this run changed comes from the steps' saved figures (committed with their
    // position, so a restart counts nothing twice). The anomalies open after it come from
    // the rows this run's `runAt` saw: exact whatever was restarted. A dry run recorded
    // none: its figures are what its checks found, and what the real run would change.
    metrics: async (_steps, jobContext, execution): Promise<JsonObject> => {
      const users = jobContext.read(USERS);
      const defenses = jobContext.read(DEFENSES);
      const roles = jobContext.read(ROLES);
      const documents = jobContext.read(DOCUMENTS);
      const notifications = jobContext.read(NOTIFICATIONS);
      const changed = {
        autoCorrected: (users?.corrected ?? 0) + (defenses?.corrected ?? 0),
        inscriptionsSuspended: users?.corrected ?? 0,
        soutenancesBlocked: defenses?.corrected ?? 0,
        usersChanged: roles?.usersChanged ?? 0,
        rolesAdded: roles?.rolesAdded ?? 0,
        rolesRemoved: roles?.rolesRemoved ?? 0,
        orphansMoved: documents?.orphansMoved ?? 0,
        notificationsRetried: notifications?.retried ?? 0,
      };
      if (execution.dryRun) {
        const found = (users?.anomalies ?? 0) + (defenses?.anomalies ?? 0) + (roles?.anomalies ?? 0) + (documents?.missing ?? 0);
        const manual = (users?.manual ?? 0) + (defenses?.manual ?? 0) + (roles?.manual ?? 0) + (documents?.missing ?? 0);
        return {
          totalAnomalies: found,
          newAnomalies: newAnomaliesOf(jobContext),
          openAutoCorrected: found - manual,
          manualRequired: manual,
          ...changed,
          wouldChange: {
            inscriptions: users?.wouldChange ?? NOTHING,
            soutenances: defenses?.wouldChange ?? NOTHING,
            roles: roles?.wouldChange ?? NOTHING,
            orphans: documents?.orphans ?? NOTHING,
            notifications: notifications?.wouldChange ?? NOTHING,
          },
        };
      }
      const ranAt = jobContext.read(RUN_AT);
      const seen = ranAt === undefined ? [] : await anomaliesSeenAt(deps.batch.db, new Date(ranAt));
      return {
        totalAnomalies: seen.length,
        newAnomalies: seen.filter((a) => a.firstSeen.toISOString() === ranAt).length,
        openAutoCorrected: seen.filter((a) => a.action === 'AUTO_CORRIGÉE').length,
        manualRequired: seen.filter((a) => a.action === 'INTERVENTION_REQUISE').length,
        ...changed,
        notificationsSent: notifications?.sent ?? 0,
        notificationsFailed: notifications?.failed ?? 0,
      };
    },
    dryRunWords: {
      totalAnomalies: 'found {n} anomalies (none recorded)',
      newAnomalies: 'of which {n} not yet known (would be notified and reported)',
      openAutoCorrected: 'would leave {n} of them corrected by the job',
      manualRequired: 'would report {n} of them for a person to fix',
      autoCorrected: 'would correct {n} rows (inscriptions suspended, soutenances blocked)',
      inscriptionsSuspended: 'would suspend {n} inscriptions',
      soutenancesBlocked: 'would block {n} soutenances',
      usersChanged: 'would change the roles of {n} users',
      rolesAdded: 'would add {n} roles',
      rolesRemoved: 'would remove {n} roles',
      orphansMoved: 'would move {n} orphan files to orphelins/',
      notificationsRetried: 'would send {n} pending notifications again',
    },
  };
}

function tasklet<T>(name: string, key: ContextKey<T>, run: (ctx: Parameters<TaskletStep['run']>[0]) => Promise<T>): TaskletStep {
  return {
    kind: 'tasklet',
    name,
    run: async (ctx) => {
      ctx.jobContext.write(RUN_AT, ctx.runAt.toISOString());
      ctx.jobContext.write(key, await run(ctx));
    },
  };
}

function newAnomaliesOf(jobContext: ExecutionContext): number {
  const counts = [jobContext.read(USERS), jobContext.read(DEFENSES), jobContext.read(ROLES), jobContext.read(DOCUMENTS)];
  return counts.reduce((sum, totals) => sum + Number(totals?.newAnomalies ?? 0), 0);
}
