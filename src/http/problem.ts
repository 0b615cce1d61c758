/**
 * Every error of the API as `application/problem+json` (RFC 9457): the engine's typed
 * errors, authentication, validation and rate limiting each get their status and a
 * detail that says what to do.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import {
  JobAlreadyRunningError,
  JobExecutionNotFoundError,
  JobInstanceAlreadyCompleteError,
  JobNotFoundError,
  JobParametersInvalidError,
  JobRestartError,
} from '../engine/errors.js';
import { AccessDeniedError, AuthenticationError } from '../security/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'always about:blank: the status says what kind of problem it is' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'what happened and what to do' }),
    instance: Type.Optional(Type.String({ description: 'the request path' })),
  },
  { $id: 'Problem', additionalProperties: true, examples: [{ type: 'about:blank', title: 'Conflict', status: 409, detail: 'tokenCleanupJob is already running (execution 12); wait for it to end or stop it first', instance: '/api/batch/jobs/tokenCleanupJob/run' }] },
);

export interface Problem {
  readonly status: number;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A 4xx the route decides itself (bad report name, no such report). */
export class HttpProblem extends Error {
  constructor(readonly statusCode: number, detail: string) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function problemOf(error: unknown): Problem {
  if (error instanceof AuthenticationError) {
    return { status: 401, detail: error.message, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
  }
  if (error instanceof AccessDeniedError) return { status: 403, detail: error.message };
  if (error instanceof JobNotFoundError || error instanceof JobExecutionNotFoundError) return { status: 404, detail: error.message };
  if (error instanceof JobAlreadyRunningError || error instanceof JobInstanceAlreadyCompleteError || error instanceof JobRestartError) {
    return { status: 409, detail: error.message };
  }
  if (error instanceof JobParametersInvalidError) return { status: 400, detail: error.message };
  if (error instanceof HttpProblem) return { status: error.statusCode, detail: error.message };
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (fastifyError.validation) return { status: 400, detail: `invalid request: ${fastifyError.message ?? 'schema validation failed'}` };
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, detail: fastifyError.message ?? STATUS_CODES[status] ?? 'client error' };
  // Never a stack trace or a driver message to the client: they go to the log.
  return { status: 500, detail: 'internal error; the service log has the details' };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .headers(problem.headers ?? {})
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      type: 'about:blank',
      title: STATUS_CODES[problem.status] ?? 'Error',
      status: problem.status,
      detail: problem.detail,
      instance: reply.request.url.split('?')[0],
    });
}
