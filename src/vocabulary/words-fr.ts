/**
 * The service's codes in French, for every surface a person reads: the console (admin/
 * bundles this file), the PDFs and the mails. The API, the CLI's JSON and the logs keep
 * the codes; what a person reads says these words.
 *
 * Each map is a `Record<Code, string>` over a list of codes.ts: a code added there without
 * its label here does not compile (test/vocabulary/words-fr.test.ts checks the same at run
 * time over the exported lists). A code the service does not know (a newer service, an old
 * row) is shown as it is: the `…Label` functions never throw.
 *
 * Labels (one code → a few words):
 *   statusLabel('FAILED')                 « En échec »
 *   exitCodeLabel('ABANDONED')            « Abandonnée (processus perdu) »
 *   triggerLabel('SCHEDULED')             « planifiée »
 *   jobLabel('tokenCleanupJob')           « Nettoyage des jetons expirés »
 *   stepLabel('sendReportStep')           « Envoi du rapport »
 *   figureLabel('refreshTokensDeleted')   « Jetons de rafraîchissement supprimés »
 *   healthComponentLabel('diskSpace')     « Espace disque »
 *   auditActionLabel('JOB_RUN')           « Lancement d’une tâche »
 *   anomalyTypeLabel('INSCRIPTION_INVALIDE')  « Soutenance sans inscription validée »
 *   anomalyActionLabel('AUTO_CORRIGÉE')   « Corrigée automatiquement »
 *   anomalyStatusLabel('open')            « Ouverte »
 *
 * Sentences and label/value lists (never JSON):
 *   exitMessageText(message)              the engine's English exit messages in French
 *   figureValue(name, value)              « 100 Mo » for a size, « 4 minutes » for a duration, « 1 234 » otherwise
 *   figureFacts(metrics)                  [{ label, value }] of an execution's figures
 *   auditDescription(entry, timeZone)     { sentence, facts } of an audit entry
 *   anomalyDescription(anomaly, timeZone) { sentence, facts } of an anomaly
 *   healthFacts(component, details, timeZone)  [{ label, value }] of a health component's details
 */
import {
  type AnomalyActionCode,
  type AnomalyDetailKey,
  type AnomalyEntity,
  type AnomalyStatusCode,
  type AnomalyTypeCode,
  type ArchiveOperation,
  type AuditActionCode,
  type AuditDetailKey,
  type BatchStatusCode,
  type EventBrokerMode,
  type ExitCode,
  type FigureName,
  type HealthComponent,
  type HealthDetailKey,
  type HealthStatus,
  type JobName,
  type RecordStatus,
  type StepName,
  type TriggerCode,
} from './codes.js';
import { countOf, DASH, formatBytes, formatDate, formatDateTime, formatDuration, formatList, formatNumber, formatPeriod } from './format-fr.js';

/** One line of a label/value list. */
export interface Fact {
  readonly label: string;
  readonly value: string;
}

/** What a person reads of an audit entry or an anomaly: one sentence, then its facts. */
export interface Description {
  readonly sentence: string;
  readonly facts: readonly Fact[];
}

function lookup<K extends string>(map: Readonly<Record<K, string>>, code: string): string {
  return Object.prototype.hasOwnProperty.call(map, code) ? map[code as K] : code;
}

// ---------------------------------------------------------------- executions

export const STATUS_LABELS: Readonly<Record<BatchStatusCode, string>> = {
  STARTED: 'En cours',
  STOPPING: 'Arrêt demandé',
  STOPPED: 'Arrêtée',
  COMPLETED: 'Terminée',
  FAILED: 'En échec',
};
export const statusLabel = (code: string) => lookup(STATUS_LABELS, code);

export const TRIGGER_LABELS: Readonly<Record<TriggerCode, string>> = { SCHEDULED: 'planifiée', MANUAL: 'manuelle', CLI: 'ligne de commande' };
export const triggerLabel = (code: string) => lookup(TRIGGER_LABELS, code);

export const EXIT_CODE_LABELS: Readonly<Record<ExitCode, string>> = {
  EXECUTING: 'En cours',
  COMPLETED: 'Terminée',
  STOPPED: 'Arrêtée',
  FAILED: 'En échec',
  NOOP: 'Sans objet (condition non remplie)',
  ABANDONED: 'Abandonnée (processus perdu)',
  LEASE_LOST: 'Interrompue (reprise par un autre processus)',
  UNRECORDED: 'Fin non enregistrée',
  UNKNOWN: 'Inconnue',
};
export const exitCodeLabel = (code: string) => lookup(EXIT_CODE_LABELS, code);

export const JOB_LABELS: Readonly<Record<JobName, string>> = {
  tokenCleanupJob: 'Nettoyage des jetons expirés',
  dureeDoctoratAlertJob: 'Alertes de durée de doctorat',
  monthlyReportJob: 'Rapport mensuel',
  archiveJob: 'Archivage des dossiers clos',
  dataConsistencyJob: 'Contrôle de cohérence des données',
};
export const jobLabel = (name: string) => lookup(JOB_LABELS, name);

