/**
 * dataConsistencyJob (requirements 5.1–5.16): every night at 23:00, the checks that span
 * the platform's databases, the safe corrections, the orphan files, the notifications left
 * pending, and — when the night found something new — a PDF report for the technical team.
 * Six tasklet steps (5.15); each pages by key and saves its position, so a stop or a crash
 * resumes where it was. Anomalies are kept in batchdb across nights (anomaly-store.ts).
 *
 * A dry run is the audit mode: every check runs and lists what it would change; nothing
 * is written, moved or sent, and the report step does not run.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Databases } from '../../db/databases.js';
import type { ExecutionContext } from '../../engine/execution-context.js';
import type { JobDefinition, Json, JsonObject, TaskletStep } from '../../engine/types.js';
import type { Mailer } from '../../mail/mailer.js';
import { logoOf, writeReportAtomically } from '../../pdf/report-file.js';
import type { AuditLog } from '../../security/audit-log.js';
import { anomalyReportDocument, anomalyReportFileName } from './anomaly-report.js';
import { anomaliesSeenAt } from './anomaly-store.js';
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
  /** Fault-injection tests only: called between each side effect and its record. */
  readonly boundary?: (at: ConsistencyBoundary) => void;
}

interface ReportState {
  readonly fileName: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly pages: number;
}

const stored = <T>(jobContext: ExecutionContext, key: string) => jobContext.get(key) as unknown as T | undefined;

