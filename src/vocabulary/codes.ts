/**
 * Every code the service shows a person, as `as const` lists: the back end types its
 * values from these lists (BatchStatus, AuditAction, AnomalyType, …), and the French
 * vocabulary (words-fr.ts) types its label maps as `Record<Code, string>`, so a code
 * added here without a label is a compile error. The API and the logs keep the codes.
 *
 * No Node import here or in the other modules of this folder: the console bundle
 * (admin/) imports them as well as the server (PDFs, mails, CLI).
 */

export const BATCH_STATUSES = ['STARTED', 'STOPPING', 'STOPPED', 'COMPLETED', 'FAILED'] as const;
export type BatchStatusCode = (typeof BATCH_STATUSES)[number];

export const TRIGGER_TYPES = ['SCHEDULED', 'MANUAL', 'CLI'] as const;
export type TriggerCode = (typeof TRIGGER_TYPES)[number];

/** Exit codes of executions and steps (EXECUTING while running; NOOP: a step whose condition was not met). */
export const EXIT_CODES = ['EXECUTING', 'COMPLETED', 'STOPPED', 'FAILED', 'NOOP', 'ABANDONED', 'LEASE_LOST', 'UNRECORDED', 'UNKNOWN'] as const;
export type ExitCode = (typeof EXIT_CODES)[number];

