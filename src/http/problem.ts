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
import { databaseFailureOf } from '../db/errors.js';
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
  constructor(
    readonly statusCode: number,
    detail: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
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
  if (error instanceof HttpProblem) return { status: error.statusCode, detail: error.message, ...(error.headers ? { headers: error.headers } : {}) };
  const database = databaseFailureOf(error);
  if (database?.unavailable) {
    return { status: 503, detail: `${database.database} is unavailable (${database.cause}); nothing was changed, retry once it is back (GET /actuator/health shows it)`, headers: { 'retry-after': '30' } };
  }
  // A driver's message may quote SQL: only the database and the code go out, the rest to the log.
  if (database) return { status: 500, detail: `internal error in ${database.database} (${database.cause.split(':')[0]}); the service log has the details` };
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (fastifyError.validation) return { status: 400, detail: `invalid request: ${validationDetail(fastifyError)}` };
  const framework = fastifyError.code === undefined ? undefined : FRAMEWORK_DETAILS[fastifyError.code];
  if (framework) return { status: framework.status, detail: framework.detail };
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, detail: fastifyError.message ?? STATUS_CODES[status] ?? 'client error' };
  // Never a stack trace or a driver message to the client: they go to the log.
  return { status: 500, detail: 'internal error; the service log has the details' };
}

/** Ajv says an enum value is not "one of the allowed values" without naming them: the client needs them to correct the request. */
function validationDetail(error: Partial<FastifyError>): string {
  const first = error.validation?.[0];
  const allowed = first?.keyword === 'enum' ? (first.params as { allowedValues?: readonly unknown[] }).allowedValues : undefined;
  if (first && allowed) return `${error.validationContext ?? 'request'}${first.instancePath} must be one of ${allowed.join(', ')}`;
  return error.message ?? 'schema validation failed';
}

/** Fastify's own refusals, in words that say what to change. */
const FRAMEWORK_DETAILS: Readonly<Record<string, { readonly status: number; readonly detail: string }>> = {
  FST_ERR_BAD_URL: { status: 400, detail: 'the path is not valid: a %-escape does not decode to UTF-8 text' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, detail: 'a path segment is longer than the API accepts (100 characters)' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: 'the body is larger than the API accepts (1 MiB)' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, detail: 'the body must be application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, detail: 'the body is empty but its content type says JSON' },
};

/**
 * The raw HTTP response for an error of the HTTP parser, which comes before Fastify has a
 * request to answer (clientErrorHandler): a header block over 16 KiB is 431, the rest 400.
 */
export function clientErrorResponse(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const [status, detail] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request line and headers are larger than the API accepts (16 KiB)']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not received in time']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
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
