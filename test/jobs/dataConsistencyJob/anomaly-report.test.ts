/**
 * The anomaly report (5.13), read back with PDF.js: every open anomaly under its type's
 * French heading with its details in words (no code), its doctorant and directeur by
 * name, whether it is new tonight or how long it has been open, and the action taken or
 * required (« Corrigée automatiquement » only where a change was made); those waiting for
 * a person first; the night's corrections apart from the stock; no section for a type
 * with nothing to report; long lists paginate and stop at 500 rows per type, saying how
 * many more there are.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalyReportDocument, anomalyReportFileName, type AnomalyReportInput } from '../../../src/anomalies/anomaly-report.js';
import { ANOMALY_TYPES, type AnomalyAction, type AnomalyRecord, type AnomalyType } from '../../../src/anomalies/anomaly-store.js';
import type { JsonObject } from '../../../src/engine/types.js';
import type { AnomalyPeople } from '../../../src/anomalies/anomaly-people.js';
import { formatNumber } from '../../../src/pdf/report-kit.js';
import { readPdf } from '../../support/pdf.js';

const RUN_AT = new Date('2026-12-01T23:30:00Z');
const KNOWN_SINCE = new Date('2026-11-03T02:00:00Z');
const HEADINGS: Readonly<Record<AnomalyType, string>> = {
  UTILISATEUR_INEXISTANT: 'Inscriptions dont le doctorant n’existe pas',
  INSCRIPTION_INVALIDE: 'Soutenances sans inscription validée',
  FICHIER_MANQUANT: 'Documents référencés mais absents du disque',
  PREMIERE_INSCRIPTION_DIVERGENTE: 'Doctorants dont les dates de première inscription divergent',
};
// Without a `correction` that records a change, an AUTO_CORRIGÉE anomaly is not « Corrigée automatiquement ».
const ACTIONS: Readonly<Record<AnomalyAction, string>> = { AUTO_CORRIGÉE: 'Correction déjà en place', INTERVENTION_REQUISE: 'Intervention requise' };
/** A number as the report writes it, its narrow no-break spaces read back as spaces. */
const n = (value: number) => formatNumber(value).replace(/\s/g, ' ');
const noFigures = { autoCorrected: 0, rolesAdded: 0, rolesRemoved: 0, orphansMoved: 0, notificationsSent: 0, notificationsFailed: 0 };

function anomaly(id: number, type: AnomalyType, entity: string, entityId: number, details: JsonObject, action: AnomalyAction): AnomalyRecord {
  return { id, type, entity, entityId, details, action, firstSeen: KNOWN_SINCE, lastSeen: RUN_AT, resolvedAt: null, jobExecutionId: 7 };
}

function input(anomalies: readonly AnomalyRecord[], newIds: readonly number[], figures = noFigures, people?: ReadonlyMap<string, AnomalyPeople>): AnomalyReportInput {
  return {
    people,
    runAt: RUN_AT,
    timeZone: 'Europe/Paris',
    generatedAt: new Date('2026-12-02T01:05:00Z'),
    logo: { svg: readFileSync(new URL('../../../assets/logo.svg', import.meta.url), 'utf8') },
    anomalies,
    newIds: new Set(newIds),
    figures,
  };
}

/** The pages' text with every run of white space (line ends of wrapped cells included) as one space. */
async function render(report: AnomalyReportInput): Promise<{ pages: readonly string[]; text: string }> {
  const doc = anomalyReportDocument(report);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => doc.on('end', resolve));
  doc.end();
  await ended;
  const pages = (await readPdf(Buffer.concat(chunks))).map((p) => p.text.replace(/\s+/g, ' '));
  return { pages, text: pages.join(' ') };
}