export const JOB_NAMES = ['tokenCleanupJob', 'dureeDoctoratAlertJob', 'monthlyReportJob', 'archiveJob', 'dataConsistencyJob'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** Each job's steps, one line a job, in the order they run. */
export const STEP_NAMES = [
  ...['cleanupRefreshTokensStep', 'cleanupPasswordResetTokensStep', 'purgeBatchHistoryStep'],
  ...['check3YearThresholdStep', 'check6YearThresholdStep', 'checkExceeded6YearStep'],
  ...['collectUserStatsStep', 'collectEnrollmentStatsStep', 'collectDefenseStatsStep', 'collectNotificationStatsStep', 'generatePdfStep', 'sendReportStep'],
  ...['archiveEnrollmentsStep', 'archiveDefensesStep', 'cleanupLogsStep', 'optimizeDatabaseStep'],
  ...['verifyUserEnrollmentConsistencyStep', 'verifyEnrollmentDefenseConsistencyStep', 'verifyUserRolesStep', 'checkOrphanedDocumentsStep', 'retryPendingNotificationsStep', 'generateAnomalyReportStep'],
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** The figures a job records with an execution (its `metrics`). */
export const FIGURE_NAMES = [
  // tokenCleanupJob
  'refreshTokensDeleted',
  'passwordResetTokensDeleted',
  'totalDeleted',
  'executionsDeleted',
  'executionsTrimmed',
  'outboxEventsDeleted',
  'outboxMailsDeleted',
  'rateLimitWindowsDeleted',
  // dureeDoctoratAlertJob
  'alertes3Ans',
  'alertes6Ans',
  'alertesDepassement',
  'totalAlertes',
  'inscriptionsSuspendues',
  // monthlyReportJob
  'pdfSizeBytes',
  'pdfPages',
  'generationMs',
  'recipients',
  'mailsSent',
  'mailsFailed',
  // archiveJob
  'enrollmentsArchived',
  'defensesArchived',
  'documentsArchived',
  'bytesFreed',
  'archiveBytes',
  'logsDeleted',
  'notificationsDeleted',
  'recordsSkipped',
  // dataConsistencyJob
  'totalAnomalies',
  'newAnomalies',
  'openAutoCorrected',
  'manualRequired',
  'autoCorrected',
  'inscriptionsSuspended',
  'soutenancesBlocked',
  'usersChanged',
  'rolesAdded',
  'rolesRemoved',
  'orphansMoved',
  'notificationsRetried',
  'notificationsSent',
  'notificationsFailed',
  'wouldChange',
  // every job's dry run
  'dryRun',
] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

/** The health components (/actuator/health) and the keys of their details. */
export const HEALTH_COMPONENTS = ['batchDb', 'userDb', 'inscriptionDb', 'defenseDb', 'notificationDb', 'diskSpace', 'mail', 'eventBroker', 'contract'] as const;
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

export const HEALTH_STATUSES = ['UP', 'DOWN', 'OUT_OF_SERVICE', 'UNKNOWN'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const HEALTH_DETAIL_KEYS = [
  'database',
  'url',
  'probe',
  'latencyMs',
  'error',
  'threshold',
  'paths',
  'transport',
  'directory',
  'server',
  'mode',
  'brokers',
  'topic',
  'broker',
  'lastError',
  'lastDeliveryAt',
  'pending',
  'delivered',
  'failed',
  'checked',
  'missing',
] as const;
export type HealthDetailKey = (typeof HEALTH_DETAIL_KEYS)[number];

/** The eventBroker component's `mode`: `outbox` without KAFKA_BROKERS, `kafka` with it. */
export const EVENT_BROKER_MODES = ['outbox', 'kafka'] as const;
export type EventBrokerMode = (typeof EVENT_BROKER_MODES)[number];

export const AUDIT_ACTIONS = [
  'JOB_RUN',
  'JOB_STOP',
  'JOB_RESTART',
  'JOB_EXECUTION_END',
  'REPORT_DOWNLOAD',
  'REPORT_RESEND',
  'ARCHIVE_ACCESS',
  'ARCHIVE_CREATE',
  'ARCHIVE_SHRED',
  'ROLE_ADD',
  'ROLE_REMOVE',
] as const;
export type AuditActionCode = (typeof AUDIT_ACTIONS)[number];

/** The keys of the audit entries' details, whichever action wrote them. */
export const AUDIT_DETAIL_KEYS = [
  'parameters',
  'dryRun',
  'restartOf',
  'status',
  'exitCode',
  'exitMessage',
  'trigger',
  'read',
  'written',
  'wouldWrite',
  'skipped',
  'size',
  'sizeBytes',
  'month',
  'sent',
  'failed',
  'operation',
  'record',
  'purpose',
  'documents',
  'checked',
  'bad',
  'rewrapped',
  'keyId',
  'archive',
  'jobExecutionId',
  'shreddedAt',
  'again',
  'fileMissing',
  'erased',
  'role',
  'rule',
] as const;
export type AuditDetailKey = (typeof AUDIT_DETAIL_KEYS)[number];

/** ARCHIVE_ACCESS's `operation`. */
export const ARCHIVE_OPERATIONS = ['read', 'download', 'restore', 'verify', 'rewrap'] as const;
export type ArchiveOperation = (typeof ARCHIVE_OPERATIONS)[number];

export const ANOMALY_TYPES = ['UTILISATEUR_INEXISTANT', 'INSCRIPTION_INVALIDE', 'FICHIER_MANQUANT', 'PREMIERE_INSCRIPTION_DIVERGENTE'] as const;
export type AnomalyTypeCode = (typeof ANOMALY_TYPES)[number];

export const ANOMALY_ACTIONS = ['AUTO_CORRIGÉE', 'INTERVENTION_REQUISE'] as const;
export type AnomalyActionCode = (typeof ANOMALY_ACTIONS)[number];

export const ANOMALY_STATUSES = ['open', 'resolved'] as const;
export type AnomalyStatusCode = (typeof ANOMALY_STATUSES)[number];

/** What an anomaly's id is of. */
export const ANOMALY_ENTITIES = ['inscription', 'soutenance', 'document', 'soutenance_document', 'doctorant'] as const;
export type AnomalyEntity = (typeof ANOMALY_ENTITIES)[number];

/** The keys of the anomalies' details. */
export const ANOMALY_DETAIL_KEYS = ['doctorantId', 'inscriptionId', 'soutenanceId', 'statut', 'archived', 'correction', 'inscriptionStatut', 'chemin', 'datesPremiereInscription', 'dateRetenue'] as const;
export type AnomalyDetailKey = (typeof ANOMALY_DETAIL_KEYS)[number];

/** The statuses of inscriptions and soutenances that anomalies' details name. */
export const RECORD_STATUSES = ['EN_ATTENTE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU', 'ARCHIVÉ', 'DEMANDEE', 'AUTORISEE', 'PLANIFIEE', 'SOUTENUE', 'REJETEE', 'BLOQUEE'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];
