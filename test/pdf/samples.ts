/**
 * Planted inputs of the two PDF reports, large enough to span pages, for the layout tests
 * (test/pdf/*.test.ts) and the page images of docs/ (`UPDATE_SCREENSHOTS=1`). Each holds
 * a case a reader once saw go wrong: a month starting on the 1st, a rate of 0 in a tile
 * and in a table, a change text on two lines in a tile, the « Utilisateurs » heading that
 * fell alone at the bottom of page 2, a table that left rows alone on a page.
 */
import { readFileSync } from 'node:fs';
import type { JsonObject } from '../../src/engine/types.js';
import type { AnomalyPeople } from '../../src/anomalies/anomaly-people.js';
import { anomalyReportDocument, type AnomalyReportInput } from '../../src/anomalies/anomaly-report.js';
import type { AnomalyAction, AnomalyRecord, AnomalyType } from '../../src/anomalies/anomaly-store.js';
import { reportDocument, type ReportContent } from '../../src/jobs/monthlyReportJob/report-document.js';
import { reportPeriod } from '../../src/jobs/monthlyReportJob/report-period.js';
import type { MonthFigures } from '../../src/jobs/monthlyReportJob/report-snapshot.js';
import type { ReportDocument } from '../../src/pdf/report-kit.js';

export const LOGO = { svg: readFileSync(new URL('../../assets/logo.svg', import.meta.url), 'utf8') };

// Three names long enough to take two lines: with them the « Utilisateurs » heading fell at the bottom of page 2.
const CODIRECTION = ', codirection avec Jean-Baptiste Poquelin de Montaigu-Saint-Éloi (laboratoire associé)';
const NAMES = ['Hélène Lefèvre' + CODIRECTION, 'Zoé Ménard' + CODIRECTION, 'Jean-Noël Briançon' + CODIRECTION, 'Amélie Poulain-Dufresne', 'Émile Garçon', 'Inès Benali', 'Loïc Le Gall', 'Céline Østergaard'];

/** October 2026: 12 480 accounts, a validation rate of 0 in a table, no notification sent (0 % on a tile). */
export const OCTOBER_FIGURES: MonthFigures = {
  enrollment: {
    newInscriptions: { total: 1_234, premiere: 812, reinscription: 422 },
    byStatut: { EN_ATTENTE: 1_194, REJETÉ: 30, SUSPENDU: 10 },
    validation: { validated: 0, decided: 40, undecided: 1_194, rate: 0 },
    activeDoctorants: 3_456,
    topDirecteurs: NAMES.map((nom, i) => ({ directeurId: 100 + i, nom, doctorants: 30 - i })),
    durationBands: { moins3Ans: 2_100, troisAns: 1_200, sixAns: 120, depassement: 36 },
    trend: Array.from({ length: 12 }, (_, i) => ({ month: `${i < 2 ? 2025 : 2026}-${String(((i + 10) % 12) + 1).padStart(2, '0')}`, count: 800 + ((i * 137) % 500) })),
  },
  defense: {
    requests: 48,
    held: 41,
    byMention: { TRES_HONORABLE: 41 },
    meanDelayDays: 104.5,
    medianDelayDays: 98,
  },
  notification: {
    byStatut: { PENDING: 2_345, FAILED: 12 },
    byType: { INSCRIPTION_VALIDEE: 1_200, COMPTE_CREE: 900, RAPPEL: 257 },
    total: 2_357,
    deliveryRate: 0,
    pendingOver24h: 2_000,
  },
  user: {
    newAccounts: 1_310,
    newByRole: { ROLE_DOCTORANT: 1_200, ROLE_DIRECTEUR: 100, ROLE_ADMIN: 10 },
    accounts: 12_480,
    byRole: { ROLE_DOCTORANT: 10_000, ROLE_DIRECTEUR: 2_000, ROLE_ADMIN: 30, ROLE_DOCTORANT_ACTIF: 3_456, ROLE_DOCTEUR: 994 },
    enabled: 12_000,
    disabled: 480,
  },
  alerts: {
    failedExecutions: 3,
    failures: [1, 2, 3].map((n) => ({ jobName: 'tokenCleanupJob', executionId: 1_000 + n, exitCode: 'FAILED', message: 'userdb injoignable' })),
    durationOverruns: 36,
    openAnomalies: 45,
    anomaliesNeedingAPerson: 12,
    anomalies: Array.from({ length: 30 }, (_, i) => ({
      type: i % 3 === 0 ? 'FICHIER_MANQUANT' : 'UTILISATEUR_INEXISTANT',
      entity: i % 3 === 0 ? 'document' : 'inscription',
      entityId: 5_000 + i,
      action: i < 12 ? 'INTERVENTION_REQUISE' : 'AUTO_CORRIGÉE',
      firstSeen: '2026-10-01T21:00:00.000Z',
    })),
  },
};

/** September: every change against it is in the thousands, so the tiles' change texts take two lines. */
export const SEPTEMBER_FIGURES: MonthFigures = {
  ...OCTOBER_FIGURES,
  enrollment: { ...OCTOBER_FIGURES.enrollment, newInscriptions: { total: 5_678, premiere: 3_000, reinscription: 2_678 }, activeDoctorants: 1_234 },
  defense: { ...OCTOBER_FIGURES.defense, held: 1_041 },
  notification: { ...OCTOBER_FIGURES.notification, deliveryRate: 0.875 },
};

