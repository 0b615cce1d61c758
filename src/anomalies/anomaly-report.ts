/**
 * The anomaly report of dataConsistencyJob (5.13), mailed to the technical admins (5.14):
 * the monthly report's layout kit and footer, the run's figures first, then one section
 * per anomaly type present saying what the job did about it or what a person must do,
 * and a row per anomaly.
 *
 * It lists every anomaly still open, not only tonight's: one left to a person stays in
 * each report until it is resolved, with how long it has been open (first seen → this
 * run); tonight's new ones say so. Those waiting for a person are listed first, oldest
 * first, with how many days they have been open.
 *
 * Words, not codes: the shared vocabulary (vocabulary/words-fr.ts) names the types,
 * entities, statuts and detail keys; the doctorant and directeur de thèse of each anomaly
 * are named (with their id), read from the sibling databases by anomaly-people.ts.
 * « Corrigée automatiquement » only where the details record a change (anomalyOutcome).
 *
 * A section lists at most 500 rows and says how many more there are: the report is read
 * and sent as an attachment, and a broken upload volume can produce tens of thousands of
 * FICHIER_MANQUANT rows; the complete list stays in the API and the admin console. New
 * anomalies come first, then those waiting for a person, oldest first, so the cut never
 * hides what the admins have not seen yet nor what waits for them.
 */
import { readdir } from 'node:fs/promises';
import { dateInZone, daysBetween } from '../doctorate/calendar.js';
import {
  COLORS,
  createReportDocument,
  ensureSpace,
  formatFrenchDate,
  formatNumber,
  footers,
  kpiBand,
  paragraph,
  paragraphHeight,
  sectionTitle,
  table,
  tableLeadHeight,
  type ReportDocument,
} from '../pdf/report-kit.js';
import { ANOMALY_DETAIL_LABELS, ANOMALY_OUTCOME_LABELS, anomalyDescription, anomalyEntityLabel, anomalyOutcome, anomalyTypeLabel } from '../vocabulary/words-fr.js';
import { entityKey, type AnomalyPeople, type Person } from './anomaly-people.js';
import { ANOMALY_TYPES, type AnomalyRecord, type AnomalyType } from './anomaly-store.js';

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
  /** The doctorant and directeur of each anomaly, by `entityKey` (anomaly-people.ts); ids alone without it. */
  readonly people?: ReadonlyMap<string, AnomalyPeople>;
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

/** A report of the day: `rapport_anomalies_2026_12_02.pdf`, then `…_2.pdf`, `…_3.pdf` for the day's next runs. */
const DAY_REPORT = /^rapport_anomalies_(\d{4}_\d{2}_\d{2})(?:_([1-9]\d*))?\.pdf$/;

/**
 * `rapport_anomalies_2026_12_02.pdf`: the date of `runAt` in the zone, as the contract
 * names the file; the day's second report `rapport_anomalies_2026_12_02_2.pdf`, and so on.
 */
export function anomalyReportFileName(runAt: Date, timeZone: string, sequence = 1): string {
  const day = dateInZone(runAt, timeZone).replaceAll('-', '_');
  return sequence <= 1 ? `rapport_anomalies_${day}.pdf` : `rapport_anomalies_${day}_${sequence}.pdf`;
}

/**
 * The name of a new report of `runAt`'s day in `directory`: the first of the day, or the
 * one after the day's last. The job records it before writing, so a restarted execution
 * writes the same file again instead of a new one.
 */