export const STEP_LABELS: Readonly<Record<StepName, string>> = {
  cleanupRefreshTokensStep: 'Suppression des jetons de rafraîchissement expirés',
  cleanupPasswordResetTokensStep: 'Suppression des jetons de réinitialisation de mot de passe expirés',
  purgeBatchHistoryStep: 'Purge de l’historique des exécutions',
  check3YearThresholdStep: 'Alertes à 3 ans de thèse',
  check6YearThresholdStep: 'Alertes à l’approche des 6 ans',
  checkExceeded6YearStep: 'Alertes de dépassement des 6 ans',
  collectUserStatsStep: 'Statistiques des utilisateurs',
  collectEnrollmentStatsStep: 'Statistiques des inscriptions',
  collectDefenseStatsStep: 'Statistiques des soutenances',
  collectNotificationStatsStep: 'Statistiques des notifications',
  generatePdfStep: 'Production du PDF',
  sendReportStep: 'Envoi du rapport',
  archiveEnrollmentsStep: 'Archivage des inscriptions',
  archiveDefensesStep: 'Archivage des soutenances',
  cleanupLogsStep: 'Nettoyage des journaux et notifications',
  optimizeDatabaseStep: 'Optimisation des bases',
  verifyUserEnrollmentConsistencyStep: 'Contrôle inscriptions / utilisateurs',
  verifyEnrollmentDefenseConsistencyStep: 'Contrôle soutenances / inscriptions',
  verifyUserRolesStep: 'Contrôle des rôles',
  checkOrphanedDocumentsStep: 'Contrôle des documents',
  retryPendingNotificationsStep: 'Renvoi des notifications en attente',
  generateAnomalyReportStep: 'Rapport d’anomalies',
};
export const stepLabel = (name: string) => lookup(STEP_LABELS, name);

/** How a figure's value reads: a count, a size in bytes, a duration in milliseconds. */
type FigureKind = 'count' | 'bytes' | 'ms' | 'other';

export const FIGURE_LABELS: Readonly<Record<FigureName, string>> = {
  refreshTokensDeleted: 'Jetons de rafraîchissement supprimés',
  passwordResetTokensDeleted: 'Jetons de réinitialisation supprimés',
  totalDeleted: 'Jetons supprimés au total',
  executionsDeleted: 'Exécutions anciennes supprimées',
  executionsTrimmed: 'Exécutions anciennes réduites à leur résumé',
  outboxEventsDeleted: 'Événements livrés supprimés',
  outboxMailsDeleted: 'Courriels d’échec envoyés supprimés',
  rateLimitWindowsDeleted: 'Compteurs de limitation d’accès supprimés',
  alertes3Ans: 'Alertes à 3 ans',
  alertes6Ans: 'Alertes à l’approche des 6 ans',
  alertesDepassement: 'Alertes de dépassement',
  totalAlertes: 'Alertes au total',
  inscriptionsSuspendues: 'Inscriptions suspendues',
  pdfSizeBytes: 'Taille du PDF',
  pdfPages: 'Pages du PDF',
  generationMs: 'Durée de production',
  recipients: 'Destinataires',
  mailsSent: 'Courriels envoyés',
  mailsFailed: 'Courriels en échec',
  enrollmentsArchived: 'Inscriptions archivées',
  defensesArchived: 'Soutenances archivées',
  documentsArchived: 'Documents archivés',
  bytesFreed: 'Espace libéré',
  archiveBytes: 'Taille des archives',
  logsDeleted: 'Journaux supprimés',
  notificationsDeleted: 'Notifications supprimées',
  recordsSkipped: 'Dossiers ignorés',
  totalAnomalies: 'Anomalies constatées',
  newAnomalies: 'Nouvelles anomalies',
  openAutoCorrected: 'Anomalies corrigées automatiquement',
  manualRequired: 'Anomalies demandant une intervention',
  autoCorrected: 'Corrections faites',
  inscriptionsSuspended: 'Inscriptions suspendues',
  soutenancesBlocked: 'Soutenances bloquées',
  usersChanged: 'Utilisateurs dont les rôles ont changé',
  rolesAdded: 'Rôles ajoutés',
  rolesRemoved: 'Rôles retirés',
  orphansMoved: 'Fichiers orphelins déplacés',
  notificationsRetried: 'Notifications renvoyées',
  notificationsSent: 'Notifications envoyées',
  notificationsFailed: 'Notifications en échec',
  wouldChange: 'Ce que la tâche changerait',
  dryRun: 'Simulation',
};
const FIGURE_KINDS: Partial<Readonly<Record<FigureName, FigureKind>>> = {
  pdfSizeBytes: 'bytes',
  bytesFreed: 'bytes',
  archiveBytes: 'bytes',
  generationMs: 'ms',
  wouldChange: 'other',
  dryRun: 'other',
};
export const figureLabel = (name: string) => lookup(FIGURE_LABELS, name);

