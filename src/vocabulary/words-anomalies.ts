/** Anomalies in French: types, actions, outcomes, entities, details; an anomaly as a sentence. Conventions: words-fr.ts. */
import type { AnomalyActionCode, AnomalyDetailKey, AnomalyEntity, AnomalyStatusCode, AnomalyTypeCode, RecordStatus } from './codes.js';
import { formatList, formatNumber, formatPeriod } from './format-fr.js';
import { type Description, type Fact, lookup, plainValue } from './words-common.js';

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
