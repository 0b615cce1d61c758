/**
 * The API's shapes as TypeBox schemas: one definition gives request validation, the
 * handlers' TypeScript types, response serialization and the OpenAPI document.
 */
import type { FastifySchema } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';
import { executionJson, executionSummaryJson } from '../engine/execution-json.js';
import { MAX_PARAMETER_VALUE_LENGTH, MAX_PARAMETERS, PARAMETER_KEY_PATTERN } from '../engine/job-parameters.js';
import type { RecordedSkip } from '../engine/execution-read-model.js';
import type { BatchStatus, JobExecution, JobExecutionSummary, StepExecution } from '../engine/types.js';
import { ANOMALY_ACTIONS, ANOMALY_TYPES } from '../anomalies/anomaly-store.js';
import { ANOMALY_STATUSES } from '../anomalies/anomaly-json.js';
import { ProblemSchema } from './problem.js';

/**
 * `T | null` as OpenAPI 3.0 writes it, `nullable: true`, not `anyOf: [T, null]`: for an
 * anyOf, fast-json-stringify picks the branch by validating the value against each one
 * with ajv (date-time formats included) on every response; `nullable` is one null check.
 */
const Nullable = <T extends TSchema>(schema: T) => Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
const Instant = Type.String({ format: 'date-time', examples: ['2026-11-28T02:00:00.000Z'] });

/** Highest page number a list accepts: 100 entries a page, so 100 million entries deep. */
export const MAX_PAGE = 1_000_000;

export const JobNameParams = Type.Object({ jobName: Type.String({ maxLength: 100, examples: ['tokenCleanupJob'] }) });
export const ExecutionIdParams = Type.Object({
  executionId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'decimal digits only', examples: [12] }),
});
export const PageQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 0, maximum: MAX_PAGE, default: 0, description: `page number, from 0 to ${MAX_PAGE}; decimal digits only` }),
    size: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'entries per page, 1 to 100; decimal digits only' }),
  },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

export const RunRequest = Type.Object(
  {
    parameters: Type.Optional(
      Type.Record(Type.String({ pattern: PARAMETER_KEY_PATTERN }), Type.String({ maxLength: MAX_PARAMETER_VALUE_LENGTH }), {
        maxProperties: MAX_PARAMETERS,
        description:
          `identifying job parameters, strings only, at most ${MAX_PARAMETERS}, names matching ${PARAMETER_KEY_PATTERN}; ` +
          'runAt is the reference instant, an ISO-8601 instant with its zone (2026-11-28T02:00:00Z), a real calendar date from 1970 to 9999',
      }),
    ),
    dryRun: Type.Optional(Type.Boolean({ description: 'read and process, change nothing (a JSON boolean: 1 or "true" are refused)' })),
  },
  { additionalProperties: false, examples: [{ parameters: { runAt: '2026-11-28T02:00:00Z' }, dryRun: true }] },
);
export type RunRequest = Static<typeof RunRequest>;

export const LaunchedExecution = Type.Object({
  executionId: Type.Integer(),
  jobName: Type.String(),
  status: Type.String({ examples: ['STARTED'] }),
  startTime: Nullable(Instant),
  parameters: Type.Record(Type.String(), Type.String()),
  dryRun: Type.Boolean(),
  restartOf: Nullable(Type.Integer()),
});

export const StoppingExecution = Type.Object({
  executionId: Type.Integer(),
  jobName: Type.String(),
  status: Type.String({ examples: ['STOPPING'] }),
});

const StepView = Type.Object({
  name: Type.String(),
  status: Type.String(),
  exitCode: Type.String(),
  exitMessage: Nullable(Type.String()),
  read: Type.Integer(),
  write: Type.Integer({ description: 'items written; always 0 in a dry run' }),
  wouldWrite: Type.Integer({ description: 'what a dry run would have written; always 0 in a real run' }),
  filter: Type.Integer(),
  skip: Type.Integer(),
  readSkip: Type.Integer(),
  processSkip: Type.Integer(),
  writeSkip: Type.Integer(),
  commit: Type.Integer(),
  rollback: Type.Integer(),
  durationMs: Nullable(Type.Integer()),
  estimatedTotal: Nullable(Type.Integer({ description: 'items the step expected to read in all, for a progress bar against `read`; null without an estimate' })),
});

const executionFields = {
  id: Type.Integer(),
  jobName: Type.String(),
  status: Type.String({ examples: ['COMPLETED'] }),
  exitCode: Type.String(),
  exitMessage: Nullable(Type.String()),
  parameters: Type.Record(Type.String(), Type.String()),
  dryRun: Type.Boolean(),
  trigger: Type.String({ examples: ['MANUAL'] }),
  triggeredBy: Nullable(Type.String()),
  restartOf: Nullable(Type.Integer()),
  supersededBy: Nullable(Type.Integer({ description: 'the execution that restarted this one (act on that one: this one no longer restarts); null when none did' })),
  startTime: Nullable(Instant),
  endTime: Nullable(Instant),
  durationMs: Nullable(Type.Integer()),
};