/** What a dry run of dataConsistencyJob would change (`wouldChange`), per kind: singular, plural. */
const WOULD_CHANGE: Readonly<Record<string, readonly [string, string]>> = {
  inscriptions: ['inscription', 'inscriptions'],
  soutenances: ['soutenance', 'soutenances'],
  roles: ['rôle', 'rôles'],
  orphans: ['fichier orphelin', 'fichiers orphelins'],
  notifications: ['notification', 'notifications'],
};

/** A figure's value as a person reads it: « 100 Mo », « 3 secondes », « 1 234 »; a structure as « label : value » pairs. */
export function figureValue(name: string, value: unknown): string {
  if (name === 'wouldChange' && value !== null && typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([kind, change]) => {
      const count = typeof change === 'number' ? change : Number((change as { count?: unknown } | null)?.count ?? 0);
      const [one, many] = WOULD_CHANGE[kind] ?? [kind, kind];
      return countOf(count, one, many);
    });
    return parts.length === 0 ? 'rien' : formatList(parts);
  }
  const kind = FIGURE_KINDS[name as FigureName] ?? (/Bytes$/.test(name) ? 'bytes' : /Ms$/.test(name) ? 'ms' : 'count');
  if (typeof value === 'number') return kind === 'bytes' ? formatBytes(value) : kind === 'ms' ? formatDuration(value) : formatNumber(value, 1);
  return plainValue(value);
}

/** An execution's figures as a list, in the order the job gives them. */
export function figureFacts(metrics: Readonly<Record<string, unknown>>): Fact[] {
  return Object.entries(metrics).map(([name, value]) => ({ label: figureLabel(name), value: figureValue(name, value) }));
}

const STEP_NAME_PATTERN = '([A-Za-z0-9]+Step)';

/**
 * The engine's exit messages (English in the API and the logs) in French. A message
 * the engine did not write itself (a database's error) is kept as it is, after the
 * French words of what is known about it.
 *
 *   'stopped on request during sendReportStep' → « Arrêtée à la demande pendant l’étape « Envoi du rapport ». »
 */
export function exitMessageText(message: string | null | undefined): string {
  if (message === null || message === undefined || message === '') return '';
  return message
    .split('; ')
    .map((part) => exitPart(part))
    .join(' ');
}

function step(name: string): string {
  return `l’étape « ${stepLabel(name)} »`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?»)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function exitPart(part: string): string {
  let m: RegExpExecArray | null;
  if (part === 'stopped on request') return 'Arrêtée à la demande.';
  if ((m = new RegExp(`^stopped on request (during|before) ${STEP_NAME_PATTERN}$`).exec(part)))
    return `Arrêtée à la demande ${m[1] === 'during' ? 'pendant' : 'avant'} ${step(m[2]!)}.`;
  if (part === 'condition not met') return 'Étape sans objet : sa condition n’était pas remplie.';
  if ((m = new RegExp(`^${STEP_NAME_PATTERN} failed: (.*)$`, 's').exec(part))) return `Échec de ${step(m[1]!)} : ${sentence(m[2] === 'unknown error' ? 'erreur inconnue' : m[2]!)}`;
  // The message is split at '; ': « restart it to resume » comes as a part of its own.
  if ((m = /^abandoned: no heartbeat since (\S+) \(process killed\?\)$/.exec(part)))
    return `Abandonnée : plus de signe de vie de son processus depuis le ${formatDateTime(m[1]!)} (processus arrêté ?).`;
  if ((m = /^stopped: its process died before it could stop \(no heartbeat since (\S+)\)$/.exec(part)))
    return `Arrêtée : son processus a disparu avant de pouvoir s’arrêter (plus de signe de vie depuis le ${formatDateTime(m[1]!)}).`;
  if (part === 'restart it to resume') return 'Relancez-la pour reprendre.';
  if ((m = /^counts of (.+) are a lower bound: chunks committed after the last checkpoint before a crash are not counted$/.exec(part)))
    return `Les comptes de ${formatList(m[1]!.split(', ').map((s) => `« ${stepLabel(s)} »`))} sont des minimums : ce qui a été enregistré après le dernier point de reprise, avant un arrêt brutal, n’y figure pas.`;
  // A tasklet's warning: `stepName: text`.
  if ((m = new RegExp(`^${STEP_NAME_PATTERN}: (.*)$`, 's').exec(part))) return `Avertissement de ${step(m[1]!)} : ${sentence(m[2]!)}`;
  return sentence(part);
}

// ---------------------------------------------------------------- health

