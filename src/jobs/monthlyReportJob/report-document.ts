/**
 * The monthly report's content (3.6), for the dean and the administrators: French labels,
 * French numbers, the month's key figures first with their change against the month
 * before, two charts, a table per category, and the alerts when there are any. An empty
 * month gives a valid report saying so, never a division by zero.
 * Labels say what is counted: « doctorants » are people, « inscriptions » are yearly
 * rows; a rate names its numerator and denominator; what cannot be known as of the month
 * (roles, the enabled flag, statuts) says it is as computed.
 */
import { barChart, donutChart } from '../../pdf/charts.js';
import {
  COLORS,
  charts,
  createReportDocument,
  formatFrenchDate,
  formatNumber,
  formatPercent,
  formatTime,
  footers,
  kpiBand,
  paragraph,
  paragraphHeight,
  sectionTitle,
  table,
  tableLeadHeight,
  type Kpi,
  type ReportDocument,
} from '../../pdf/report-kit.js';
import type { DefenseStats } from './defense-stats.js';
import { TOP_DIRECTEURS, type EnrollmentStats } from './enrollment-stats.js';
import type { NotificationStats } from './notification-stats.js';
import type { ReportAlerts } from './report-alerts.js';
import type { ReportPeriod } from './report-period.js';
import type { MonthFigures } from './report-snapshot.js';
import type { UserStats } from './user-stats.js';
import { ANOMALY_OUTCOME_LABELS, anomalyActionLabel, anomalyEntityLabel, anomalyTypeLabel, exitCodeLabel, exitMessageText, jobLabel } from '../../vocabulary/words-fr.js';

export interface ReportContent {
  readonly period: ReportPeriod;
  readonly current: MonthFigures;
  /** The month before (its snapshot), for the changes of the key figures. */
  readonly previous: MonthFigures;
  /** When the month's figures were computed: at its first report, unless recomputed since. */
  readonly computedAt: Date;
  /** The figures are the stored snapshot's, not computed by this run. */
  readonly fromSnapshot: boolean;
  readonly logo: { readonly svg: string } | { readonly png: string };
  readonly generatedAt: Date;
  readonly timeZone: string;
}

const STATUTS: Readonly<Record<string, string>> = { EN_ATTENTE: 'En attente', VALIDÉ: 'Validé', REJETÉ: 'Rejeté', SUSPENDU: 'Suspendu' };
const MENTIONS: Readonly<Record<string, string>> = {
  HONORABLE: 'Honorable',
  TRES_HONORABLE: 'Très honorable',
  TRES_HONORABLE_FELICITATIONS: 'Très honorable avec félicitations',
  SANS_MENTION: 'Sans mention',
};
const ROLES: Readonly<Record<string, string>> = {
  ROLE_ADMIN: 'Administrateurs',
  ROLE_DIRECTEUR: 'Directeurs de thèse',
  ROLE_DOCTORANT: 'Doctorants',
  // A role held by accounts, not the people counted as active doctorants above.
  ROLE_DOCTORANT_ACTIF: 'Rôle « doctorant actif »',
  ROLE_DOCTEUR: 'Docteurs',
};
const NOTIFICATION_STATUTS: Readonly<Record<string, string>> = { SENT: 'Envoyées', FAILED: 'En échec', PENDING: 'En attente' };
const NOTIFICATION_TYPES: Readonly<Record<string, string>> = {
  INSCRIPTION_VALIDEE: 'Inscription validée',
  INSCRIPTION_REJETEE: 'Inscription rejetée',
  SOUTENANCE_PLANIFIEE: 'Soutenance planifiée',
  SOUTENANCE_AUTORISEE: 'Soutenance autorisée',
  COMPTE_CREE: 'Compte créé',
  MOT_DE_PASSE_REINITIALISE: 'Mot de passe réinitialisé',
  RAPPEL: 'Rappel',
  DUREE_DOCTORAT_ALERT: 'Alerte de durée du doctorat',
};
const MONTH_ABBREVIATIONS = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'];