export const ExecutionSummary = Type.Object(executionFields);
export const ExecutionDetail = Type.Object({
  ...executionFields,
  metrics: Type.Record(Type.String(), Type.Unknown(), {
    description: 'job-specific metrics; a dry run\'s are nested under `dryRun` (what it would have done), never beside real figures',
    examples: [{ totalDeleted: 1234 }, { dryRun: { totalDeleted: 1234 } }],
  }),
  steps: Type.Array(StepView),
});

export const ExecutionPage = Type.Object({
  page: Type.Integer(),
  size: Type.Integer(),
  total: Type.Integer(),
  items: Type.Array(ExecutionSummary),
});

/** Every BatchStatus: a Record, so the compiler refuses this list once the engine adds one. */
const BATCH_STATUS_SET: Readonly<Record<BatchStatus, true>> = { STARTED: true, STOPPING: true, STOPPED: true, COMPLETED: true, FAILED: true };
export const BATCH_STATUSES = Object.keys(BATCH_STATUS_SET) as BatchStatus[];

/**
 * The filters of the list across jobs. The job names are an enum, as the statuses are: a
 * value the API cannot match is a mistake in the request (400 naming the accepted values,
 * like the anomalies' filters), not a resource that does not exist.
 */
export function executionsQuery(jobNames: readonly string[]) {
  return Type.Object(
    {
      job: Type.Optional(Type.Enum([...jobNames], { description: 'one job; every job when absent' })),
      status: Type.Optional(Type.Enum(BATCH_STATUSES, { description: 'one status; every status when absent' })),
      ...PageQuery.properties,
    },
    { additionalProperties: false },
  );
}

export const SkipView = Type.Object({
  stepName: Type.String(),
  phase: Type.Enum(['READ', 'PROCESS', 'WRITE']),
  item: Type.Unknown({
    description: 'the item as the step recorded it (JSON); when that text was cut at 4000 characters, the cut text as a string, and itemTruncated is true',
    examples: [{ id: 42 }],
  }),
  itemTruncated: Type.Boolean(),
  reason: Type.String({ description: 'the error that made the item skipped', examples: ['date de première inscription manquante'] }),
  recordedAt: Instant,
});

export const SkipPage = Type.Object({
  page: Type.Integer(),
  size: Type.Integer(),
  total: Type.Integer(),
  items: Type.Array(SkipView),
});

export const JobView = Type.Object({
  name: Type.String(),
  description: Type.String(),
  cron: Nullable(Type.String({ examples: ['0 0 2 * * ?'] })),
  timeZone: Type.String({ examples: ['Europe/Paris'] }),
  nextFireTime: Nullable(Instant),
  running: Type.Boolean(),
  runningExecutionId: Nullable(Type.Integer()),
  lastExecution: Nullable(ExecutionSummary),
  unavailable: Nullable(Type.String({ description: 'why the job cannot run now (archiveJob without an archive key); null when it can' })),
});

export const ScheduleView = Type.Object({
  jobName: Type.String(),
  cron: Type.String(),
  timeZone: Type.String(),
  nextFireTime: Nullable(Instant),
});

export const JobStatsView = Type.Object({
  jobName: Type.String(),
  executions: Type.Integer(),
  byStatus: Type.Record(Type.String(), Type.Integer()),
  successRate: Nullable(Type.Number({ description: 'COMPLETED among ended executions, 0..1' })),
  meanDurationMs: Nullable(Type.Number()),
});

export const StatsView = Type.Object({
  totalExecutions: Type.Integer(),
  byStatus: Type.Record(Type.String(), Type.Integer(), { examples: [{ COMPLETED: 40, FAILED: 2 }] }),
  successRate: Nullable(Type.Number()),
  jobs: Type.Array(JobStatsView),
});

export const ReportView = Type.Object({
  name: Type.String({ examples: ['rapport_2026_10.pdf'] }),
  kind: Type.String({ examples: ['monthly', 'anomalies'] }),
  period: Type.String({ examples: ['2026-10'] }),
  size: Type.Integer(),
  createdAt: Instant,
  downloadPath: Type.String({ examples: ['/api/batch/reports/rapport_2026_10.pdf/download'] }),
});

export const ReportFileParams = Type.Object({ fileName: Type.String({ examples: ['rapport_2026_10.pdf'] }) });