export const HEALTH_COMPONENT_LABELS: Readonly<Record<HealthComponent, string>> = {
  batchDb: 'Base batchdb (historique des tâches)',
  userDb: 'Base des utilisateurs',
  inscriptionDb: 'Base des inscriptions',
  defenseDb: 'Base des soutenances',
  notificationDb: 'Base des notifications',
  diskSpace: 'Espace disque',
  mail: 'Courrier',
  eventBroker: 'Événements (Kafka)',
  contract: 'Structure des bases partagées',
};
export const healthComponentLabel = (name: string) => lookup(HEALTH_COMPONENT_LABELS, name);

export const HEALTH_STATUS_LABELS: Readonly<Record<HealthStatus, string>> = { UP: 'En service', DOWN: 'Hors service', OUT_OF_SERVICE: 'Arrêté', UNKNOWN: 'Inconnu' };
export const healthStatusLabel = (code: string) => lookup(HEALTH_STATUS_LABELS, code);

export const HEALTH_DETAIL_LABELS: Readonly<Record<HealthDetailKey, string>> = {
  database: 'Moteur',
  url: 'Adresse',
  probe: 'Vérification',
  latencyMs: 'Temps de réponse',
  error: 'Problème',
  threshold: 'Seuil d’alerte',
  paths: 'Espace libre',
  transport: 'Envoi',
  directory: 'Dossier',
  server: 'Serveur',
  mode: 'Mode',
  brokers: 'Serveurs Kafka',
  topic: 'Sujet',
  broker: 'État du serveur',
  lastError: 'Dernière erreur',
  lastDeliveryAt: 'Dernière livraison',
  pending: 'En attente',
  delivered: 'Livrés',
  failed: 'En échec',
  checked: 'Bases vérifiées',
  missing: 'Éléments manquants',
};

export const EVENT_BROKER_MODE_LABELS: Readonly<Record<EventBrokerMode, string>> = {
  outbox: 'boîte d’envoi seule : aucun serveur Kafka configuré, les événements attendent dans la base',
  kafka: 'envoi à Kafka',
};

const PROBES: Readonly<Record<string, string>> = { read: 'lecture', write: 'écriture' };
const TRANSPORTS: Readonly<Record<string, string>> = { eml: 'fichiers .eml (pas de serveur SMTP)', smtp: 'serveur SMTP' };
const DATABASE_ENGINES: Readonly<Record<string, string>> = { mysql: 'MariaDB', mariadb: 'MariaDB', sqlite: 'SQLite' };

/** The eventBroker's `mode` (« outbox only (KAFKA_BROKERS not set) » or « kafka ») in French. */
export function eventBrokerModeText(mode: string): string {
  if (mode.startsWith('outbox')) return EVENT_BROKER_MODE_LABELS.outbox;
  return lookup(EVENT_BROKER_MODE_LABELS, mode);
}

/** A health component's details as a list: sizes in Mo/Go, free space per folder, dates in words. */
export function healthFacts(component: string, details: Readonly<Record<string, unknown>> | undefined, timeZone?: string): Fact[] {
  const facts: Fact[] = [];
  for (const [key, value] of Object.entries(details ?? {})) {
    const label = lookup(HEALTH_DETAIL_LABELS, key);
    if (value === null || value === undefined) continue;
    switch (key as HealthDetailKey) {
      case 'threshold':
        facts.push({ label, value: typeof value === 'number' ? `alerte sous ${formatBytes(value)} libres` : plainValue(value) });
        break;
      case 'paths':
        for (const [dir, space] of Object.entries((value ?? {}) as Record<string, unknown>)) {
          const s = space as { free?: unknown; total?: unknown };
          facts.push({
            label: `Espace libre dans ${dir}`,
            value: typeof s.free === 'number' && typeof s.total === 'number' ? `${formatBytes(s.free)} sur ${formatBytes(s.total)}` : plainValue(space),
          });
        }
        break;
      case 'latencyMs':
        facts.push({ label, value: typeof value === 'number' ? `${formatNumber(value, 1)} ms` : plainValue(value) });
        break;
      case 'lastDeliveryAt':
        facts.push({ label, value: formatDateTime(String(value), timeZone, 'second') });
        break;
      case 'mode':
        facts.push({ label, value: eventBrokerModeText(String(value)) });
        break;
      case 'probe':
        facts.push({ label, value: lookup(PROBES, String(value)) });
        break;
      case 'transport':
        facts.push({ label, value: lookup(TRANSPORTS, String(value)) });
        break;
      case 'database':
        facts.push({ label, value: lookup(DATABASE_ENGINES, String(value)) });
        break;
      case 'broker':
        facts.push({ label, value: healthStatusLabel(String(value)).toLowerCase() });
        break;
      case 'pending':
      case 'delivered':
      case 'failed':
        facts.push({ label: `Événements ${label.toLowerCase()}`, value: plainValue(value) });
        break;
      case 'checked':
        facts.push({ label, value: Array.isArray(value) ? formatList(value.map((db) => databaseName(String(db)))) : plainValue(value) });
        break;
      case 'missing':
        for (const [db, gap] of Object.entries((value ?? {}) as Record<string, unknown>)) facts.push({ label: `Manque dans ${databaseName(db)}`, value: plainValue(gap) });
        break;
      default:
        facts.push({ label, value: plainValue(value) });
    }
  }
  void component;
  return facts;
}