describe('the anomaly report', () => {
  it('lists every open anomaly under its French heading with its details in words, its people by name, how long it has been open and its action, after the counts', async () => {
    const LEFT = 'aucune (inscription suspendue pour un autre motif, rejetée ou archivée)';
    const anomalies = [
      anomaly(1, 'UTILISATEUR_INEXISTANT', 'inscription', 41, { doctorantId: 901, statut: 'VALIDÉ', archived: false, correction: 'SUSPENDU' }, 'AUTO_CORRIGÉE'),
      anomaly(2, 'UTILISATEUR_INEXISTANT', 'inscription', 42, { doctorantId: 902, statut: 'EN_ATTENTE', archived: false, correction: 'déjà SUSPENDU (motif UTILISATEUR_INEXISTANT)' }, 'AUTO_CORRIGÉE'),
      anomaly(3, 'UTILISATEUR_INEXISTANT', 'inscription', 43, { doctorantId: 903, correction: 'SUSPENDU' }, 'AUTO_CORRIGÉE'),
      anomaly(4, 'FICHIER_MANQUANT', 'document', 7, { chemin: 'theses/7.pdf', inscriptionId: 41 }, 'INTERVENTION_REQUISE'),
      anomaly(5, 'FICHIER_MANQUANT', 'soutenance_document', 8, { chemin: 'pv/8.pdf', soutenanceId: 9 }, 'INTERVENTION_REQUISE'),
      { ...anomaly(6, 'UTILISATEUR_INEXISTANT', 'inscription', 44, { doctorantId: 904, statut: 'REJETÉ', archived: false, correction: LEFT }, 'INTERVENTION_REQUISE'), firstSeen: new Date('2026-11-20T22:00:00Z') },
      anomaly(7, 'PREMIERE_INSCRIPTION_DIVERGENTE', 'doctorant', 14, { datesPremiereInscription: ['2022-10-01', '2023-10-01'], dateRetenue: '2022-10-01' }, 'INTERVENTION_REQUISE'),
      anomaly(8, 'INSCRIPTION_INVALIDE', 'soutenance', 9, { inscriptionId: 77, inscriptionStatut: 'SUSPENDU', statut: 'PLANIFIEE', correction: 'BLOQUEE' }, 'AUTO_CORRIGÉE'),
      // A row an earlier version stored as corrected though nothing was changed.
      anomaly(9, 'UTILISATEUR_INEXISTANT', 'inscription', 45, { doctorantId: 905, statut: 'SUSPENDU', archived: false, correction: 'aucune (déjà suspendue pour un autre motif)' }, 'AUTO_CORRIGÉE'),
    ];
    const curie = { id: 12, name: 'Marie Curie' };
    const people = new Map<string, AnomalyPeople>([
      ['inscription:41', { doctorant: { id: 901, name: null }, directeur: curie }],
      ['inscription:44', { doctorant: { id: 904, name: null }, directeur: curie }],
      ['soutenance:9', { doctorant: { id: 14, name: 'Jean Dupont' }, directeur: curie }],
      ['doctorant:14', { doctorant: { id: 14, name: 'Jean Dupont' }, directeur: curie }],
      ['document:7', { doctorant: { id: 15, name: 'Zoé Ménard' }, directeur: curie }],
    ]);
    const figures = { autoCorrected: 3, rolesAdded: 4, rolesRemoved: 2, orphansMoved: 6, notificationsSent: 9, notificationsFailed: 1 };
    const { pages, text } = await render(input(anomalies, [1, 3, 5, 8], figures, people));

    expect(text).toContain('Rapport d’anomalies — 2 décembre 2026');
    // Tonight's corrections (a figure of the run), apart from the stock of open anomalies by action.
    expect(text).toContain('Anomalies ouvertes 9 Nouvelles cette nuit 4 Corrigées cette nuit 3 Intervention requise 5');
    expect(text).toContain('Rôles ajoutés : 4 · rôles retirés : 2 · fichiers orphelins déplacés : 6 · notifications renvoyées : 9, en échec : 1.');
    // The summary row of each type present: open anomalies, new ones, needing a person.
    expect(text).toContain(`${HEADINGS.UTILISATEUR_INEXISTANT} 5 2 2`);
    expect(text).toContain(`${HEADINGS.INSCRIPTION_INVALIDE} 1 1 0`);
    expect(text).toContain(`${HEADINGS.FICHIER_MANQUANT} 2 1 2`);
    expect(text).toContain(`${HEADINGS.PREMIERE_INSCRIPTION_DIVERGENTE} 1 0 1`);

    // Waiting for a person, oldest first, with how long they have been open.
    const waiting = text.slice(text.indexOf('À traiter par une personne'));
    const firstSection = text.indexOf(HEADINGS.UTILISATEUR_INEXISTANT, text.indexOf('À traiter par une personne'));
    expect(text.indexOf('À traiter par une personne')).toBeGreaterThan(0);
    const waitingRows = [
      'Doctorant inexistant Inscription n° 45 Doctorant : n° 905 29 jours 3 novembre 2026',
      'Document absent du disque Document d’inscription n° 7 Doctorant : Zoé Ménard (n° 15) Directeur de thèse : Marie Curie (n° 12) 29 jours 3 novembre 2026',
      'Dates de première inscription divergentes Doctorant n° 14 Doctorant : Jean Dupont (n° 14) Directeur de thèse : Marie Curie (n° 12) 29 jours 3 novembre 2026',
      'Document absent du disque Document de soutenance n° 8 Nouvelle cette nuit 3 novembre 2026',
      'Doctorant inexistant Inscription n° 44 Doctorant : n° 904, sans compte utilisateur Directeur de thèse : Marie Curie (n° 12) 12 jours 20 novembre 2026',
    ];
    for (const row of waitingRows) expect(waiting.slice(0, firstSection), `waiting for a person:\n${text}`).toContain(row);

    // New ones first within a type, then those waiting for a person, oldest first, then by entity and id.
    const rows = [
      'Inscription n° 41 Doctorant : n° 901, sans compte utilisateur Directeur de thèse : Marie Curie (n° 12) Statut : validée Archivée : non Correction : inscription suspendue Nouvelle cette nuit Corrigée automatiquement',
      'Inscription n° 43 Doctorant : n° 903 Correction : inscription suspendue Nouvelle cette nuit Corrigée automatiquement',
      'Inscription n° 45 Doctorant : n° 905 Statut : suspendue Archivée : non Correction : aucune (suspendue pour un autre motif, rejetée ou archivée) Depuis le 3 novembre 2026 (29 jours) Intervention requise',
      'Inscription n° 44 Doctorant : n° 904, sans compte utilisateur Directeur de thèse : Marie Curie (n° 12) Statut : rejetée Archivée : non Correction : aucune (suspendue pour un autre motif, rejetée ou archivée) Depuis le 20 novembre 2026 (12 jours) Intervention requise',
      'Inscription n° 42 Doctorant : n° 902 Statut : en attente Archivée : non Correction : déjà suspendue pour ce motif Depuis le 3 novembre 2026 (29 jours) Correction déjà en place',
      'Soutenance n° 9 Doctorant : Jean Dupont (n° 14) Directeur de thèse : Marie Curie (n° 12) Inscription : n° 77 Statut de l’inscription : suspendue Statut : planifiée Correction : soutenance bloquée Nouvelle cette nuit Corrigée automatiquement',
      'Document de soutenance n° 8 Fichier : pv/8.pdf Soutenance : n° 9 Nouvelle cette nuit Intervention requise',
      'Document d’inscription n° 7 Doctorant : Zoé Ménard (n° 15) Directeur de thèse : Marie Curie (n° 12) Fichier : theses/7.pdf Inscription : n° 41 Depuis le 3 novembre 2026 (29 jours) Intervention requise',
      'Doctorant n° 14 Doctorant : Jean Dupont (n° 14) Directeur de thèse : Marie Curie (n° 12) Dates de première inscription : 1er octobre 2022 et 1er octobre 2023 Date retenue : 1er octobre 2022 Depuis le 3 novembre 2026 (29 jours) Intervention requise',
    ];
    const positions = rows.map((row) => text.indexOf(row, firstSection));
    expect(positions.every((p) => p >= 0), `rows missing from:\n${text}`).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // No code, no JSON in the details: statuts, keys and booleans in words.
    for (const code of ['PLANIFIEE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU', 'inscriptionStatut', 'archived', 'false', 'doctorantId', 'déjà SUSPENDU', 'BLOQUEE']) expect(text).not.toContain(code);

    const sectionAt = (type: AnomalyType) => text.lastIndexOf(HEADINGS[type]);
    expect(sectionAt('UTILISATEUR_INEXISTANT')).toBeLessThan(positions[0]!);
    expect(sectionAt('FICHIER_MANQUANT')).toBeGreaterThan(positions[5]!);
    expect(sectionAt('FICHIER_MANQUANT')).toBeLessThan(positions[6]!);
    expect(text).toContain('l’inscription est suspendue');
    expect(text).toContain('intervention requise : restaurer le fichier depuis une sauvegarde ou corriger la référence');
    pages.forEach((page, i) => expect(page).toContain(`Généré le 2 décembre 2026 à 02:05 — page ${i + 1} / ${pages.length}`));
  });

  it('has a section exactly for the types present, every row in it, and the counts of what it lists', async () => {
    const planted = fc
      .uniqueArray(fc.record({ entityId: fc.integer({ min: 1, max: 99_999 }), type: fc.constantFrom(...ANOMALY_TYPES), action: fc.constantFrom<AnomalyAction>('AUTO_CORRIGÉE', 'INTERVENTION_REQUISE'), fresh: fc.boolean() }), {
        maxLength: 25,
        selector: (a) => a.entityId,
      })
      .map((list) => list.map((a, i) => ({ ...anomaly(i + 1, a.type, 'soutenance', a.entityId, { inscriptionId: a.entityId + 1 }, a.action), fresh: a.fresh })));
    await fc.assert(
      fc.asyncProperty(planted, async (list) => {
        const { text } = await render(input(list, list.filter((a) => a.fresh).map((a) => a.id)));
        const auto = list.filter((a) => a.action === 'AUTO_CORRIGÉE').length;
        expect(text).toContain(`Anomalies ouvertes ${list.length} Nouvelles cette nuit ${list.filter((a) => a.fresh).length} Corrigées cette nuit 0 Intervention requise ${list.length - auto}`);
        for (const type of ANOMALY_TYPES) expect(text.includes(HEADINGS[type])).toBe(list.some((a) => a.type === type));
        for (const a of list) {
          expect(text).toContain(`Soutenance n° ${n(a.entityId)} Inscription : n° ${n(a.entityId + 1)} ${a.fresh ? 'Nouvelle cette nuit' : 'Depuis le 3 novembre 2026 (29 jours)'} ${ACTIONS[a.action]}`);
        }
        expect(text.includes('Aucune anomalie ouverte')).toBe(list.length === 0);
      }),
      { numRuns: 30 },
    );
  });

  it('spreads 1,200 anomalies of one type over pages with the table header on each, lists 500 and says how many more', async () => {
    const anomalies = Array.from({ length: 1_200 }, (_, i) => anomaly(i + 1, 'FICHIER_MANQUANT', 'document', i + 1, { chemin: `theses/${i + 1}.pdf` }, 'INTERVENTION_REQUISE'));
    // Ten new ones beyond the first 500 ids: new anomalies come first, so they are not cut.
    const fresh = Array.from({ length: 10 }, (_, i) => 1_101 + i);
    const { pages, text } = await render(input(anomalies, fresh));

    const listed = (id: number) => text.includes(`Document d’inscription n° ${n(id)} Fichier : theses/${id}.pdf `);
    for (const id of [...fresh, 1, 250, 490]) expect(listed(id), `document ${id}`).toBe(true);
    for (const id of [491, 800, 1_100, 1_200]) expect(listed(id), `document ${id}`).toBe(false);
    expect(text.match(/ Intervention requise /g)?.length).toBeGreaterThanOrEqual(500);
    expect(text).toContain('… et 700 de plus, non listées ici');
    // Every page holding rows shows the table's header, and the note about the rest is in one piece.
    const withRows = pages.filter((page) => /Document d’inscription n° [\d ]+ Fichier/.test(page));
    expect(withRows.length).toBeGreaterThan(5);
    withRows.forEach((page) => expect(page).toContain('Élément Détails Ouverte Action'));
    expect(pages.filter((page) => page.includes('… et 700 de plus, non listées ici') && page.includes('type=FICHIER_MANQUANT.')).length).toBe(1);
    pages.forEach((page, i) => expect(page).toContain(`page ${i + 1} / ${pages.length}`));
  });

  it('lists exactly 500 anomalies of a type in full, with no « de plus »', async () => {
    const anomalies = Array.from({ length: 500 }, (_, i) => anomaly(i + 1, 'UTILISATEUR_INEXISTANT', 'inscription', i + 1, { doctorantId: 10_000 + i }, 'AUTO_CORRIGÉE'));
    const { text } = await render(input(anomalies, []));
    expect(text).toContain(`Inscription n° 500 Doctorant : n° ${n(10_499)} Depuis le 3 novembre 2026 (29 jours) Correction déjà en place`);
    expect(text).not.toContain('de plus');
  });

  it('names the file after the date of the run in the batch time zone', () => {
    expect(anomalyReportFileName(new Date('2026-12-01T23:30:00Z'), 'Europe/Paris')).toBe('rapport_anomalies_2026_12_02.pdf');
    expect(anomalyReportFileName(new Date('2026-12-01T23:30:00Z'), 'UTC')).toBe('rapport_anomalies_2026_12_01.pdf');
  });
});
