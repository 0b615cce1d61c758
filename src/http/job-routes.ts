/** Jobs (6.2, 6.3, 6.7) and their schedules: what runs, when it runs next, how it went. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { App } from '../app.js';
import type { JobExecutionSummary } from '../engine/types.js';
import { schedules } from '../jobs/registry.js';
import { principalOf } from './authentication.js';
import { jobStats } from './job-stats.js';
import { cachedNextFireTime } from '../cron/quartz-cron.js';
import { ProblemSchema } from './problem.js';
import { OPTIONAL_BODY } from './openapi.js';
import { refuseLaunchWhileDown } from './launch-guard.js';
import { launchRateLimit } from './rate-limit.js';
import { bodyErrors, commonErrors, JobNameParams, JobView, LaunchedExecution, launchedView, RunRequest, ScheduleView, secured, StatsView, summaryView } from './schemas.js';

const tags = ['jobs'];

export function jobRoutes(app: Pick<App, 'audit' | 'config' | 'databases' | 'executions' | 'health' | 'logger' | 'operator'>): FastifyPluginAsyncTypebox {
  return async (server) => {
    const cronOf = new Map(schedules(app.config).map((s) => [s.jobName, s.cron]));
    const fireTimes = cachedNextFireTime(app.config.timeZone);
    const next = (cron: string | undefined) => (cron === undefined ? null : (fireTimes(cron)?.toISOString() ?? null));

    const jobViews = (lastOf: ReadonlyMap<string, JobExecutionSummary>): Static<typeof JobView>[] =>
      app.operator.jobNames().map((name) => {
        // One run per job: a running execution is always the job's newest.
        const last = lastOf.get(name);
        const running = last?.status === 'STARTED' || last?.status === 'STOPPING' ? last : undefined;
        const cron = cronOf.get(name);
        return {
          name,
          description: app.operator.job(name).description,
          cron: cron ?? null,
          timeZone: app.config.timeZone,
          nextFireTime: next(cron),
          running: running !== undefined,
          runningExecutionId: running?.id ?? null,
          // The newest execution of a job: nothing newer can have restarted it.
          lastExecution: last ? summaryView(last, null) : null,
          unavailable: app.operator.job(name).unavailable?.() ?? null,
        };
      });

    // The list changes only when an execution changes (anywhere: the repository's
    // version counts every change, by any process) or a schedule fires. Between two such
    // events every request gets the same bytes, so they are built and serialized once;
    // a request costs the version read (bench/api measures the difference).
    let built: { readonly version: number; readonly until: number; readonly json: string } | undefined;

    server.get(
      '/jobs',
      { schema: { ...secured, tags, summary: 'Every job: description, schedule, next fire time, last execution, running or not', response: { 200: Type.Array(JobView), ...commonErrors } } },
      async (_request, reply) => {
        const version = await app.executions.executionsVersion();
        if (built?.version !== version || Date.now() >= built.until) {
          const views = jobViews(await app.executions.lastExecutions());
          const fires = views.flatMap((v) => (v.nextFireTime === null ? [] : [Date.parse(v.nextFireTime)]));
          // A minute at most: whether a job can run (an archive key file fixed) changes no execution.
          built = { version, until: Math.min(Date.now() + 60_000, ...fires), json: reply.serialize(views) as string };
        }
        // A string with a JSON content type is sent as it is: serialized once, above, by this route's schema.
        return reply.type('application/json; charset=utf-8').send(built.json as never);
      },
    );

    server.get(
      '/jobs/schedules',
      { schema: { ...secured, tags, summary: 'Cron schedules with their next fire times', response: { 200: Type.Array(ScheduleView), ...commonErrors } } },
      async () => schedules(app.config).map((s) => ({ jobName: s.jobName, cron: s.cron, timeZone: app.config.timeZone, nextFireTime: next(s.cron) })),
    );

    server.get(
      '/jobs/stats',
      { schema: { ...secured, tags, summary: 'Totals, success rate, per-job counts and mean duration', response: { 200: StatsView, ...commonErrors } } },
      async () => jobStats(app.databases.batch.db, app.operator.jobNames()),
    );

    server.post(
      '/jobs/:jobName/run',
      {
        config: launchRateLimit(app.config),
        // The body is optional (6.2), and Fastify validates an absent body as one that must be an object.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          ...secured,
          [OPTIONAL_BODY]: true,
          tags,
          summary: 'Launch a job now; answers at once, the run goes on in the background',
          description: 'Without parameters each launch is a new instance. Same identifying parameters as a FAILED or STOPPED instance restart it; as a COMPLETED one: 409.',
          params: JobNameParams,
          body: RunRequest,
          response: { 202: LaunchedExecution, ...commonErrors, ...bodyErrors, 404: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { jobName } = request.params;
        const parameters = request.body.parameters ?? {};
        const dryRun = request.body.dryRun ?? false;
        await refuseLaunchWhileDown(app.health);
        const { execution, done } = await app.operator.start(jobName, { parameters, dryRun, trigger: 'MANUAL', triggeredBy: principal.subject });
        done.catch((error: unknown) => app.logger.error({ err: error, job: jobName, execution: execution.id }, 'manual run failed'));
        await app.audit.append({
          action: 'JOB_RUN',
          actor: principal.subject,
          clientAddress: request.ip,
          target: `${jobName}#${execution.id}`,
          details: { parameters, dryRun },
        });
        return reply.code(202).header('location', `/api/batch/jobs/executions/${execution.id}`).send(launchedView(execution));
      },
    );
  };
}