const DATABASE_NAMES: Readonly<Record<string, string>> = {
  userdb: 'la base des utilisateurs',
  inscriptiondb: 'la base des inscriptions',
  defensedb: 'la base des soutenances',
  notificationdb: 'la base des notifications',
};
const databaseName = (db: string) => lookup(DATABASE_NAMES, db);

// ---------------------------------------------------------------- anomalies

export const ANOMALY_TYPE_LABELS: Readonly<Record<AnomalyTypeCode, string>> = {
  UTILISATEUR_INEXISTANT: 'Doctorant inexistant',
  INSCRIPTION_INVALIDE: 'Soutenance sans inscription validée',
  FICHIER_MANQUANT: 'Document absent du disque',
  PREMIERE_INSCRIPTION_DIVERGENTE: 'Dates de première inscription divergentes',
};
export const anomalyTypeLabel = (code: string) => lookup(ANOMALY_TYPE_LABELS, code);

export const ANOMALY_ACTION_LABELS: Readonly<Record<AnomalyActionCode, string>> = { AUTO_CORRIGÉE: 'Corrigée automatiquement', INTERVENTION_REQUISE: 'Intervention requise' };
export const anomalyActionLabel = (code: string) => lookup(ANOMALY_ACTION_LABELS, code);

/**
 * What the tâche did about an anomaly, as the anomaly report says it: « Corrigée
 * automatiquement » only when its details record a change (`correction` SUSPENDU or
 * BLOQUEE); a correction made on an earlier night (`déjà …`) or not recorded is « déjà en
 * place »; `aucune …` (nothing changed, whatever the stored action) needs a person.
 */
export type AnomalyOutcome = 'corrected' | 'alreadyCorrected' | 'needsPerson';
export const ANOMALY_OUTCOME_LABELS: Readonly<Record<AnomalyOutcome, string>> = {
  corrected: ANOMALY_ACTION_LABELS.AUTO_CORRIGÉE,
  alreadyCorrected: 'Correction déjà en place',
  needsPerson: ANOMALY_ACTION_LABELS.INTERVENTION_REQUISE,
};
export function anomalyOutcome(anomaly: { readonly action: string; readonly details: unknown }): AnomalyOutcome {
  if (anomaly.action !== 'AUTO_CORRIGÉE') return 'needsPerson';
  const details = (anomaly.details && typeof anomaly.details === 'object' ? anomaly.details : {}) as Record<string, unknown>;
  const correction = typeof details.correction === 'string' ? details.correction : '';
  if (correction.startsWith('aucune')) return 'needsPerson';
  return correction === '' || correction.startsWith('déjà') ? 'alreadyCorrected' : 'corrected';
}

export const ANOMALY_STATUS_LABELS: Readonly<Record<AnomalyStatusCode, string>> = { open: 'Ouverte', resolved: 'Résolue' };
export const anomalyStatusLabel = (code: string) => lookup(ANOMALY_STATUS_LABELS, code);

export const ANOMALY_ENTITY_LABELS: Readonly<Record<AnomalyEntity, string>> = {
  inscription: 'inscription',
  soutenance: 'soutenance',
  document: 'document d’inscription',
  soutenance_document: 'document de soutenance',
  doctorant: 'doctorant',
};
export const anomalyEntityLabel = (code: string) => lookup(ANOMALY_ENTITY_LABELS, code);

export const ANOMALY_DETAIL_LABELS: Readonly<Record<AnomalyDetailKey, string>> = {
  doctorantId: 'Doctorant',
  inscriptionId: 'Inscription',
  soutenanceId: 'Soutenance',
  statut: 'Statut',
  archived: 'Archivée',
  correction: 'Correction',
  inscriptionStatut: 'Statut de l’inscription',
  chemin: 'Fichier',
  datesPremiereInscription: 'Dates de première inscription',
  dateRetenue: 'Date retenue',
};

export const RECORD_STATUS_LABELS: Readonly<Record<RecordStatus, string>> = {
  EN_ATTENTE: 'en attente',
  VALIDÉ: 'validée',
  REJETÉ: 'rejetée',
  SUSPENDU: 'suspendue',
  ARCHIVÉ: 'archivée',
  DEMANDEE: 'demandée',
  AUTORISEE: 'autorisée',
  PLANIFIEE: 'planifiée',
  SOUTENUE: 'soutenue',
  REJETEE: 'rejetée',
  BLOQUEE: 'bloquée',
};
export const recordStatusLabel = (code: string) => lookup(RECORD_STATUS_LABELS, code);

export interface AnomalyLike {
  readonly type: string;
  readonly entity: string;
  readonly entityId: number;
  readonly action: string;
  readonly details: unknown;
}