export function dataConsistencyJob(deps: DataConsistencyDeps): JobDefinition {
  const pageSize = deps.pageSize ?? 500;
  const checkDeps = { ...deps, pageSize };
  const step = (name: string, key: string, run: Parameters<typeof tasklet>[2]): TaskletStep => tasklet(name, key, run);

  const generateReport: TaskletStep = {
    kind: 'tasklet',
    name: 'generateAnomalyReportStep',
    // 5.15: only when this night found something new; a known anomaly seen again is in the
    // API, not in another mail (two runs in a row: the second notifies nobody).
    condition: (jobContext) => newAnomaliesOf(jobContext) > 0,
    run: async (ctx) => {
      const saved = stepState(ctx) as { report?: ReportState; mailed?: boolean };
      let report = saved.report;
      if (!report) {
        const anomalies = await anomaliesSeenAt(deps.batch.db, ctx.runAt);
        const newIds = new Set(anomalies.filter((a) => a.firstSeen.getTime() === ctx.runAt.getTime()).map((a) => a.id));
        const figures = {
          rolesAdded: stored<RoleTotals>(ctx.jobContext, 'roles')?.rolesAdded ?? 0,
          rolesRemoved: stored<RoleTotals>(ctx.jobContext, 'roles')?.rolesRemoved ?? 0,
          orphansMoved: stored<DocumentTotals>(ctx.jobContext, 'documents')?.orphansMoved ?? 0,
          notificationsSent: stored<RetryTotals>(ctx.jobContext, 'notifications')?.sent ?? 0,
          notificationsFailed: stored<RetryTotals>(ctx.jobContext, 'notifications')?.failed ?? 0,
        };
        const doc = anomalyReportDocument({ runAt: ctx.runAt, timeZone: deps.timeZone, generatedAt: new Date(), logo: logoOf(deps.logoFile), anomalies, newIds, figures });
        const fileName = anomalyReportFileName(ctx.runAt, deps.timeZone);
        ctx.checkLease();
        const written = await writeReportAtomically(doc, deps.reportsDir, fileName);
        report = { fileName, path: written.path, sizeBytes: written.sizeBytes, pages: written.pages };
        await savePhase(ctx, 'report', report as unknown as JsonObject);
        deps.boundary?.('report-written');
      }
      ctx.jobContext.set('report', report as unknown as Json);
      if (!saved.mailed) {
        await mailReport(ctx, report);
        deps.boundary?.('report-mailed');
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
      attachments: [{ filename: report.fileName, content: await readFile(report.path), contentType: 'application/pdf' }],
      messageId: `<anomaly-report.${createHash('sha256').update(`${ctx.jobName}\n${ctx.runAt.toISOString()}`).digest('hex').slice(0, 24)}@batch-service>`,
    });
  }

  return {
    name: DATA_CONSISTENCY_JOB,
    description: 'Nightly cross-database consistency checks with safe corrections, orphan files, notification retries and an anomaly report',
    steps: [
      step('verifyUserEnrollmentConsistencyStep', 'users', (ctx) => checkUserEnrollments(ctx, checkDeps)),
      step('verifyEnrollmentDefenseConsistencyStep', 'defenses', (ctx) => checkEnrollmentDefenses(ctx, checkDeps)),
      step('verifyUserRolesStep', 'roles', (ctx) => syncRoles(ctx, checkDeps)),
      step('checkOrphanedDocumentsStep', 'documents', (ctx) => checkDocuments(ctx, checkDeps)),
      step('retryPendingNotificationsStep', 'notifications', (ctx) => retryPendingNotifications(ctx, { ...checkDeps, techAdmins: deps.techAdmins })),
      generateReport,
    ],
    // 5.16. The anomaly figures come from the rows this run's `runAt` saw: exact whatever was
    // restarted. A dry run recorded none: its figures are the steps' own, and what it would change.
    metrics: async (_steps, jobContext, execution): Promise<JsonObject> => {
      const users = stored<CheckTotals>(jobContext, 'users');
      const defenses = stored<CheckTotals>(jobContext, 'defenses');
      const roles = stored<RoleTotals>(jobContext, 'roles');
      const documents = stored<DocumentTotals>(jobContext, 'documents');
      const notifications = stored<RetryTotals>(jobContext, 'notifications');
      const common = {
        rolesAdded: roles?.rolesAdded ?? 0,
        rolesRemoved: roles?.rolesRemoved ?? 0,
        orphansMoved: documents?.orphansMoved ?? 0,
        notificationsRetried: notifications?.retried ?? 0,
        notificationsSent: notifications?.sent ?? 0,
        notificationsFailed: notifications?.failed ?? 0,
      };
      if (execution.dryRun) {
        const found = (users?.anomalies ?? 0) + (defenses?.anomalies ?? 0) + (documents?.missing ?? 0);
        // Nothing recorded, corrected or sent: what was found, and what would change.
        return {
          totalAnomalies: found,
          manualRequired: documents?.missing ?? 0,
          wouldChange: {
            inscriptions: users?.wouldChange ?? NOTHING,
            soutenances: defenses?.wouldChange ?? NOTHING,
            roles: roles?.wouldChange ?? NOTHING,
            orphans: documents?.orphans ?? NOTHING,
            notifications: notifications?.wouldChange ?? NOTHING,
          },
        };
      }
      const ranAt = stored<string>(jobContext, 'runAt');
      if (ranAt === undefined) return { totalAnomalies: 0, newAnomalies: 0, autoCorrected: 0, manualRequired: 0, ...common };
      const runAt = new Date(ranAt);
      const seen = await anomaliesSeenAt(deps.batch.db, runAt);
      return {
        totalAnomalies: seen.length,
        newAnomalies: seen.filter((a) => a.firstSeen.getTime() === runAt.getTime()).length,
        autoCorrected: seen.filter((a) => a.action === 'AUTO_CORRIGÉE').length,
        manualRequired: seen.filter((a) => a.action === 'INTERVENTION_REQUISE').length,
        ...common,
      };
    },
    dryRunWords: {
      totalAnomalies: 'found {n} anomalies (none recorded)',
      manualRequired: 'would report {n} of them for a person to fix',
    },
  };
}

function tasklet(name: string, key: string, run: (ctx: Parameters<TaskletStep['run']>[0]) => Promise<JsonObject>): TaskletStep {
  return {
    kind: 'tasklet',
    name,
    run: async (ctx) => {
      ctx.jobContext.set('runAt', ctx.runAt.toISOString());
      ctx.jobContext.set(key, (await run(ctx)) as Json);
    },
  };
}

function newAnomaliesOf(jobContext: ExecutionContext): number {
  return ['users', 'defenses', 'documents'].reduce((sum, key) => sum + Number((jobContext.get(key) as { newAnomalies?: number } | undefined)?.newAnomalies ?? 0), 0);
}
