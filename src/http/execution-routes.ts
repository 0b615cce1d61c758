/** Executions (6.4–6.6): list, inspect, stop, restart; across jobs and their skipped items for the console (issue 14). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { App } from '../app.js';
import { JobExecutionNotFoundError } from '../engine/errors.js';
import { principalOf } from './authentication.js';
import { ProblemSchema } from './problem.js';
import { refuseLaunchWhileDown } from './launch-guard.js';
import { launchRateLimit } from './rate-limit.js';
import { bodyErrors, commonErrors, detailView, ExecutionDetail, ExecutionIdParams, ExecutionPage, executionsQuery, JobNameParams, LaunchedExecution, launchedView, PageQuery, secured, SkipPage, skipView, StoppingExecution, summaryView } from './schemas.js';

const tags = ['executions'];

export function executionRoutes(app: Pick<App, 'audit' | 'config' | 'executions' | 'health' | 'logger' | 'operator' | 'repository'>): FastifyPluginAsyncTypebox {
  return async (server) => {
    server.get(
      '/jobs/:jobName/executions',
      {
        schema: {
          ...secured,
          tags,
          summary: 'Executions of a job, newest first, with the total',
          params: JobNameParams,
          querystring: PageQuery,
          response: { 200: ExecutionPage, ...commonErrors, 404: ProblemSchema },
        },
      },
      async (request) => {
        const { jobName } = request.params;
        const { page, size } = request.query;
        app.operator.job(jobName);
        const result = await app.executions.listExecutions(jobName, page, size);
        const superseding = await app.executions.supersedingOf(result.items.map((e) => e.id));
        return { page, size, total: result.total, items: result.items.map((e) => summaryView(e, superseding.get(e.id) ?? null)) };
      },
    );

    server.get(
      '/jobs/executions',
      {
        schema: {
          ...secured,
          tags,
          summary: 'Executions of every job, newest first, with the total; filter by job and status',
          querystring: executionsQuery(app.operator.jobNames()),
          response: { 200: ExecutionPage, ...commonErrors },
        },
      },
      async (request) => {
        const { job, status, page, size } = request.query;
        const result = await app.executions.findExecutions({ jobName: job, status }, page, size);
        const superseding = await app.executions.supersedingOf(result.items.map((e) => e.id));
        return { page, size, total: result.total, items: result.items.map((e) => summaryView(e, superseding.get(e.id) ?? null)) };
      },
    );

    server.get(
      '/jobs/executions/:executionId/skips',
      {
        schema: {
          ...secured,
          tags,
          summary: 'Items an execution skipped, in the order skipped, with the total: step, phase, item, reason',
          params: ExecutionIdParams,
          querystring: PageQuery,
          response: { 200: SkipPage, ...commonErrors, 404: ProblemSchema },
        },
      },
      async (request) => {
        const { executionId } = request.params;
        const { page, size } = request.query;
        if (!(await app.repository.getExecution(executionId))) throw new JobExecutionNotFoundError(executionId);
        const result = await app.executions.listSkips(executionId, page, size);
        return { page, size, total: result.total, items: result.items.map(skipView) };
      },
    );

    server.get(
      '/jobs/executions/:executionId',
      {
        schema: {
          ...secured,
          tags,
          summary: 'One execution: parameters, status, times, exit message, per-step counts, job metrics',
          params: ExecutionIdParams,
          response: { 200: ExecutionDetail, ...commonErrors, 404: ProblemSchema },
        },
      },
      async (request) => {
        const { executionId } = request.params;
        const execution = await app.repository.getExecution(executionId);
        if (!execution) throw new JobExecutionNotFoundError(executionId);
        const [steps, superseding] = await Promise.all([app.repository.stepExecutions(executionId), app.executions.supersedingOf([executionId])]);
        return detailView(execution, steps, superseding.get(executionId) ?? null);
      },
    );

    server.post(
      '/jobs/executions/:executionId/stop',
      {
        schema: {
          ...secured,
          tags,
          summary: 'Ask a running execution to stop at its next chunk boundary; it ends STOPPED',
          params: ExecutionIdParams,
          response: { 202: StoppingExecution, ...commonErrors, ...bodyErrors, 404: ProblemSchema, 409: ProblemSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const execution = await app.operator.stop(request.params.executionId);
        await app.audit.append({
          action: 'JOB_STOP',
          actor: principal.subject,
          clientAddress: request.ip,
          target: `${execution.jobName}#${execution.id}`,
        });
        return reply.code(202).send({ executionId: execution.id, jobName: execution.jobName, status: execution.status });
      },
    );

    server.post(
      '/jobs/executions/:executionId/restart',
      {
        config: launchRateLimit(app.config),
        schema: {
          ...secured,
          tags,
          summary: 'Restart a FAILED or STOPPED execution where it stopped, as a new execution',
          params: ExecutionIdParams,
          response: { 202: LaunchedExecution, ...commonErrors, ...bodyErrors, 404: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        await refuseLaunchWhileDown(app.health);
        const { execution, done } = await app.operator.restart(request.params.executionId, { trigger: 'MANUAL', triggeredBy: principal.subject });
        done.catch((error: unknown) => app.logger.error({ err: error, job: execution.jobName, execution: execution.id }, 'restarted run failed'));
        await app.audit.append({
          action: 'JOB_RESTART',
          actor: principal.subject,
          clientAddress: request.ip,
          target: `${execution.jobName}#${execution.id}`,
          details: { restartOf: request.params.executionId, parameters: launchedView(execution).parameters },
        });
        return reply.code(202).header('location', `/api/batch/jobs/executions/${execution.id}`).send(launchedView(execution));
      },
    );
  };
}