export const AuditEntryView = Type.Object({
  id: Type.Integer(),
  occurredAt: Instant,
  action: Type.String({ examples: ['JOB_RUN'] }),
  actor: Nullable(Type.String()),
  clientAddress: Nullable(Type.String()),
  target: Nullable(Type.String()),
  details: Type.Unknown(),
  prevHash: Type.String(),
  hash: Type.String(),
});

export const AuditPage = Type.Object({
  page: Type.Integer(),
  size: Type.Integer(),
  total: Type.Integer(),
  items: Type.Array(AuditEntryView),
});

/** AuditLog.verify()'s verdict as it is: brokenAt and reason only when the chain is broken. */
export const AuditVerdictView = Type.Object({
  intact: Type.Boolean(),
  entries: Type.Integer({ description: 'entries verified (when broken: those before brokenAt)' }),
  brokenAt: Type.Optional(Type.Integer({ description: 'id of the first entry that does not hold' })),
  reason: Type.Optional(Type.String({ examples: ['entry 12 was altered: its content no longer matches its hash'] })),
});

export const AnomalyQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(ANOMALY_STATUSES, { description: 'open or resolved; both when absent' })),
    type: Type.Optional(Type.Enum(ANOMALY_TYPES, { description: 'one kind of anomaly; all when absent' })),
    ...PageQuery.properties,
  },
  { additionalProperties: false },
);

export const AnomalyView = Type.Object({
  id: Type.Integer(),
  type: Type.Enum(ANOMALY_TYPES),
  entity: Type.String({ description: 'the table entityId is from', examples: ['inscription'] }),
  entityId: Type.Integer(),
  details: Type.Record(Type.String(), Type.Unknown(), { examples: [{ doctorantId: 42 }] }),
  action: Type.Enum(ANOMALY_ACTIONS),
  firstSeen: Instant,
  lastSeen: Instant,
  resolvedAt: Nullable(Instant),
  status: Type.Enum(ANOMALY_STATUSES),
  jobExecutionId: Nullable(Type.Integer({ description: 'the run that first saw it' })),
});

export const AnomalyPage = Type.Object({
  page: Type.Integer(),
  size: Type.Integer(),
  total: Type.Integer(),
  items: Type.Array(AnomalyView),
});

/**
 * Error responses every API route may give (500 a bug, 503 a database unavailable);
 * routes add 404, 409, 429 where they apply, and bodyErrors when they take a body.
 */
export const commonErrors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 500: ProblemSchema, 503: ProblemSchema } as const;
export const bodyErrors = { 413: ProblemSchema, 415: ProblemSchema } as const;

/** Marks a route as an admin API route in the OpenAPI document. */
export const secured = { security: [{ bearerAuth: [] }] };

/** Spring Boot's health document; `details` only for an admin. */
export const HealthView = Type.Object(
  {
    status: Type.String({ examples: ['UP'] }),
    components: Type.Optional(
      Type.Record(Type.String(), Type.Object({ status: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }), {
        examples: [{ batchDb: { status: 'UP' } }],
      }),
    ),
  },
  { additionalProperties: true },
);

/** The schema of a public actuator route: no token needed, in the OpenAPI document as such. */
export function actuatorSchema(summary: string, ok: object, more: Readonly<Record<number, TSchema>> = {}): FastifySchema {
  return { tags: ['actuator'], summary, security: [], response: { 200: ok, ...more } };
}

/** `supersededBy`: the execution that restarted this one (ExecutionReadModel.supersedingOf), null when none did. */
export function summaryView(execution: JobExecutionSummary, supersededBy: number | null = null): Static<typeof ExecutionSummary> {
  return { ...executionSummaryJson(execution), supersededBy };
}

export function detailView(execution: JobExecution, steps: readonly StepExecution[], supersededBy: number | null): Static<typeof ExecutionDetail> {
  return { ...executionJson(execution, steps), supersededBy };
}

export function skipView(skip: RecordedSkip): Static<typeof SkipView> {
  return { stepName: skip.stepName, phase: skip.phase, ...recordedItem(skip.item), reason: skip.reason, recordedAt: skip.recordedAt.toISOString() };
}

/** recordSkip keeps the first 4000 characters of the item's JSON: a longer one no longer parses. */
function recordedItem(text: string): { item: unknown; itemTruncated: boolean } {
  try {
    return { item: JSON.parse(text) as unknown, itemTruncated: false };
  } catch {
    return { item: text, itemTruncated: true };
  }
}

export function launchedView(execution: JobExecution): Static<typeof LaunchedExecution> {
  return {
    executionId: execution.id,
    jobName: execution.jobName,
    status: execution.status,
    startTime: execution.startTime?.toISOString() ?? null,
    parameters: Object.fromEntries(Object.entries(execution.parameters).map(([k, p]) => [k, p.value])),
    dryRun: execution.dryRun,
    restartOf: execution.restartOf,
  };
}
