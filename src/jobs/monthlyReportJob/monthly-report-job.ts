/**
 * monthlyReportJob (requirements 3.1–3.11): the school's month in one French PDF, mailed
 * to the administrators on the 1st at 09:00. Six tasklet steps: four collect the figures
 * of the month and of the month before into the job context, so a restart at the PDF or
 * the mailing does not query again; one stores the figures (report-snapshot.ts), lays
 * the PDF out and saves it atomically; one mails it to each admin once and publishes the
 * report event.
 *
 * A month's figures come from its snapshot when one is stored (a re-generation shows
 * what was published), unless `recompute=true`; otherwise they are computed, as of the
 * month's last day, and stored with the report. The month before is read the same way
 * (and stored when missing), so the changes compare with what was published for it.
 */
import type { Logger } from 'pino';
import type { Databases } from '../../db/databases.js';
import { addMonths } from '../../doctorate/calendar.js';
import { JobParametersInvalidError } from '../../engine/errors.js';
import { contextKey, type ContextKey, type ExecutionContext } from '../../engine/execution-context.js';
import type { JobDefinition, JobParameters, Json, JsonObject, StepRunContext, TaskletStep } from '../../engine/types.js';
import type { Mailer } from '../../mail/mailer.js';
import { logoOf, writeReportAtomically } from '../../pdf/report-file.js';
import { defenseStats } from './defense-stats.js';
import { enrollmentStats } from './enrollment-stats.js';
import { notificationStats } from './notification-stats.js';
import { reportAlerts } from './report-alerts.js';
import { reportDocument } from './report-document.js';
import { mailReport, type MailingState } from './report-mailing.js';
import { parseRunAt } from '../../engine/job-parameters.js';
import { defaultMonth, FIRST_REPORTABLE_MONTH, LAST_REPORTABLE_MONTH, parseMonth, reportPeriod, type ReportPeriod } from './report-period.js';
import { loadSnapshots, saveSnapshot, type MonthFigures } from './report-snapshot.js';
import { userStats } from './user-stats.js';

export const MONTHLY_REPORT_JOB = 'monthlyReportJob';

/** Doctorants examined a page while counting the active ones (bounded memory, three queries a page). */
export const ACTIVE_DOCTORANT_PAGE_SIZE = 500;

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
  readonly pageSize?: number;
  readonly logger: Logger;
}

interface GeneratedReport extends JsonObject {
  readonly fileName: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly pages: number;
  readonly generationMs: number;
}

/** One month's figures as this run collects them, category by category (one per step). */
interface CollectedMonth extends JsonObject {
  readonly month: string;
  /** Taken whole from the month's stored snapshot: nothing to compute or store again. */
  readonly fromSnapshot: boolean;
  /** ISO instant the figures were computed (the snapshot's, when taken from it). */
  readonly computedAt: string;
  readonly figures: Partial<Record<keyof MonthFigures, Json>>;
}

type Which = 'current' | 'previous';

/** What the steps hand on: the two months' figures as collected, then the report file. */
const MONTHS: Readonly<Record<Which, ContextKey<CollectedMonth>>> = { current: contextKey<CollectedMonth>('current'), previous: contextKey<CollectedMonth>('previous') };
const REPORT = contextKey<GeneratedReport>('report');

/** The month the run reports: `month`, or the month before `runAt` in the zone. */
function periodsOf(ctx: StepRunContext, timeZone: string): Record<Which, ReportPeriod> {
  const month = ctx.parameters.month?.value ?? defaultMonth(ctx.runAt, timeZone);
  return { current: reportPeriod(month, timeZone), previous: reportPeriod(addMonths(`${month}-01`, -1).slice(0, 7), timeZone) };
}

/** `recompute=true`: compute the month's figures again and replace its snapshot. */
function recomputeOf(parameters: JobParameters): boolean {
  const value = parameters.recompute?.value;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new JobParametersInvalidError(`recompute=${JSON.stringify(value.slice(0, 40))} is not accepted; expected true (compute the month's figures again and replace its snapshot) or false`);
}

/** What an earlier step stored in the job context, or a clear failure (a context from before this version, say). */
function fromContext<T>(jobContext: ExecutionContext, key: ContextKey<T>): T {
  const value = jobContext.read(key);
  if (value === undefined) throw new Error(`monthlyReportJob: "${key.name}" is missing from the job context; launch a new run for this month`);
  return value;
}

function complete(collected: CollectedMonth): MonthFigures {
  const keys: readonly (keyof MonthFigures)[] = ['enrollment', 'defense', 'notification', 'user', 'alerts'];
  const missing = keys.filter((key) => collected.figures[key] === undefined);
  if (missing.length > 0) throw new Error(`monthlyReportJob: the figures of ${collected.month} lack ${missing.join(', ')}; launch a new run for this month`);
  return collected.figures as unknown as MonthFigures;
}

