/**
 * monthlyReportJob (requirements 3.1–3.11): the school's month in one French PDF, mailed
 * to the administrators on the 1st at 09:00. Six tasklet steps: four collect the figures
 * of the month and of the month before (aggregate SQL) into the job context, so a restart
 * at the PDF or the mailing does not query again; one lays the PDF out and saves it
 * atomically; one mails it to each admin once and publishes the report event.
 */
import type { Logger } from 'pino';
import type { Databases } from '../../db/databases.js';
import { addMonths } from '../../doctorate/calendar.js';
import type { ExecutionContext } from '../../engine/execution-context.js';
import type { JobDefinition, Json, StepRunContext, TaskletStep } from '../../engine/types.js';
import type { Mailer } from '../../mail/mailer.js';
import { defenseStats } from './defense-stats.js';
import { enrollmentStats } from './enrollment-stats.js';
import { notificationStats } from './notification-stats.js';
import { reportAlerts, type ReportAlerts } from './report-alerts.js';
import { reportDocument, type MonthFigures } from './report-document.js';
import { logoOf, writeReportAtomically } from '../../pdf/report-file.js';
import { mailReport, type MailingState } from './report-mailing.js';
import { defaultMonth, parseMonth, reportPeriod, type ReportPeriod } from './report-period.js';
import { userStats } from './user-stats.js';

export const MONTHLY_REPORT_JOB = 'monthlyReportJob';

export interface MonthlyReportDeps extends Databases {
  readonly mailer: Mailer;
  readonly reportsDir: string;
  readonly timeZone: string;
  readonly topic: string;
  /** The duration bands' warning window, as the alert job's (DUREE_ALERT_WARNING_MONTHS). */
  readonly warningMonths: number;
  /** TECH_ADMIN_EMAILS: told once when a report mail fails again on restart. */
  readonly techAdmins: readonly string[];
  /** An SVG or PNG file; the project's own logo when absent. */
  readonly logoFile?: string;
  readonly logger: Logger;
}

interface GeneratedReport {
  readonly fileName: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly pages: number;
  readonly generationMs: number;
}

/** The month the run reports: `month`, or the month before `runAt` in the zone. */
function periodOf(ctx: StepRunContext, timeZone: string): { current: ReportPeriod; previous: ReportPeriod } {
  const month = ctx.parameters.month?.value ?? defaultMonth(ctx.runAt, timeZone);
  return { current: reportPeriod(month, timeZone), previous: reportPeriod(addMonths(`${month}-01`, -1).slice(0, 7), timeZone) };
}

const stored = <T>(jobContext: ExecutionContext, key: string) => jobContext.get(key) as unknown as T;

export function monthlyReportJob(deps: MonthlyReportDeps): JobDefinition {
  const collect = (name: string, key: keyof MonthFigures, figures: (period: ReportPeriod, ctx: StepRunContext) => Promise<object>): TaskletStep => ({
    kind: 'tasklet',
    name,
    run: async (ctx) => {
      const { current, previous } = periodOf(ctx, deps.timeZone);
      const [now, before] = await Promise.all([figures(current, ctx), figures(previous, ctx)]);
      ctx.jobContext.set(key, { current: now, previous: before } as unknown as Json);
      ctx.count({ read: 1, write: 1 });
    },
  });

  const generatePdf: TaskletStep = {
    kind: 'tasklet',
    name: 'generatePdfStep',
    run: async (ctx) => {
      const started = performance.now();
      const { current } = periodOf(ctx, deps.timeZone);
      const month = (key: keyof MonthFigures) => stored<{ current: never; previous: never }>(ctx.jobContext, key);
      const figures = (which: 'current' | 'previous'): MonthFigures => ({
        enrollment: month('enrollment')[which],
        defense: month('defense')[which],
        notification: month('notification')[which],
        user: month('user')[which],
      });
      const doc = reportDocument({
        period: current,
        current: figures('current'),
        previous: figures('previous'),
        alerts: stored<ReportAlerts>(ctx.jobContext, 'alerts'),
        logo: logoOf(deps.logoFile),
        generatedAt: new Date(),
        timeZone: deps.timeZone,
      });
      // A dry run produces its PDF under another name: the reports API never lists it, nobody is mailed.
      const fileName = ctx.dryRun ? current.fileName.replace(/\.pdf$/, '.simulation.pdf') : current.fileName;
      ctx.checkLease();
      const written = await writeReportAtomically(doc, deps.reportsDir, fileName);
      const report: GeneratedReport = { fileName, path: written.path, sizeBytes: written.sizeBytes, pages: written.pages, generationMs: Math.round(performance.now() - started) };
      ctx.jobContext.set('report', report as unknown as Json);
      ctx.count({ read: 1, write: 1 });
    },
  };

  const sendReport: TaskletStep = {
    kind: 'tasklet',
    name: 'sendReportStep',
    run: async (ctx) => {
      const report = stored<GeneratedReport>(ctx.jobContext, 'report');
      await mailReport(ctx, deps, { period: periodOf(ctx, deps.timeZone).current, path: report.path, sizeBytes: report.sizeBytes, fileName: report.fileName });
    },
  };

  return {
    name: MONTHLY_REPORT_JOB,
    description: 'The monthly PDF report of the doctoral school, mailed to the administrators',
    validateParameters: (parameters) => {
      if (parameters.month) parseMonth(parameters.month.value);
    },
    steps: [
      collect('collectEnrollmentStatsStep', 'enrollment', (period) => enrollmentStats(deps.inscription, deps.user, period, deps.warningMonths)),
      collect('collectDefenseStatsStep', 'defense', (period) => defenseStats(deps.defense, period)),
      collect('collectNotificationStatsStep', 'notification', (period, ctx) => notificationStats(deps.notification, period, ctx.runAt)),
      {
        kind: 'tasklet',
        name: 'collectUserStatsStep',
        run: async (ctx) => {
          const { current, previous } = periodOf(ctx, deps.timeZone);
          const [now, before, alerts] = await Promise.all([userStats(deps.user, current), userStats(deps.user, previous), reportAlerts(deps.batch, current)]);
          ctx.jobContext.set('user', { current: now, previous: before } as unknown as Json);
          ctx.jobContext.set('alerts', alerts as unknown as Json);
          ctx.count({ read: 1, write: 1 });
        },
      },
      generatePdf,
      sendReport,
    ],
    // 3.11: what was produced and who received it; the mailing's figures from the step's saved state, which a failed attempt keeps too.
    metrics: (steps, jobContext, execution) => {
      const report = stored<GeneratedReport | undefined>(jobContext, 'report');
      const mailing = steps.get('sendReportStep')?.context as Partial<MailingState> | undefined;
      const pdf = { pdfSizeBytes: report?.sizeBytes ?? 0, pdfPages: report?.pages ?? 0, generationMs: report?.generationMs ?? 0 };
      const recipients = mailing?.recipients?.length ?? 0;
      // A dry run writes its PDF under a name of its own (`….simulation.pdf`) and mails nobody.
      if (execution.dryRun) return { ...pdf, recipients };
      return { ...pdf, recipients, mailsSent: mailing?.sent?.length ?? 0, mailsFailed: mailing?.failed?.length ?? 0 };
    },
    dryRunWords: {
      pdfSizeBytes: 'wrote a simulation report of {n} bytes (….simulation.pdf), not the real one',
      pdfPages: 'the simulation report has {n} pages',
      generationMs: 'generated in {n} ms',
      recipients: 'would mail the report to {n} administrators',
    },
  };
}
