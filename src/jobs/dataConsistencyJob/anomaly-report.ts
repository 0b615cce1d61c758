/**
 * The anomaly report of dataConsistencyJob (5.13), mailed to the technical admins (5.14):
 * the monthly report's layout kit and footer, the run's figures first, then one section
 * per anomaly type present saying what the job did about it or what a person must do,
 * and a row per anomaly.
 *
 * It lists every anomaly still open, not only tonight's: one left to a person stays in
 * each report until it is resolved, with how long it has been open (first seen → this
 * run); tonight's new ones say so.
 *
 * A section lists at most 500 rows and says how many more there are: the report is read
 * and sent as an attachment, and a broken upload volume can produce tens of thousands of
 * FICHIER_MANQUANT rows; the complete list stays in the API and the admin console. New
 * anomalies come first, then those waiting for a person, oldest first, so the cut never
 * hides what the admins have not seen yet nor what waits for them.
 */
import { dateInZone, daysBetween } from '../../doctorate/calendar.js';
import type { Json, JsonObject } from '../../engine/types.js';
import {
  COLORS,
  createReportDocument,
  ensureSpace,
  formatFrenchDate,
  formatNumber,
  footers,
  kpiBand,
  paragraph,
  sectionTitle,
  table,
  type ReportDocument,
} from '../../pdf/report-kit.js';
import { ANOMALY_TYPES, type AnomalyAction, type AnomalyRecord, type AnomalyType } from './anomaly-store.js';

export interface AnomalyReportInput {
  /** The run's reference instant; the report's date is runAt's date in timeZone. */
  readonly runAt: Date;
  readonly timeZone: string;
  readonly generatedAt: Date;
  readonly logo: { readonly svg: string } | { readonly png: string };
  /** Every anomaly this run saw (open ones), new and known. */
  readonly anomalies: readonly AnomalyRecord[];
  /** Ids (AnomalyRecord.id) of those first seen by this run. */
  readonly newIds: ReadonlySet<number>;
  readonly figures: {
    /** Rows this run corrected (inscriptions suspended, soutenances blocked). */
    readonly autoCorrected: number;
    readonly rolesAdded: number;
    readonly rolesRemoved: number;
    readonly orphansMoved: number;
    readonly notificationsSent: number;
    readonly notificationsFailed: number;
  };
}

const MAX_ROWS_PER_TYPE = 500;

const SECTIONS: Readonly<Record<AnomalyType, { readonly heading: string; readonly explanation: string }>> = {
  UTILISATEUR_INEXISTANT: {
    heading: 'Inscriptions dont le doctorant n’existe pas',
    explanation:
      'Ces inscriptions désignent un doctorant absent des comptes utilisateurs ; action prise : l’inscription est suspendue. ' +
      'Celles qui étaient suspendues pour un autre motif, rejetées ou archivées n’ont pas été modifiées : intervention requise.',
  },
  INSCRIPTION_INVALIDE: {
    heading: 'Soutenances sans inscription validée',
    explanation: 'Ces soutenances ne s’appuient sur aucune inscription validée ; action prise : la soutenance est bloquée et son directeur de thèse en est informé.',
  },
  FICHIER_MANQUANT: {
    heading: 'Documents référencés mais absents du disque',
    explanation: 'Ces documents sont référencés en base mais leur fichier est introuvable ; intervention requise : restaurer le fichier depuis une sauvegarde ou corriger la référence.',
  },
  PREMIERE_INSCRIPTION_DIVERGENTE: {
    heading: 'Doctorants dont les dates de première inscription divergent',
    explanation:
      'Les inscriptions de ces doctorants ne portent pas la même date de première inscription ; la durée du doctorat est comptée depuis la plus ancienne. ' +
      'Intervention requise : corriger les inscriptions qui se trompent.',
  },
};
const ACTIONS: Readonly<Record<AnomalyAction, string>> = { AUTO_CORRIGÉE: 'Corrigée automatiquement', INTERVENTION_REQUISE: 'Intervention requise' };
const ENTITIES: Readonly<Record<string, string>> = { soutenance_document: 'document de soutenance' };
const STATUTS: Readonly<Record<string, string>> = { EN_ATTENTE: 'En attente', VALIDÉ: 'Validé', REJETÉ: 'Rejeté', SUSPENDU: 'Suspendu' };
/** Detail keys holding the id of another row, shown as « doctorant 12 ». */
const REFERENCES: Readonly<Record<string, string>> = {
  doctorantId: 'doctorant',
  inscriptionId: 'inscription',
  soutenanceId: 'soutenance',
  directeurId: 'directeur',
  documentId: 'document',
};
/** Detail keys shown under a French label. */
const LABELS: Readonly<Record<string, string>> = {
  datesPremiereInscription: 'premières inscriptions',
  dateRetenue: 'retenue',
  inscriptionStatut: 'statut de l’inscription',
};

/** `rapport_anomalies_2026_12_02.pdf`: the date of `runAt` in the zone, as the contract names the file. */
export function anomalyReportFileName(runAt: Date, timeZone: string): string {
  return `rapport_anomalies_${dateInZone(runAt, timeZone).replaceAll('-', '_')}.pdf`;
}

