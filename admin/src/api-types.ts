/**
 * The API's answers as the page reads them (src/http/schemas.ts is the source). Fields a
 * newer service adds are optional here: the page shows them when they come.
 */

export interface Page<T> {
  readonly page: number;
  readonly size: number;
  readonly total: number;
  readonly items: readonly T[];
}

export interface ExecutionSummary {
  readonly id: number;
  readonly jobName: string;
  readonly status: string;
  readonly exitCode: string;
  readonly exitMessage: string | null;
  readonly parameters: Readonly<Record<string, string>>;
  readonly dryRun: boolean;
  readonly trigger: string;
  readonly triggeredBy: string | null;
  readonly restartOf: number | null;
  /** The execution that restarted this one (absent from an older service). */
  readonly supersededBy?: number | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly durationMs: number | null;
}

export interface StepView {
  readonly name: string;
  readonly status: string;
  readonly exitCode: string;
  readonly exitMessage: string | null;
  readonly read: number;
  readonly write: number;
  /** What a dry run would have written (its `write` is 0); 0 in a real run. */
  readonly wouldWrite: number;
  readonly filter: number;
  readonly skip: number;
  readonly commit: number;
  readonly rollback: number;
  readonly durationMs: number | null;
  /** Items the step expects to read, when it can tell (null: it cannot). */
  readonly estimatedTotal?: number | null;
}

export interface ExecutionDetail extends ExecutionSummary {
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly steps: readonly StepView[];
}

export interface JobView {
  readonly name: string;
  readonly description: string;
  readonly cron: string | null;
  readonly timeZone: string;
  readonly nextFireTime: string | null;
  readonly running: boolean;
  readonly runningExecutionId: number | null;
  readonly lastExecution: ExecutionSummary | null;
  /** Why the job cannot run now (archiveJob without an archive key); null when it can. */
  readonly unavailable: string | null;
}

export interface LaunchedExecution {
  readonly executionId: number;
  readonly jobName: string;
  readonly status: string;
  readonly restartOf: number | null;
}

export interface SkipView {
  readonly stepName: string;
  readonly phase: string;
  readonly item: unknown;
  readonly itemTruncated?: boolean;
  readonly reason: string;
  readonly recordedAt?: string;
}

export interface ReportView {
  readonly name: string;
  readonly kind: string;
  readonly period: string;
  readonly size: number;
  readonly createdAt: string;
  readonly downloadPath: string;
}

export interface ArchiveView {
  readonly type: string;
  readonly originalId: number;
  readonly archivedAt: string;
  readonly keyId: string;
  readonly sizeBytes: number;
  readonly documents: number;
  readonly shredded: boolean;
  readonly shreddedAt: string | null;
}

export interface AnomalyView {
  readonly id: number;
  readonly type: string;
  readonly entity: string;
  readonly entityId: number;
  readonly details: Readonly<Record<string, unknown>>;
  readonly action: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly resolvedAt: string | null;
  readonly status: string;
  readonly jobExecutionId: number | null;
}

export interface AuditEntry {
  readonly id: number;
  readonly occurredAt: string;
  readonly action: string;
  readonly actor: string | null;
  readonly clientAddress: string | null;
  readonly target: string | null;
  readonly details: unknown;
  readonly hash: string;
}

export interface AuditVerdict {
  readonly intact: boolean;
  readonly entries: number;
  readonly brokenAt?: number;
  readonly reason?: string;
}

export interface HealthDocument {
  readonly status: string;
  readonly components?: Readonly<Record<string, { readonly status: string; readonly details?: Readonly<Record<string, unknown>> }>>;
}