/** An anomaly as a sentence (what is wrong, what the tâche did) and its details as a list. */
export function anomalyDescription(anomaly: AnomalyLike, timeZone?: string): Description {
  const d = (anomaly.details && typeof anomaly.details === 'object' ? anomaly.details : {}) as Record<string, unknown>;
  const id = formatNumber(anomaly.entityId);
  const ref = (value: unknown) => (typeof value === 'number' ? `n° ${formatNumber(value)}` : plainValue(value));
  const correction = String(d.correction ?? '');
  let text: string;
  switch (anomaly.type as AnomalyTypeCode) {
    case 'UTILISATEUR_INEXISTANT':
      text = `L’inscription n° ${id} désigne le doctorant ${ref(d.doctorantId)}, absent des comptes utilisateurs. ${
        correction === 'SUSPENDU'
          ? 'La tâche l’a suspendue.'
          : correction.startsWith('déjà')
            ? 'Elle était déjà suspendue pour ce motif.'
            : 'Elle était suspendue pour un autre motif, rejetée ou archivée : la tâche ne l’a pas modifiée.'
      }`;
      break;
    case 'INSCRIPTION_INVALIDE':
      text = `La soutenance n° ${id} s’appuie sur l’inscription ${ref(d.inscriptionId)}, ${
        d.inscriptionStatut === null || d.inscriptionStatut === undefined ? 'qui n’existe pas' : `qui est ${recordStatusLabel(String(d.inscriptionStatut))} et non validée`
      }. ${correction === 'BLOQUEE' ? 'La tâche a bloqué la soutenance.' : 'La soutenance était déjà bloquée.'}`;
      break;
    case 'FICHIER_MANQUANT':
      text = `Le fichier ${plainValue(d.chemin)} (${anomalyEntityLabel(anomaly.entity)} n° ${id}) est référencé mais absent du disque.`;
      break;
    case 'PREMIERE_INSCRIPTION_DIVERGENTE': {
      const dates = Array.isArray(d.datesPremiereInscription) ? d.datesPremiereInscription.map((x) => formatPeriod(String(x))) : [];
      text = `Les inscriptions du doctorant n° ${id} ne portent pas la même date de première inscription${dates.length > 0 ? ` (${formatList(dates)})` : ''} ; la durée du doctorat est comptée depuis la plus ancienne${
        d.dateRetenue ? `, le ${formatPeriod(String(d.dateRetenue))}` : ''
      }.`;
      break;
    }
    default:
      text = `${anomalyTypeLabel(anomaly.type)} : ${anomalyEntityLabel(anomaly.entity)} n° ${id}.`;
  }
  const facts: Fact[] = [];
  for (const [key, value] of Object.entries(d)) {
    if (value === null || value === undefined) continue;
    const label = lookup(ANOMALY_DETAIL_LABELS, key);
    switch (key as AnomalyDetailKey) {
      case 'doctorantId':
      case 'inscriptionId':
      case 'soutenanceId':
        facts.push({ label, value: ref(value) });
        break;
      case 'statut':
      case 'inscriptionStatut':
        facts.push({ label, value: recordStatusLabel(String(value)) });
        break;
      case 'correction':
        facts.push({ label, value: correctionText(String(value)) });
        break;
      case 'datesPremiereInscription':
        facts.push({ label, value: Array.isArray(value) ? formatList(value.map((x) => formatPeriod(String(x)))) : plainValue(value) });
        break;
      case 'dateRetenue':
        facts.push({ label, value: formatPeriod(String(value)) });
        break;
      default:
        facts.push({ label, value: plainValue(value) });
    }
  }
  void timeZone;
  return { sentence: text, facts };
}

function correctionText(code: string): string {
  if (code === 'SUSPENDU') return 'inscription suspendue';
  if (code === 'BLOQUEE') return 'soutenance bloquée';
  if (code.startsWith('déjà SUSPENDU')) return 'déjà suspendue pour ce motif';
  if (code.startsWith('déjà BLOQUEE')) return 'déjà bloquée pour ce motif';
  if (code.startsWith('aucune')) return 'aucune (suspendue pour un autre motif, rejetée ou archivée)';
  return code;
}

// ---------------------------------------------------------------- audit

export const AUDIT_ACTION_LABELS: Readonly<Record<AuditActionCode, string>> = {
  JOB_RUN: 'Lancement d’une tâche',
  JOB_STOP: 'Arrêt d’une tâche',
  JOB_RESTART: 'Relance d’une tâche',
  JOB_EXECUTION_END: 'Fin d’une exécution',
  REPORT_DOWNLOAD: 'Téléchargement d’un rapport',
  REPORT_RESEND: 'Nouvel envoi d’un rapport',
  ARCHIVE_ACCESS: 'Consultation d’archives',
  ARCHIVE_CREATE: 'Création d’une archive',
  ARCHIVE_SHRED: 'Destruction d’une archive',
  ROLE_ADD: 'Ajout d’un rôle',
  ROLE_REMOVE: 'Retrait d’un rôle',
};
export const auditActionLabel = (code: string) => lookup(AUDIT_ACTION_LABELS, code);