/** Lays the report out; returns the document, still open, for the caller to stream and end. */
export function anomalyReportDocument(input: AnomalyReportInput): ReportDocument {
  const { anomalies, newIds, figures, timeZone } = input;
  const day = formatFrenchDate(input.runAt, timeZone);
  const doc = createReportDocument({
    title: `Rapport d’anomalies — ${day}`,
    subtitle: `École doctorale — contrôle de cohérence des données du ${day}`,
    logo: input.logo,
    author: 'batch-service',
  });

  const isNew = (a: AnomalyRecord) => newIds.has(a.id);
  const manual = (a: AnomalyRecord) => a.action === 'INTERVENTION_REQUISE';
  kpiBand(doc, [
    { label: 'Anomalies ouvertes', value: formatNumber(anomalies.length) },
    { label: 'Nouvelles cette nuit', value: formatNumber(anomalies.filter(isNew).length) },
    { label: 'Corrigées cette nuit', value: formatNumber(figures.autoCorrected) },
    { label: 'Intervention requise', value: formatNumber(anomalies.filter(manual).length) },
  ]);
  paragraph(
    doc,
    `Rôles ajoutés : ${formatNumber(figures.rolesAdded)} · rôles retirés : ${formatNumber(figures.rolesRemoved)} · ` +
      `fichiers orphelins déplacés : ${formatNumber(figures.orphansMoved)} · notifications renvoyées : ${formatNumber(figures.notificationsSent)}, ` +
      `en échec : ${formatNumber(figures.notificationsFailed)}.`,
  );

  const groups = groupByType(anomalies);
  if (groups.length === 0) {
    paragraph(doc, 'Aucune anomalie ouverte : les données sont cohérentes.');
  } else {
    paragraph(
      doc,
      'Le rapport liste toutes les anomalies encore ouvertes, nouvelles ou connues : « Corrigées cette nuit » compte les corrections faites par ce contrôle, ' +
        '« Intervention requise » les anomalies ouvertes qui attendent une personne, depuis leur première détection.',
      COLORS.muted,
    );
    doc.moveDown(0.8);
    table(
      doc,
      ['Type d’anomalie', 'Ouvertes', 'Nouvelles', 'Intervention requise'],
      groups.map(({ type, items }) => [sectionOf(type).heading, formatNumber(items.length), formatNumber(items.filter(isNew).length), formatNumber(items.filter(manual).length)]),
      [245, 75, 75, 100],
    );
  }

  const today = dateInZone(input.runAt, timeZone);
  const openFor = (a: AnomalyRecord) => {
    if (isNew(a)) return 'Nouvelle cette nuit';
    const days = daysBetween(dateInZone(a.firstSeen, timeZone), today);
    return `Depuis le ${formatFrenchDate(a.firstSeen, timeZone)} (${formatNumber(days)} jour${days > 1 ? 's' : ''})`;
  };
  for (const { type, items } of groups) {
    const section = sectionOf(type);
    sectionTitle(doc, section.heading);
    paragraph(doc, section.explanation);
    doc.moveDown(0.5);
    const ordered = [...items].sort(
      (a, b) =>
        Number(isNew(b)) - Number(isNew(a)) ||
        Number(manual(b)) - Number(manual(a)) ||
        a.firstSeen.getTime() - b.firstSeen.getTime() ||
        a.entity.localeCompare(b.entity) ||
        a.entityId - b.entityId,
    );
    table(
      doc,
      ['Entité', 'Détails', 'Ouverte', 'Action'],
      ordered.slice(0, MAX_ROWS_PER_TYPE).map((a) => [
        `${ENTITIES[a.entity] ?? a.entity.replace(/_/g, ' ')} ${a.entityId}`,
        describeDetails(a.details),
        openFor(a),
        ACTIONS[a.action] ?? a.action,
      ]),
      [95, 170, 105, 125],
    );
    const more = ordered.length - MAX_ROWS_PER_TYPE;
    if (more > 0) {
      // Kept whole: split over a page break, its first line would read as the table's last row.
      ensureSpace(doc, 40);
      paragraph(doc, `… et ${formatNumber(more)} de plus, non listées ici ; la liste complète est dans la console d’administration (/admin) et GET /api/batch/anomalies?status=open&type=${type}.`, COLORS.muted);
    }
  }

  footers(doc, input.generatedAt, timeZone);
  return doc;
}

/** The types present, in the order of ANOMALY_TYPES; a type unknown to this version (see sectionOf) last. */
function groupByType(anomalies: readonly AnomalyRecord[]): { type: AnomalyType; items: AnomalyRecord[] }[] {
  const byType = new Map<AnomalyType, AnomalyRecord[]>();
  for (const a of anomalies) {
    const items = byType.get(a.type);
    if (items) items.push(a);
    else byType.set(a.type, [a]);
  }
  const rank = (type: AnomalyType) => (ANOMALY_TYPES.includes(type) ? ANOMALY_TYPES.indexOf(type) : ANOMALY_TYPES.length);
  return [...byType].sort(([a], [b]) => rank(a) - rank(b)).map(([type, items]) => ({ type, items }));
}

// The store casts the column's text to AnomalyType: a row written by a newer version can hold a type missing here.
function sectionOf(type: AnomalyType): { readonly heading: string; readonly explanation: string } {
  return SECTIONS[type] ?? { heading: `Anomalies ${type}`, explanation: 'Type d’anomalie sans description dans cette version du rapport.' };
}

/** « doctorant 12 ; statut : Validé ; fichier : theses/12.pdf », then `clé : valeur` for keys without a label. */
function describeDetails(details: JsonObject): string {
  const parts = Object.entries(details).map(([key, value]) => {
    if (key in REFERENCES && (typeof value === 'number' || typeof value === 'string')) return `${REFERENCES[key]} ${value}`;
    if (key === 'statut' && typeof value === 'string') return `statut : ${STATUTS[value] ?? value}`;
    if (key === 'chemin' && typeof value === 'string') return `fichier : ${value}`;
    if (key in LABELS) return `${LABELS[key]} : ${Array.isArray(value) ? value.map((v) => text(v)).join(', ') : text(value)}`;
    return `${key} : ${text(value)}`;
  });
  return parts.length > 0 ? parts.join(' ; ') : '—';
}

function text(value: Json): string {
  if (value === null) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