/** A code shown to a person: its French label, or the code made readable. */
const label = (labels: Readonly<Record<string, string>>, code: string) => labels[code] ?? code.replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase());
const entries = (record: Readonly<Record<string, number>>, labels: Readonly<Record<string, string>>) =>
  Object.entries(record)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => [label(labels, code), formatNumber(n)]);

function change(current: number | null, previous: number | null, asPoints = false): Kpi['change'] {
  if (current === null || previous === null) return { direction: 'same', text: 'pas de comparaison' };
  const delta = current - previous;
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'same';
  const text = asPoints ? `${formatNumber(Math.abs(delta) * 100, 1)} pt` : formatNumber(Math.abs(delta));
  return { direction, text: delta === 0 ? 'stable par rapport au mois précédent' : `${text} par rapport au mois précédent` };
}

/** Lays the report out; returns the document, still open, for the caller to stream and end. */
export function reportDocument(content: ReportContent): ReportDocument {
  const { period, current, previous, timeZone } = content;
  const doc = createReportDocument({
    title: `Rapport mensuel — ${period.label}`,
    subtitle: `École doctorale — du ${formatFrenchDate(period.start, timeZone)} au ${formatFrenchDate(new Date(period.end.getTime() - 1), timeZone)}`,
    logo: content.logo,
    author: 'batch-service',
  });
  const { enrollment, defense, notification, user, alerts } = current;

  kpiBand(doc, [
    { label: 'Nouvelles inscriptions', value: formatNumber(enrollment.newInscriptions.total), change: change(enrollment.newInscriptions.total, previous.enrollment.newInscriptions.total) },
    { label: 'Doctorants actifs en fin de mois', value: formatNumber(enrollment.activeDoctorants), change: change(enrollment.activeDoctorants, previous.enrollment.activeDoctorants) },
    { label: 'Soutenances tenues', value: formatNumber(defense.held), change: change(defense.held, previous.defense.held) },
    { label: 'Notifications envoyées / créées', value: formatPercent(notification.deliveryRate), change: change(notification.deliveryRate, previous.notification.deliveryRate, true) },
  ]);
  paragraph(
    doc,
    `Chiffres arrêtés au ${formatFrenchDate(new Date(period.end.getTime() - 1), timeZone)}, calculés le ${formatFrenchDate(content.computedAt, timeZone)} à ${formatTime(content.computedAt, timeZone)}` +
      (content.fromSnapshot ? ' et conservés depuis : ce rapport les reprend tels qu’ils ont été publiés.' : '.') +
      ' Les évolutions comparent avec les chiffres conservés du mois précédent.',
    COLORS.muted,
  );

  const quiet = enrollment.newInscriptions.total === 0 && defense.requests === 0 && defense.held === 0 && notification.total === 0 && user.newAccounts === 0;
  if (quiet) paragraph(doc, 'Aucune activité enregistrée ce mois-ci : ni inscription, ni soutenance, ni notification, ni nouveau compte.');

  const mentions = Object.entries(defense.byMention).map(([code, value]) => ({ name: label(MENTIONS, code), value }));
  const pie = mentions.some((m) => m.value > 0)
    ? donutChart('Soutenances par mention', mentions)
    : donutChart('Notifications du mois', Object.entries(notification.byStatut).map(([code, value]) => ({ name: label(NOTIFICATION_STATUTS, code), value })));
  charts(doc, [
    barChart(
      'Nouvelles inscriptions sur 12 mois',
      enrollment.trend.map((t) => `${MONTH_ABBREVIATIONS[Number(t.month.slice(5, 7)) - 1]} ${t.month.slice(2, 4)}`),
      enrollment.trend.map((t) => t.count),
    ),
    pie,
  ]);

  enrollmentSection(doc, enrollment);
  defenseSection(doc, defense);
  notificationSection(doc, notification);
  userSection(doc, user);
  alertsSection(doc, alerts, notification.pendingOver24h, timeZone);
  footers(doc, content.generatedAt, timeZone);
  return doc;
}

/** Whether the report's alerts section has anything to say. */
export function hasAlerts(alerts: ReportAlerts, pendingOver24h: number): boolean {
  return alerts.failedExecutions > 0 || alerts.durationOverruns > 0 || alerts.openAnomalies > 0 || pendingOver24h > 0;
}