export const AUDIT_DETAIL_LABELS: Readonly<Record<AuditDetailKey, string>> = {
  parameters: 'Paramètres',
  dryRun: 'Simulation',
  restartOf: 'Relance de l’exécution',
  status: 'Statut',
  exitCode: 'Issue',
  exitMessage: 'Message',
  trigger: 'Déclenchement',
  read: 'Éléments lus',
  written: 'Éléments écrits',
  wouldWrite: 'Éléments qui seraient écrits',
  skipped: 'Éléments ignorés',
  size: 'Taille',
  sizeBytes: 'Taille',
  month: 'Mois',
  sent: 'Envoyés',
  failed: 'En échec',
  operation: 'Opération',
  record: 'Dossier',
  purpose: 'Motif',
  documents: 'Documents',
  checked: 'Archives vérifiées',
  bad: 'Archives défectueuses',
  rewrapped: 'Archives rechiffrées',
  keyId: 'Clé de chiffrement',
  archive: 'Fichier d’archive',
  jobExecutionId: 'Exécution',
  shreddedAt: 'Détruite le',
  again: 'Déjà détruite auparavant',
  fileMissing: 'Fichier déjà absent',
  erased: 'Effacé',
  role: 'Rôle',
  rule: 'Règle',
};

export const ARCHIVE_OPERATION_LABELS: Readonly<Record<ArchiveOperation, string>> = {
  read: 'consultation',
  download: 'téléchargement',
  restore: 'restauration',
  verify: 'vérification',
  rewrap: 'rechiffrement avec la clé courante',
};
/** What a person did to an archive, as the verb of the audit sentence. */
const ARCHIVE_OPERATION_VERBS: Readonly<Record<ArchiveOperation, string>> = {
  read: 'consulté',
  download: 'téléchargé',
  restore: 'restauré',
  verify: 'vérifié',
  rewrap: 'rechiffré avec la clé courante',
};

const ARCHIVE_TYPES: Readonly<Record<string, string>> = { inscription: 'l’inscription', soutenance: 'la soutenance', defense: 'la soutenance', enrollment: 'l’inscription', user: 'l’utilisateur' };
/** The user database's roles, as the school says them. */
const ROLES: Readonly<Record<string, string>> = {
  ROLE_ADMIN: 'administrateur',
  ROLE_DOCTORANT: 'doctorant',
  ROLE_DOCTORANT_ACTIF: 'doctorant actif',
  ROLE_DOCTEUR: 'docteur',
  ROLE_DIRECTEUR: 'directeur de thèse',
};
/** « docteur » for ROLE_DOCTEUR; a role this list does not know, as it is. */
export const roleLabel = (code: string) => lookup(ROLES, code);
/** The rules of the role synchronisation (specification 5.6 and 5.7). */
const ROLE_RULES: Readonly<Record<string, string>> = { '5.6': 'doctorant actif (règle 5.6)', '5.7': 'a soutenu (règle 5.7)' };

/** An audit entry's target in words: `tokenCleanupJob#12` → « l’exécution n° 12 de la tâche « Nettoyage des jetons expirés » ». */
export function targetText(target: string | null | undefined): string {
  if (target === null || target === undefined || target === '') return DASH;
  if (target === 'all archives') return 'toutes les archives';
  const m = /^([A-Za-z_]+)#(\d+)$/.exec(target);
  if (!m) return target;
  const [, kind, id] = m as unknown as [string, string, string];
  if (kind.endsWith('Job')) return `l’exécution n° ${formatNumber(Number(id))} de la tâche « ${jobLabel(kind)} »`;
  if (ARCHIVE_TYPES[kind]) return `${ARCHIVE_TYPES[kind]} n° ${formatNumber(Number(id))}`;
  return `${kind} n° ${formatNumber(Number(id))}`;
}

export interface AuditEntryLike {
  readonly action: string;
  readonly actor: string | null;
  readonly target: string | null;
  readonly details: unknown;
}

