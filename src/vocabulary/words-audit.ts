/** The audit log in French: actions, details, targets; an entry as a sentence. Conventions: words-fr.ts. */
import type { ArchiveOperation, AuditActionCode, AuditDetailKey } from './codes.js';
import { DASH, formatBytes, formatDateTime, formatNumber, formatPeriod } from './format-fr.js';
import { exitCodeLabel, exitMessageText, jobLabel, statusLabel, triggerLabel } from './words-executions.js';
import { type Description, type Fact, capitalize, lookup, plainValue } from './words-common.js';

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