/** A section's title kept with the first rows of the table that opens it, then that table. */
function titledTable(doc: ReportDocument, title: string, headers: readonly string[], rows: readonly (readonly string[])[], widths: readonly number[]): void {
  sectionTitle(doc, title, tableLeadHeight(doc, headers, rows, widths));
  table(doc, headers, rows, widths);
}

function enrollmentSection(doc: ReportDocument, s: EnrollmentStats): void {
  titledTable(doc, 'Inscriptions', ['Indicateur', 'Valeur'], [
    ['Nouvelles inscriptions (datées du mois)', formatNumber(s.newInscriptions.total)],
    ['dont premières inscriptions', formatNumber(s.newInscriptions.premiere)],
    ['dont réinscriptions', formatNumber(s.newInscriptions.reinscription)],
    ['Taux de validation (inscriptions validées / décidées)', formatPercent(s.validation.rate)],
    ['Inscriptions décidées (validées, rejetées ou suspendues)', formatNumber(s.validation.decided)],
    ['Inscriptions non décidées (en attente)', formatNumber(s.validation.undecided)],
    ['Doctorants actifs en fin de mois (personnes)', formatNumber(s.activeDoctorants)],
  ], [380, 115]);
  if (Object.keys(s.byStatut).length > 0) table(doc, ['Statut des nouvelles inscriptions (au calcul)', 'Inscriptions'], entries(s.byStatut, STATUTS), [380, 115]);
  table(doc, ['Durée du doctorat en fin de mois (doctorants actifs)', 'Doctorants'], [
    ['Moins de 3 ans', formatNumber(s.durationBands.moins3Ans)],
    ['De 3 à 6 ans', formatNumber(s.durationBands.troisAns)],
    ['Proche de 6 ans', formatNumber(s.durationBands.sixAns)],
    ['Plus de 6 ans', formatNumber(s.durationBands.depassement)],
    ['Total', formatNumber(s.activeDoctorants)],
  ], [380, 115]);
  if (s.topDirecteurs.length > 0) {
    const ties = s.topDirecteurs.length > TOP_DIRECTEURS ? ` — ${s.topDirecteurs.length} avec les ex æquo` : ', ex æquo compris';
    table(doc, [`Directeurs de thèse : les ${TOP_DIRECTEURS} premiers${ties}`, 'Doctorants actifs'], s.topDirecteurs.map((d) => [d.nom, formatNumber(d.doctorants)]), [380, 115]);
  }
}

function defenseSection(doc: ReportDocument, s: DefenseStats): void {
  const days = (value: number | null) => (value === null ? '—' : `${formatNumber(value, 1)} jours`);
  titledTable(doc, 'Soutenances', ['Indicateur', 'Valeur'], [
    ['Demandes de soutenance déposées', formatNumber(s.requests)],
    ['Soutenances tenues', formatNumber(s.held)],
    ['Délai moyen demande → soutenance', days(s.meanDelayDays)],
    ['Délai médian demande → soutenance', days(s.medianDelayDays)],
  ], [380, 115]);
  if (s.held > 0) table(doc, ['Mention', 'Soutenances'], entries(s.byMention, MENTIONS), [380, 115]);
}

function notificationSection(doc: ReportDocument, s: NotificationStats): void {
  titledTable(doc, 'Notifications', ['Indicateur', 'Valeur'], [
    ['Notifications créées dans le mois', formatNumber(s.total)],
    ...Object.entries(s.byStatut)
      .sort(([, a], [, b]) => b - a)
      .map(([code, n]) => [`dont ${label(NOTIFICATION_STATUTS, code).toLowerCase()} (statut au calcul)`, formatNumber(n)]),
    ['Taux d’envoi (envoyées / créées dans le mois, en attente comprises)', formatPercent(s.deliveryRate)],
  ], [380, 115]);
  if (Object.keys(s.byType).length > 0) table(doc, ['Type de notification', 'Nombre'], entries(s.byType, NOTIFICATION_TYPES), [380, 115]);
}

