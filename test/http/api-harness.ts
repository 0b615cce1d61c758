/**
 * The admin API over real HTTP on real databases, with jobs of the test's choosing
 * registered with the operator (a gated job stays running until the test lets it go).
 */
import { createBatchMetrics } from '../../src/observability/metrics.js';
import path from 'node:path';
import { SignJWT, type JWTPayload } from 'jose';
import type { FastifyInstance } from 'fastify';
import type { App } from '../../src/app.js';
import type { Env } from '../../src/config.js';
import type { Dialect } from '../../src/db/connect.js';
import type { JobDefinition } from '../../src/engine/types.js';
import { ExecutionReadModel } from '../../src/engine/execution-read-model.js';
import { executionHistoryListener } from '../../src/history/execution-history.js';
import { buildServer } from '../../src/http/server.js';
import { createJobs } from '../../src/jobs/registry.js';
import { MailOutbox } from '../../src/notifications/mail-outbox.js';
import { createMailer } from '../../src/mail/mailer.js';
import { databaseIndicators } from '../../src/observability/database-health.js';
import { HealthRegistry } from '../../src/observability/health.js';
import { silentLogger } from '../../src/observability/logger.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import { EndAudit } from '../../src/security/audit-listener.js';
import { operatorFor } from '../engine/harness.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';

export const SECRET = 'test-secret-of-at-least-thirty-two-bytes!';

export interface Api {
  readonly base: string;
  readonly env: TestEnvironment;
  readonly app: App;
  readonly server: FastifyInstance;
  /** An HS256 token signed with SECRET; `claims` replace the defaults (sub alice, roles [ROLE_ADMIN], 1 h). */
  token(claims?: JWTPayload): Promise<string>;
  /** fetch with an admin token of `sub` (alice by default). */
  call(path: string, init?: RequestInit & { sub?: string }): Promise<Response>;
  close(): Promise<void>;
}

export interface ApiOptions {
  readonly env?: Env;
  /** Jobs of the operator; default: the service's own (createJobs). */
  readonly jobs?: (env: TestEnvironment) => Promise<readonly JobDefinition[]> | readonly JobDefinition[];
}

export async function startApi(dialect: Dialect, options: ApiOptions = {}): Promise<Api> {
  const env = await createTestEnvironment(dialect, { JWT_SECRET: SECRET, ...options.env });
  try {
    const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir: path.join(env.dataDir, 'mail') }, silentLogger);
    const audit = new AuditLog(env.databases.batch.db);
    const jobs = options.jobs ? await options.jobs(env) : createJobs(env.config, env.databases, { mailer, logger: silentLogger, audit });
    const endAudit = new EndAudit(env.databases.batch.db, audit, new JobRepository(env.databases.batch.db));
    const operator = operatorFor(env.databases, jobs, {
      listeners: [executionHistoryListener(env.databases.batch.db), endAudit.listener()],
      timeZone: env.config.timeZone,
    });
    const app: App = {
      config: env.config,
      logger: silentLogger,
      databases: env.databases,
      repository: operator.repository,
      executions: new ExecutionReadModel(env.databases.batch.db),
      operator,
      audit,
      endAudit,
      mailer,
      mailOutbox: new MailOutbox(env.databases.batch.db, mailer, silentLogger, { owner: 'api-test' }),
      health: new HealthRegistry(databaseIndicators(env.databases), 2_000),
      metrics: createBatchMetrics(),
      close: async () => undefined,
    };
    const server = await buildServer(app);
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    const token = (claims: JWTPayload = {}) =>
      new SignJWT({ sub: 'alice', roles: ['ROLE_ADMIN'], ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : '1h')
        .sign(new TextEncoder().encode(SECRET));
    return {
      base,
      env,
      app,
      server,
      token,
      async call(path, init = {}) {
        const { sub, ...rest } = init;
        const headers = new Headers(rest.headers);
        headers.set('authorization', `Bearer ${await token({ sub: sub ?? 'alice' })}`);
        if (typeof rest.body === 'string') headers.set('content-type', 'application/json');
        return fetch(`${base}${path}`, { ...rest, headers });
      },
      async close() {
        await server.close();
        await operator.stopAll();
        await env.cleanup();
      },
    };
  } catch (error) {
    await env.cleanup();
    throw error;
  }
}

/** A promise the test resolves: a job step waits on it, so the run stays STARTED until then. */
export function gate(): { readonly wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Polls an execution until it has ended (the run goes on in the background after 202). */
export async function awaitEnd(api: Api, executionId: number): Promise<{ status: string } & Record<string, unknown>> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await api.call(`/api/batch/jobs/executions/${executionId}`);
    const body = (await response.json()) as { status: string } & Record<string, unknown>;
    if (!['STARTED', 'STOPPING'].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`execution ${executionId} did not end`);
}