export async function nextAnomalyReportFileName(directory: string, runAt: Date, timeZone: string): Promise<string> {
  const day = dateInZone(runAt, timeZone).replaceAll('-', '_');
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  let last = 0;
  for (const name of names) {
    const match = DAY_REPORT.exec(name);
    if (match?.[1] === day) last = Math.max(last, match[2] === undefined ? 1 : Number(match[2]));
  }
  return anomalyReportFileName(runAt, timeZone, last + 1);
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** « Jean Dupont (n° 901) », « n° 901, sans compte utilisateur ». */
function personText(person: Person): string {
  return person.name === null ? `n° ${formatNumber(person.id)}, sans compte utilisateur` : `${person.name} (n° ${formatNumber(person.id)})`;
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
  const manual = (a: AnomalyRecord) => anomalyOutcome(a) === 'needsPerson';
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
  const daysOpen = (a: AnomalyRecord) => daysBetween(dateInZone(a.firstSeen, timeZone), today);
  const openFor = (a: AnomalyRecord) => {
    if (isNew(a)) return 'Nouvelle cette nuit';
    const days = daysOpen(a);
    return `Depuis le ${formatFrenchDate(a.firstSeen, timeZone)} (${formatNumber(days)} jour${days > 1 ? 's' : ''})`;
  };
  const peopleOf = (a: AnomalyRecord) => input.people?.get(entityKey(a)) ?? {};
  const element = (a: AnomalyRecord) => `${capitalized(anomalyEntityLabel(a.entity))} n° ${formatNumber(a.entityId)}`;
  /** One line per fact: the doctorant and directeur by name, then the details in words. */
  const details = (a: AnomalyRecord) => {
    const { doctorant, directeur } = peopleOf(a);
    const lines = [...(doctorant ? [`Doctorant : ${personText(doctorant)}`] : []), ...(directeur ? [`Directeur de thèse : ${personText(directeur)}`] : [])];
    for (const fact of anomalyDescription(a, timeZone).facts) {
      // The doctorant's id is already in the line with the name.
      if (doctorant && fact.label === ANOMALY_DETAIL_LABELS.doctorantId) continue;
      lines.push(`${fact.label} : ${fact.value}`);
    }
    return lines.length > 0 ? lines.join('\n') : '—';
  };
  const LEFT = ['left', 'left', 'left', 'left'] as const;

  // What waits for a person, oldest first, with how long it has been open.
  const waiting = anomalies.filter(manual).sort((a, b) => a.firstSeen.getTime() - b.firstSeen.getTime() || a.type.localeCompare(b.type) || a.entityId - b.entityId);
  if (waiting.length > 0) {
    const headers = ['Anomalie', 'Élément et personnes', 'Ouverte depuis', 'Première détection'];
    const widths = [120, 205, 80, 90];
    const rows = waiting.slice(0, MAX_ROWS_PER_TYPE).map((a) => {
      const { doctorant, directeur } = peopleOf(a);
      // Without the people read (or a doctorant not found), the id the details hold.
      const doctorantLine = doctorant ? `Doctorant : ${personText(doctorant)}` : typeof a.details.doctorantId === 'number' ? `Doctorant : n° ${formatNumber(a.details.doctorantId)}` : undefined;
      const who = [element(a), ...(doctorantLine ? [doctorantLine] : []), ...(directeur ? [`Directeur de thèse : ${personText(directeur)}`] : [])].join('\n');
      const days = daysOpen(a);
      return [anomalyTypeLabel(a.type), who, isNew(a) ? 'Nouvelle cette nuit' : `${formatNumber(days)} jour${days > 1 ? 's' : ''}`, formatFrenchDate(a.firstSeen, timeZone)];
    });
    const intro = 'Ces anomalies ouvertes attendent une personne : la tâche ne les corrige pas. Les plus anciennes d’abord.';
    sectionTitle(doc, 'À traiter par une personne', paragraphHeight(doc, intro) + 6 + tableLeadHeight(doc, headers, rows, { widths }));
    paragraph(doc, intro);
    doc.moveDown(0.5);
    table(doc, headers, rows, { widths, align: ['left', 'left', 'right', 'right'] });
    if (waiting.length > MAX_ROWS_PER_TYPE) {
      ensureSpace(doc, 40);
      paragraph(doc, `… et ${formatNumber(waiting.length - MAX_ROWS_PER_TYPE)} de plus, non listées ici ; la liste complète est dans la console d’administration (/admin).`, COLORS.muted);
    }
  }

  for (const { type, items } of groups) {
    const section = sectionOf(type);
    const ordered = [...items].sort(
      (a, b) =>
        Number(isNew(b)) - Number(isNew(a)) ||
        Number(manual(b)) - Number(manual(a)) ||
        a.firstSeen.getTime() - b.firstSeen.getTime() ||
        a.entity.localeCompare(b.entity) ||
        a.entityId - b.entityId,
    );
    const headers = ['Élément', 'Détails', 'Ouverte', 'Action'];
    const widths = [90, 210, 100, 95];
    const rows = ordered.slice(0, MAX_ROWS_PER_TYPE).map((a) => [element(a), details(a), openFor(a), ANOMALY_OUTCOME_LABELS[anomalyOutcome(a)]]);
    sectionTitle(doc, section.heading, paragraphHeight(doc, section.explanation) + 6 + tableLeadHeight(doc, headers, rows, { widths }));
    paragraph(doc, section.explanation);
    doc.moveDown(0.5);
    table(doc, headers, rows, { widths, align: LEFT });
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
  return SECTIONS[type] ?? { heading: `Anomalies « ${anomalyTypeLabel(type)} »`, explanation: 'Type d’anomalie sans description dans cette version du rapport.' };
}
