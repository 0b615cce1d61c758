/** Executions in French: statuses, triggers, exit codes, job, step and figure names, exit messages. Conventions: words-fr.ts. */
import type { BatchStatusCode, ExitCode, FigureName, JobName, StepName, TriggerCode } from './codes.js';
import { countOf, formatBytes, formatDateTime, formatDuration, formatList, formatNumber } from './format-fr.js';
import { type Fact, lookup, plainValue } from './words-common.js';

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
  // The second wording is that of executions recorded before a lost connection was flagged too.
  if ((m = /^counts of (.+) are a lower bound: (?:chunks that committed without the run knowing it \(a crash, a lost connection\)|chunks committed after the last checkpoint before a crash) are not counted$/.exec(part)))
    return `Les comptes de ${formatList(m[1]!.split(', ').map((s) => `« ${stepLabel(s)} »`))} sont des minimums : ce qui a été enregistré sans que l’exécution le sache (arrêt brutal, connexion perdue) n’y figure pas.`;
  // Every step completed, the figures could not be read (engine/job-runner.ts): a restart reads them.
  if ((m = /^its figures could not be read: (.*)$/s.exec(part))) return `Ses chiffres n’ont pas pu être lus (${m[1]!.trim()}) ; relancez-la pour les obtenir, sans refaire ses étapes.`;
  // A tasklet's warning: `stepName: text`.
  if ((m = new RegExp(`^${STEP_NAME_PATTERN}: (.*)$`, 's').exec(part))) return `Avertissement de ${step(m[1]!)} : ${sentence(m[2]!)}`;
  return sentence(part);
}
