/** batchdb, the service's own database; created by db/migrations. */
import type { Generated } from 'kysely';

export interface BatchDb extends OutboxTables {
  batch_job_instance: {
    id: Generated<number>;
    job_name: string;
    job_key: string;
    identifying_parameters: string;
    created_at: string;
    /** The newest execution; launches compare-and-set it (migration 0008). */
    current_execution_id: number | null;
  };
  batch_job_execution: {
    id: Generated<number>;
    job_instance_id: number;
    job_name: string;
    status: string;
    exit_code: string;
    exit_message: string | null;
    parameters: string;
    execution_context: string;
    metrics: string;
    dry_run: number;
    trigger_type: string;
    triggered_by: string | null;
    restart_of: number | null;
    created_at: string;
    start_time: string | null;
    end_time: string | null;
    last_updated: string;
    heartbeat_at: string;
    /** The job name while the execution runs, NULL after: unique, so one run per job. */
    running_job: string | null;
    host: string;
    /** Drawn at launch, known to the running process only: every run-protocol write matches it (migration 0008). */
    owner: string | null;
    /** Set when the retention purged this execution's steps, skips and history and kept its row (migration 0016). */
    details_purged_at: string | null;
    /** The running process's MariaDB connection ids per database, JSON, with each heartbeat; ended when the run is abandoned (migration 0018). */
    sessions: string | null;
    /** When its JOB_EXECUTION_END audit entry was appended, in that entry's transaction (migration 0019). */
    end_audited_at: string | null;
  };
  /**
   * Per job and final status, the real executions ever ended and the newest one's end,
   * updated in the transaction that records each end; never purged (migration 0016).
   */
  batch_job_summary: {
    job_name: string;
    status: string;
    executions: number;
    last_execution_id: number | null;
    last_end_time: string | null;
    last_duration_ms: number | null;
    /** JSON object: the newest execution's job metrics. */
    last_metrics: string | null;
  };
  /** Per job, the last `run.id` drawn for a new instance; never purged (migration 0016). */
  batch_job_run_sequence: {
    job_name: string;
    last_run_id: number;
  };
  /** One row (id 1); triggers bump `version` on every change of batch_job_execution (migration 0006). */
  batch_job_execution_version: {
    id: number;
    version: number;
  };
  /** One row per archived inscription (migration 0010). */
  inscription_archive: ArchiveTable;
  /** One row per archived defense (migration 0010). */
  defense_archive: ArchiveTable;
  /** What dataConsistencyJob found, one open row per (type, entity, entity id) (migration 0011). */
  consistency_anomaly: {
    id: Generated<number>;
    type: string;
    entity: string;
    entity_id: number;
    /** JSON object. */
    details: string;
    action: string;
    first_seen: string;
    last_seen: string;
    resolved_at: string | null;
    /** `type:entity:entity_id` while open, NULL once resolved (unique). */
    open_key: string | null;
    job_execution_id: number | null;
  };
  /** The figures of each month the monthly report was generated for, one row a month (migration 0014). */
  report_snapshot: {
    month: string;
    /** The shape of `figures` (report-snapshot.ts). */
    version: number;
    /** JSON object. */
    figures: string;
    computed_at: string;
    job_execution_id: number | null;
    /** `rapport_YYYY_MM.pdf` once that month's own report was written; null when computed only as another report's previous month. */
    report_file: string | null;
  };
  /** Launch rate-limit counters, one fixed window per route and user (migration 0009). */
  rate_limit_window: {
    window_key: string;
    window_start_ms: number;
    hits: number;
  };
  /** One row (id 1) the health check rewrites: batchdb takes writes (migration 0007). */
  batch_health_probe: {
    id: number;
    probed_at: string;
    probed_by: string;
  };
  batch_step_execution: {
    id: Generated<number>;
    job_execution_id: number;
    step_name: string;
    status: string;
    exit_code: string;
    exit_message: string | null;
    read_count: number;
    write_count: number;
    /** A dry run's would-writes; its write_count stays 0 (migration 0013). */
    would_write_count: number;
    filter_count: number;
    read_skip_count: number;
    process_skip_count: number;
    write_skip_count: number;
    commit_count: number;
    rollback_count: number;
    /** What the step expected to read in all, NULL without an estimate (migration 0012). */
    estimated_total: number | null;
    execution_context: string;
    start_time: string;
    end_time: string | null;
    last_updated: string;
  };
  batch_step_skip: {
    id: Generated<number>;
    job_execution_id: number;
    step_execution_id: number;
    step_name: string;
    phase: string;
    item: string;
    reason: string;
    created_at: string;
    skip_key: string | null;
  };
  job_execution_history: {
    id: Generated<number>;
    job_name: string;
    execution_id: number;
    status: string;
    trigger_type: string;
    triggered_by: string | null;
    start_time: string;
    end_time: string | null;
    duration_ms: number | null;
    read_count: number;
    write_count: number;
    /** A dry run's would-writes; its write_count stays 0 (migration 0013). */
    would_write_count: number;
    skip_count: number;
    error_message: string | null;
    metrics: string;
  };
  /** Append-only (triggers refuse UPDATE and DELETE); see migrations/0004-audit-log.ts. */
  audit_log: {
    id: Generated<number>;
    occurred_at: string;
    action: string;
    actor: string | null;
    client_address: string | null;
    target: string | null;
    details: string;
    prev_hash: string;
    hash: string;
  };
}

export interface OutboxTables {
  event_outbox: {
    id: Generated<number>;
    event_id: string;
    event_type: string;
    topic: string;
    message_key: string;
    payload: string;
    status: string;
    attempts: number;
    last_error: string | null;
    created_at: string;
    delivered_at: string | null;
  };
  event_relay_lease: { name: string; owner: string; expires_at: string };
  mail_outbox: {
    id: Generated<number>;
    message_id: string;
    kind: string;
    recipients: string;
    subject: string;
    body: string;
    status: string;
    attempts: number;
    last_error: string | null;
    claimed_by: string | null;
    claimed_until: string | null;
    created_at: string;
    sent_at: string | null;
  };
  alerte_duree_envoyee: {
    id: Generated<number>;
    doctorant_id: number;
    inscription_id: number;
    type_alerte: string;
    date_envoi: string;
    duree_jours: number;
    job_execution_id: number | null;
  };
}

export interface ArchiveTable {
  id: Generated<number>;
  original_id: number;
  /** The full original row, as JSON; `{}` once shredded (erased). */
  original_row: string;
  archive_path: string;
  size_bytes: number;
  sha256: string;
  documents_count: number;
  /** The documents' total size: what deleting the originals frees. */
  documents_bytes: number;
  key_id: string;
  archived_at: string;
  job_execution_id: number | null;
  /** Set once flagged and the originals deleted; null: a saga to finish. */
  completed_at: string | null;
  shredded_at: string | null;
}