function userSection(doc: ReportDocument, s: UserStats): void {
  titledTable(doc, 'Utilisateurs', ['Indicateur', 'Valeur'], [
    ['Nouveaux comptes (créés dans le mois)', formatNumber(s.newAccounts)],
    ['Comptes existant en fin de mois', formatNumber(s.accounts)],
    ['dont activés aujourd’hui', formatNumber(s.enabled)],
    ['dont désactivés aujourd’hui', formatNumber(s.disabled)],
  ], [380, 115]);
  const roles = Object.keys({ ...s.byRole, ...s.newByRole });
  if (roles.length > 0) {
    table(doc, ['Rôle détenu aujourd’hui', 'Nouveaux comptes', 'Comptes en fin de mois'], roles.sort().map((r) => [label(ROLES, r), formatNumber(s.newByRole[r] ?? 0), formatNumber(s.byRole[r] ?? 0)]), [255, 120, 120]);
  }
  paragraph(doc, 'Les rôles et l’activation des comptes ne sont pas historisés : ils sont donnés tels qu’au calcul des chiffres, pour les comptes créés au plus tard en fin de mois.', COLORS.muted);
}

function alertsSection(doc: ReportDocument, alerts: ReportAlerts, pendingOver24h: number, timeZone: string): void {
  if (!hasAlerts(alerts, pendingOver24h)) return;
  const lines = [
    ...(alerts.openAnomalies > 0
      ? [`${formatNumber(alerts.openAnomalies)} anomalie(s) de cohérence ouverte(s) en fin de mois, dont ${formatNumber(alerts.anomaliesNeedingAPerson)} demandant une intervention.`]
      : []),
    ...(alerts.failedExecutions > 0 ? [`${formatNumber(alerts.failedExecutions)} exécution(s) de tâche en échec ce mois-ci.`] : []),
    ...(alerts.durationOverruns > 0 ? [`${formatNumber(alerts.durationOverruns)} doctorant(s) alerté(s) ce mois-ci pour dépassement de la durée maximale de 6 ans ; leur inscription a été suspendue.`] : []),
    ...(pendingOver24h > 0 ? [`${formatNumber(pendingOver24h)} notification(s) créée(s) ce mois-ci encore en attente plus de 24 heures après leur création.`] : []),
  ];
  const anomalyHeaders = ['Anomalie ouverte en fin de mois', 'Élément', 'Action', 'Depuis le'];
  const anomalyRows = alerts.anomalies.map((a) => [anomalyTypeLabel(a.type), `${anomalyEntityLabel(a.entity)} n° ${formatNumber(a.entityId)}`, a.outcome === undefined ? anomalyActionLabel(a.action) : ANOMALY_OUTCOME_LABELS[a.outcome], formatFrenchDate(new Date(a.firstSeen), timeZone)]);
  const anomalyWidths = [155, 110, 120, 110];
  // The title stands with every line under it, and with the first rows of the table when the lines lead to one.
  const bullets = lines.reduce((sum, line) => sum + paragraphHeight(doc, `• ${line}`), 0);
  sectionTitle(doc, 'Alertes', bullets + (anomalyRows.length > 0 ? tableLeadHeight(doc, anomalyHeaders, anomalyRows, anomalyWidths) + 10 : 0));
  for (const line of lines) paragraph(doc, `• ${line}`);
  if (alerts.anomalies.length > 0) {
    doc.moveDown(0.5);
    const more = alerts.openAnomalies - alerts.anomalies.length;
    table(doc, anomalyHeaders, anomalyRows, anomalyWidths);
    if (more > 0) paragraph(doc, `Les ${formatNumber(alerts.anomalies.length)} plus anciennes (intervention requise d’abord), et ${formatNumber(more)} autre(s).`, COLORS.muted);
  }
  if (alerts.failures.length > 0) {
    doc.moveDown(0.5);
    table(doc, ['Tâche', 'Exécution', 'Cause'], alerts.failures.map((f) => [jobLabel(f.jobName), `n° ${f.executionId}`, f.message ? exitMessageText(f.message) : exitCodeLabel(f.exitCode)]), [150, 70, 275]);
  }
}