export function octoberContent(): ReportContent {
  return {
    period: reportPeriod('2026-10', 'Europe/Paris'),
    current: OCTOBER_FIGURES,
    previous: SEPTEMBER_FIGURES,
    computedAt: new Date('2026-11-01T08:00:00Z'),
    fromSnapshot: false,
    logo: LOGO,
    generatedAt: new Date('2026-11-01T08:00:00Z'),
    timeZone: 'Europe/Paris',
  };
}

export function monthlyReport(content: ReportContent = octoberContent()): ReportDocument {
  return reportDocument(content);
}

/** The bytes of a document laid out and still open. */
export async function bytesOf(doc: ReportDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => doc.on('end', resolve));
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}

/** A night of the consistency check with 180 open anomalies of every type, people named, over several pages. */
export function anomalyReportInput(): AnomalyReportInput {
  const runAt = new Date('2026-12-01T22:00:00Z');
  const since = (days: number) => new Date(runAt.getTime() - days * 86_400_000);
  const record = (id: number, type: AnomalyType, entity: string, entityId: number, details: JsonObject, action: AnomalyAction, days: number): AnomalyRecord => ({
    id, type, entity, entityId, details, action, firstSeen: since(days), lastSeen: runAt, resolvedAt: null, jobExecutionId: 42,
  });
  const anomalies: AnomalyRecord[] = [];
  const people = new Map<string, AnomalyPeople>();
  const directeur = (i: number) => ({ id: 200 + (i % 7), name: NAMES[i % NAMES.length]!.split(',')[0]! });
  for (let i = 0; i < 60; i++) {
    const left = i % 4 === 0;
    anomalies.push(
      record(anomalies.length + 1, 'UTILISATEUR_INEXISTANT', 'inscription', 1_000 + i, {
        doctorantId: 90_000 + i, statut: left ? 'REJETÉ' : i % 4 === 1 ? 'SUSPENDU' : 'VALIDÉ', archived: false,
        correction: left ? 'aucune (inscription suspendue pour un autre motif, rejetée ou archivée)' : i % 4 === 1 ? 'déjà SUSPENDU (motif UTILISATEUR_INEXISTANT)' : 'SUSPENDU',
      }, left ? 'INTERVENTION_REQUISE' : 'AUTO_CORRIGÉE', i % 4 === 1 ? 30 + i : 0),
    );
    people.set(`inscription:${1_000 + i}`, { doctorant: { id: 90_000 + i, name: null }, directeur: directeur(i) });
  }
  for (let i = 0; i < 40; i++) {
    anomalies.push(record(anomalies.length + 1, 'INSCRIPTION_INVALIDE', 'soutenance', 500 + i, { inscriptionId: 3_000 + i, inscriptionStatut: 'SUSPENDU', statut: 'PLANIFIEE', correction: i < 10 ? 'BLOQUEE' : 'déjà BLOQUEE (motif INSCRIPTION_INVALIDE)' }, 'AUTO_CORRIGÉE', i < 10 ? 0 : 12));
    people.set(`soutenance:${500 + i}`, { doctorant: { id: 7_000 + i, name: `Doctorante ${i} Lefèvre-Ménard` }, directeur: directeur(i) });
  }
  for (let i = 0; i < 70; i++) {
    anomalies.push(record(anomalies.length + 1, 'FICHIER_MANQUANT', 'document', 8_000 + i, { chemin: `inscriptions/${3_000 + i}/manuscrit-version-definitive-${i}.pdf`, inscriptionId: 3_000 + i }, 'INTERVENTION_REQUISE', 3 + i));
    people.set(`document:${8_000 + i}`, { doctorant: { id: 7_000 + i, name: `Doctorante ${i} Lefèvre-Ménard` }, directeur: directeur(i) });
  }
  for (let i = 0; i < 10; i++) {
    anomalies.push(record(anomalies.length + 1, 'PREMIERE_INSCRIPTION_DIVERGENTE', 'doctorant', 7_100 + i, { datesPremiereInscription: ['2022-10-01', '2023-10-01'], dateRetenue: '2022-10-01' }, 'INTERVENTION_REQUISE', 100 + i));
    people.set(`doctorant:${7_100 + i}`, { doctorant: { id: 7_100 + i, name: `Doctorant ${i} Briançon` }, directeur: directeur(i) });
  }
  return {
    runAt,
    timeZone: 'Europe/Paris',
    generatedAt: new Date('2026-12-01T22:05:00Z'),
    logo: LOGO,
    anomalies,
    newIds: new Set(anomalies.filter((a) => a.firstSeen.getTime() === runAt.getTime()).map((a) => a.id)),
    people,
    figures: { autoCorrected: 55, rolesAdded: 12, rolesRemoved: 3, orphansMoved: 1_204, notificationsSent: 18, notificationsFailed: 2 },
  };
}

export function anomalyReport(input: AnomalyReportInput = anomalyReportInput()): ReportDocument {
  return anomalyReportDocument(input);
}