/** An audit entry as one sentence (who did what to what) and its details as a list. */
export function auditDescription(entry: AuditEntryLike, timeZone?: string): Description {
  const d = (entry.details && typeof entry.details === 'object' && !Array.isArray(entry.details) ? entry.details : {}) as Record<string, unknown>;
  const who = entry.actor ? entry.actor : 'Le service';
  const what = targetText(entry.target);
  let text: string;
  switch (entry.action as AuditActionCode) {
    case 'JOB_RUN':
      text = `${who} a lancé ${what}${d.dryRun === true ? ', en simulation' : ''}.`;
      break;
    case 'JOB_STOP':
      text = `${who} a demandé l’arrêt de ${what}.`;
      break;
    case 'JOB_RESTART':
      text = `${who} a relancé ${typeof d.restartOf === 'number' ? `l’exécution n° ${formatNumber(d.restartOf)}` : 'une exécution'}, qui reprend comme ${what}.`;
      break;
    case 'JOB_EXECUTION_END':
      text = `${capitalize(what)} s’est terminée : ${statusLabel(String(d.status ?? '')).toLowerCase()}${d.dryRun === true ? ' (simulation)' : ''}.`;
      break;
    case 'REPORT_DOWNLOAD':
      text = `${who} a téléchargé le rapport ${what}.`;
      break;
    case 'REPORT_RESEND':
      text = `${who} a renvoyé le rapport mensuel${typeof d.month === 'string' ? ` de ${formatPeriod(d.month)}` : ''}.`;
      break;
    case 'ARCHIVE_ACCESS':
      text =
        entry.target === 'all archives'
          ? `${who} a ${lookup(ARCHIVE_OPERATION_VERBS, String(d.operation ?? 'read'))} toutes les archives.`
          : `${who} a ${lookup(ARCHIVE_OPERATION_VERBS, String(d.operation ?? 'read'))} l’archive de ${what}.`;
      break;
    case 'ARCHIVE_CREATE':
      text = `Le dossier de ${what} a été archivé.`;
      break;
    case 'ARCHIVE_SHRED':
      text = `${who} a détruit l’archive de ${what}.`;
      break;
    case 'ROLE_ADD':
      text = `Rôle « ${roleLabel(String(d.role))} » ajouté à ${what}.`;
      break;
    case 'ROLE_REMOVE':
      text = `Rôle « ${roleLabel(String(d.role))} » retiré à ${what}.`;
      break;
    default:
      text = `${auditActionLabel(entry.action)} : ${what}.`;
  }
  const facts: Fact[] = [];
  for (const [key, value] of Object.entries(d)) {
    if (value === null || value === undefined || key === 'operation') continue;
    const label = lookup(AUDIT_DETAIL_LABELS, key);
    switch (key as AuditDetailKey) {
      case 'status':
        facts.push({ label, value: statusLabel(String(value)) });
        break;
      case 'exitCode':
        facts.push({ label, value: exitCodeLabel(String(value)) });
        break;
      case 'exitMessage':
        facts.push({ label, value: exitMessageText(String(value)) });
        break;
      case 'trigger':
        facts.push({ label, value: triggerLabel(String(value)) });
        break;
      case 'size':
      case 'sizeBytes':
        facts.push({ label, value: typeof value === 'number' ? formatBytes(value) : plainValue(value) });
        break;
      case 'month':
        facts.push({ label, value: formatPeriod(String(value)) });
        break;
      case 'shreddedAt':
        facts.push({ label, value: formatDateTime(String(value), timeZone) });
        break;
      case 'role':
        facts.push({ label, value: roleLabel(String(value)) });
        break;
      case 'rule':
        facts.push({ label, value: lookup(ROLE_RULES, String(value)) });
        break;
      case 'restartOf':
      case 'jobExecutionId':
        facts.push({ label, value: typeof value === 'number' ? `n° ${formatNumber(value)}` : plainValue(value) });
        break;
      case 'parameters':
        if (value && typeof value === 'object' && Object.keys(value).length === 0) facts.push({ label, value: 'aucun' });
        else facts.push({ label, value: plainValue(value) });
        break;
      default:
        facts.push({ label, value: plainValue(value) });
    }
  }
  return { sentence: text, facts };
}

// ---------------------------------------------------------------- any value

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Keys found inside details' nested objects (an erasure's `erased`, a contract gap), in French. */
const NESTED_KEYS: Readonly<Record<string, string>> = {
  originalRow: 'ligne d’origine',
  documents: 'documents',
  documentNames: 'noms de documents',
  anomalies: 'anomalies',
  events: 'événements',
  notifications: 'notifications',
  location: 'emplacement',
  tables: 'tables manquantes',
  columns: 'colonnes manquantes',
  unreadable: 'illisible',
  count: 'nombre',
  first: 'premiers',
};

/**
 * Any value of a details object as words, never JSON: « oui »/« non », numbers with
 * French separators, lists joined « a, b et c », objects as « clé : valeur ; … ».
 */
export function plainValue(value: unknown): string {
  if (value === null || value === undefined) return DASH;
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  if (typeof value === 'number') return formatNumber(value, 2);
  if (typeof value === 'string') return ISO_INSTANT.test(value) ? formatDateTime(value) : /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDate(`${value}T12:00:00Z`, 'UTC') : value;
  if (Array.isArray(value)) return value.length === 0 ? 'aucun' : formatList(value.map((v) => plainValue(v)));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return 'aucun';
    return entries.map(([k, v]) => `${lookup(NESTED_KEYS, k)} : ${plainValue(v)}`).join(' ; ');
  }
  return String(value);
}

/** « 3 archives vérifiées »-style counts, re-exported for the surfaces' sentences. */
export { countOf };