export function monthlyReportJob(deps: MonthlyReportDeps): JobDefinition {
  const pageSize = deps.pageSize ?? ACTIVE_DOCTORANT_PAGE_SIZE;
  const compute: Record<keyof MonthFigures, (period: ReportPeriod) => Promise<object>> = {
    enrollment: (period) => enrollmentStats(deps, period, deps.warningMonths, pageSize),
    defense: (period) => defenseStats(deps.defense, period),
    notification: (period) => notificationStats(deps.notification, period),
    user: (period) => userStats(deps.user, period),
    alerts: (period) => reportAlerts(deps.batch, period),
  };

  /** The month as collected so far; the first step to run decides whether its snapshot serves. */
  async function collectedMonth(ctx: StepRunContext, which: Which, period: ReportPeriod): Promise<CollectedMonth> {
    const known = ctx.jobContext.read(MONTHS[which]);
    if (known) return known;
    const snapshot = which === 'current' && recomputeOf(ctx.parameters) ? undefined : (await loadSnapshots(deps.batch, [period.month])).get(period.month);
    return snapshot
      ? { month: period.month, fromSnapshot: true, computedAt: snapshot.computedAt.toISOString(), figures: snapshot.figures as unknown as CollectedMonth['figures'] }
      : { month: period.month, fromSnapshot: false, computedAt: new Date().toISOString(), figures: {} };
  }

  const collect = (name: string, keys: readonly (keyof MonthFigures)[]): TaskletStep => ({
    kind: 'tasklet',
    name,
    run: async (ctx) => {
      const periods = periodsOf(ctx, deps.timeZone);
      await Promise.all(
        (['current', 'previous'] as const).map(async (which) => {
          const month = await collectedMonth(ctx, which, periods[which]);
          if (month.fromSnapshot) {
            ctx.jobContext.write(MONTHS[which], month);
            return;
          }
          const computed = await Promise.all(keys.map(async (key) => [key, (await compute[key](periods[which])) as Json] as const));
          ctx.jobContext.write(MONTHS[which], { ...month, figures: { ...month.figures, ...Object.fromEntries(computed) } });
        }),
      );
      ctx.count({ read: 1, write: 1 });
    },
  });

  const generatePdf: TaskletStep = {
    kind: 'tasklet',
    name: 'generatePdfStep',
    run: async (ctx) => {
      const started = performance.now();
      const { current: period } = periodsOf(ctx, deps.timeZone);
      const current = fromContext(ctx.jobContext, MONTHS.current);
      const previous = fromContext(ctx.jobContext, MONTHS.previous);
      // A dry run produces its PDF under another name: the reports API never lists it, nobody is mailed.
      const fileName = ctx.dryRun ? period.fileName.replace(/\.pdf$/, '.simulation.pdf') : period.fileName;
      if (!ctx.dryRun) {
        // Stored before the file: a report on disk always has its figures kept; a replay stores the same.
        ctx.checkLease();
        if (!previous.fromSnapshot) {
          await saveSnapshot(deps.batch, { month: previous.month, figures: complete(previous), computedAt: new Date(previous.computedAt), jobExecutionId: ctx.jobExecutionId, reportFile: null, replace: false });
        }
        await saveSnapshot(deps.batch, {
          month: current.month,
          figures: complete(current),
          computedAt: new Date(current.computedAt),
          jobExecutionId: ctx.jobExecutionId,
          reportFile: fileName,
          replace: recomputeOf(ctx.parameters),
        });
      }
      const doc = reportDocument({
        period,
        current: complete(current),
        previous: complete(previous),
        computedAt: new Date(current.computedAt),
        fromSnapshot: current.fromSnapshot,
        logo: logoOf(deps.logoFile),
        generatedAt: new Date(),
        timeZone: deps.timeZone,
      });
      ctx.checkLease();
      const written = await writeReportAtomically(doc, deps.reportsDir, fileName);
      const report: GeneratedReport = { fileName, path: written.path, sizeBytes: written.sizeBytes, pages: written.pages, generationMs: Math.round(performance.now() - started) };
      ctx.jobContext.write(REPORT, report);
      ctx.count({ read: 1, write: 1 });
    },
  };

  const sendReport: TaskletStep = {
    kind: 'tasklet',
    name: 'sendReportStep',
    run: async (ctx) => {
      const report = fromContext(ctx.jobContext, REPORT);
      await mailReport(ctx, deps, { period: periodsOf(ctx, deps.timeZone).current, path: report.path, sizeBytes: report.sizeBytes, fileName: report.fileName });
    },
  };

  return {
    name: MONTHLY_REPORT_JOB,
    description: 'The monthly PDF report of the doctoral school, mailed to the administrators',
    validateParameters: (parameters) => {
      // The month the run will report, as it will compute it: a default month out of range
      // (runAt in January 1970) is refused at launch too.
      if (parameters.month) parseMonth(parameters.month.value);
      else if (parameters.runAt) {
        const month = defaultMonth(parseRunAt(parameters.runAt.value), deps.timeZone);
        if (month < FIRST_REPORTABLE_MONTH || month > LAST_REPORTABLE_MONTH) {
          throw new JobParametersInvalidError(
            `runAt=${parameters.runAt.value} would report ${month} (the month before it), outside the months a report can cover, ${FIRST_REPORTABLE_MONTH} to ${LAST_REPORTABLE_MONTH}; give month=YYYY-MM`,
          );
        }
      }
      recomputeOf(parameters);
    },
    steps: [
      collect('collectEnrollmentStatsStep', ['enrollment']),
      collect('collectDefenseStatsStep', ['defense']),
      collect('collectNotificationStatsStep', ['notification']),
      collect('collectUserStatsStep', ['user', 'alerts']),
      generatePdf,
      sendReport,
    ],
    // 3.11: what was produced and who received it; the mailing's figures from the step's saved state, which a failed attempt keeps too.
    metrics: (steps, jobContext, execution) => {
      const report = jobContext.read(REPORT);
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
