/**
 * The French vocabulary covers every code the service produces (issue 24, item 1): at run
 * time over the code lists (the compiler checks the same through the `Record<Code, string>`
 * maps), and over the jobs the service really builds: their names, steps and figures.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Databases } from '../../src/db/databases.js';
import { ExecutionContext } from '../../src/engine/execution-context.js';
import type { JobExecution } from '../../src/engine/types.js';
import { createJobs, type JobServices } from '../../src/jobs/registry.js';
import * as codes from '../../src/vocabulary/codes.js';
import * as words from '../../src/vocabulary/words-fr.js';

const LISTS: readonly [string, readonly string[], Readonly<Record<string, string>>][] = [
  ['BATCH_STATUSES', codes.BATCH_STATUSES, words.STATUS_LABELS],
  ['TRIGGER_TYPES', codes.TRIGGER_TYPES, words.TRIGGER_LABELS],
  ['EXIT_CODES', codes.EXIT_CODES, words.EXIT_CODE_LABELS],
  ['JOB_NAMES', codes.JOB_NAMES, words.JOB_LABELS],
  ['STEP_NAMES', codes.STEP_NAMES, words.STEP_LABELS],
  ['FIGURE_NAMES', codes.FIGURE_NAMES, words.FIGURE_LABELS],
  ['HEALTH_COMPONENTS', codes.HEALTH_COMPONENTS, words.HEALTH_COMPONENT_LABELS],
  ['HEALTH_STATUSES', codes.HEALTH_STATUSES, words.HEALTH_STATUS_LABELS],
  ['HEALTH_DETAIL_KEYS', codes.HEALTH_DETAIL_KEYS, words.HEALTH_DETAIL_LABELS],
  ['EVENT_BROKER_MODES', codes.EVENT_BROKER_MODES, words.EVENT_BROKER_MODE_LABELS],
  ['AUDIT_ACTIONS', codes.AUDIT_ACTIONS, words.AUDIT_ACTION_LABELS],
  ['AUDIT_DETAIL_KEYS', codes.AUDIT_DETAIL_KEYS, words.AUDIT_DETAIL_LABELS],
  ['ARCHIVE_OPERATIONS', codes.ARCHIVE_OPERATIONS, words.ARCHIVE_OPERATION_LABELS],
  ['ANOMALY_TYPES', codes.ANOMALY_TYPES, words.ANOMALY_TYPE_LABELS],
  ['ANOMALY_ACTIONS', codes.ANOMALY_ACTIONS, words.ANOMALY_ACTION_LABELS],
  ['ANOMALY_STATUSES', codes.ANOMALY_STATUSES, words.ANOMALY_STATUS_LABELS],
  ['ANOMALY_ENTITIES', codes.ANOMALY_ENTITIES, words.ANOMALY_ENTITY_LABELS],
  ['ANOMALY_DETAIL_KEYS', codes.ANOMALY_DETAIL_KEYS, words.ANOMALY_DETAIL_LABELS],
  ['RECORD_STATUSES', codes.RECORD_STATUSES, words.RECORD_STATUS_LABELS],
];

/** The jobs as the service builds them; nothing runs, so no database is opened. */
function serviceJobs() {
  const anything: object = new Proxy(() => anything, { get: (_target, key) => (key === 'then' ? undefined : anything), apply: () => anything });
  return createJobs(loadConfig({}), anything as Databases, anything as JobServices);
}

describe('the French vocabulary', () => {
  it.each(LISTS)('has a French label for every code of %s, and none for a code that does not exist', (_name, list, labels) => {
    for (const code of list) {
      expect(labels[code], code).toBeTruthy();
      // A code that reads as a French word already (`inscription`) may be its own label; the others may not.
      if (/[A-Z_]/.test(code)) expect(labels[code], code).not.toBe(code);
    }
    expect(Object.keys(labels).sort()).toEqual([...list].sort());
  });

  it('lists every job the service builds, every step of them and every figure they describe', () => {
    const jobs = serviceJobs();
    expect(jobs.map((j) => j.name).sort()).toEqual([...codes.JOB_NAMES].sort());
    const steps = jobs.flatMap((j) => j.steps.map((s) => s.name));
    expect(steps.filter((s) => !(codes.STEP_NAMES as readonly string[]).includes(s))).toEqual([]);
    const figures = jobs.flatMap((j) => Object.keys(j.dryRunWords ?? {}));
    expect(figures.filter((f) => !(codes.FIGURE_NAMES as readonly string[]).includes(f))).toEqual([]);
  });

  it('has a label for every figure the jobs record, as their metrics give them', async () => {
    // Each job's figures as it computes them from no step at all: a dry run's come from
    // the steps and the context alone; a real run's of the jobs that read no table for them.
    const names = new Set<string>();
    for (const job of serviceJobs()) {
      for (const dryRun of [true, false]) {
        try {
          const figures = await job.metrics?.(new Map(), new ExecutionContext(), { dryRun, instanceId: 1, id: 1 } as unknown as JobExecution);
          for (const name of Object.keys(figures ?? {})) names.add(name);
        } catch {
          // This job reads its real figures from the database (none here): its dry run's are checked.
          expect(dryRun).toBe(false);
        }
      }
    }
    expect(names.size).toBeGreaterThan(20);
    expect([...names].filter((name) => !(codes.FIGURE_NAMES as readonly string[]).includes(name))).toEqual([]);
  });

  it('says « tâche », never « job », in every label', () => {
    for (const [, , labels] of LISTS) for (const label of Object.values(labels)) expect(label).not.toMatch(/\bjobs?\b/i);
  });

  it('puts the engine’s English exit messages in French', () => {
    expect(words.exitMessageText('stopped on request during sendReportStep')).toBe('Arrêtée à la demande pendant l’étape « Envoi du rapport ».');
    expect(words.exitMessageText('stopped on request before generatePdfStep')).toBe('Arrêtée à la demande avant l’étape « Production du PDF ».');
    expect(words.exitMessageText('stopped on request')).toBe('Arrêtée à la demande.');
    expect(words.exitMessageText('cleanupLogsStep failed: ENOSPC: no space left on device')).toBe('Échec de l’étape « Nettoyage des journaux et notifications » : ENOSPC: no space left on device.');
    const abandoned = words.exitMessageText('abandoned: no heartbeat since 2026-10-01T07:00:00.000Z (process killed?); restart it to resume');
    expect(abandoned).toMatch(/^Abandonnée : plus de signe de vie .* 1er octobre 2026 à \d\d:00 .*Relancez-la pour reprendre\.$/);
    // Said once: the engine's message ends with « restart it to resume » after a '; '.
    expect(abandoned.match(/Relancez-la/g)).toHaveLength(1);
    const lowerBound = 'Les comptes de « Archivage des inscriptions » sont des minimums : ce qui a été enregistré sans que l’exécution le sache (arrêt brutal, connexion perdue) n’y figure pas.';
    expect(words.exitMessageText('sendReportStep: 1 of 3 recipients not reached; counts of archiveEnrollmentsStep are a lower bound: chunks that committed without the run knowing it (a crash, a lost connection) are not counted')).toBe(
      `Avertissement de l’étape « Envoi du rapport » : 1 of 3 recipients not reached. ${lowerBound}`,
    );
    // An execution recorded with the earlier wording reads the same.
    expect(words.exitMessageText('counts of archiveEnrollmentsStep are a lower bound: chunks committed after the last checkpoint before a crash are not counted')).toBe(lowerBound);
    expect(words.exitMessageText('its figures could not be read: Lock wait timeout exceeded')).toBe(
      'Ses chiffres n’ont pas pu être lus (Lock wait timeout exceeded) ; relancez-la pour les obtenir, sans refaire ses étapes.',
    );
    expect(words.exitMessageText(null)).toBe('');
  });

  it('reads figures with their units', () => {
    expect(words.figureLabel('refreshTokensDeleted')).toBe('Jetons de rafraîchissement supprimés');
    expect(words.figureValue('pdfSizeBytes', 2_621_440)).toBe('2,5\u00A0Mo');
    expect(words.figureValue('generationMs', 245_000)).toBe('4 minutes 5 secondes');
    expect(words.figureValue('totalDeleted', 12345)).toBe('12\u202f345');
    expect(words.figureValue('wouldChange', { inscriptions: { count: 2, first: ['…'] }, roles: { count: 1, first: [] }, orphans: { count: 0, first: [] } })).toBe('2 inscriptions, 1 rôle et 0 fichier orphelin');
  });

  it('describes audit entries in a sentence and a list, without JSON or codes', () => {
    const end = words.auditDescription(
      { action: 'JOB_EXECUTION_END', actor: null, target: 'tokenCleanupJob#12', details: { status: 'STOPPED', exitCode: 'STOPPED', exitMessage: 'stopped on request during cleanupRefreshTokensStep', trigger: 'SCHEDULED', dryRun: false, parameters: {}, read: 1500, written: 1200, skipped: 0 } },
      'Europe/Paris',
    );
    expect(end.sentence).toBe('L’exécution n° 12 de la tâche « Nettoyage des jetons expirés » s’est terminée : arrêtée.');
    expect(end.facts).toContainEqual({ label: 'Message', value: 'Arrêtée à la demande pendant l’étape « Suppression des jetons de rafraîchissement expirés ».' });
    expect(end.facts).toContainEqual({ label: 'Déclenchement', value: 'planifiée' });
    expect(end.facts).toContainEqual({ label: 'Éléments lus', value: '1\u202f500' });
    const text = [end.sentence, ...end.facts.flatMap((f) => [f.label, f.value])].join('\n');
    expect(text).not.toMatch(/STOPPED|SCHEDULED|tokenCleanupJob|exitMessage|[{}"]/);
    const download = words.auditDescription({ action: 'ARCHIVE_ACCESS', actor: 'alice', target: 'inscription#7', details: { operation: 'download', sizeBytes: 104_857_600 } });
    expect(download.sentence).toBe('alice a téléchargé l’archive de l’inscription n° 7.');
    expect(download.facts).toEqual([{ label: 'Taille', value: '100\u00A0Mo' }]);
  });

  it('describes anomalies in a sentence and a list, without JSON or codes', () => {
    const a = words.anomalyDescription({ type: 'INSCRIPTION_INVALIDE', entity: 'soutenance', entityId: 42, action: 'AUTO_CORRIGÉE', details: { inscriptionId: 7, inscriptionStatut: 'EN_ATTENTE', statut: 'PLANIFIEE', correction: 'BLOQUEE' } });
    expect(a.sentence).toBe('La soutenance n° 42 s’appuie sur l’inscription n° 7, qui est en attente et non validée. La tâche a bloqué la soutenance.');
    expect(a.facts).toEqual([
      { label: 'Inscription', value: 'n° 7' },
      { label: 'Statut de l’inscription', value: 'en attente' },
      { label: 'Statut', value: 'planifiée' },
      { label: 'Correction', value: 'soutenance bloquée' },
    ]);
    const dates = words.anomalyDescription({ type: 'PREMIERE_INSCRIPTION_DIVERGENTE', entity: 'doctorant', entityId: 3, action: 'INTERVENTION_REQUISE', details: { datesPremiereInscription: ['2021-10-01', '2022-10-01'], dateRetenue: '2021-10-01' } });
    expect(dates.sentence).toContain('(1er octobre 2021 et 1er octobre 2022)');
  });

  it('describes the health details in words: sizes, free space, the outbox mode', () => {
    const disk = words.healthFacts('diskSpace', { threshold: 104_857_600, paths: { '/srv/batch': { total: 53_687_091_200, free: 21_474_836_480 } } });
    expect(disk).toEqual([
      { label: 'Seuil d’alerte', value: 'alerte sous 100\u00A0Mo libres' },
      { label: 'Espace libre dans /srv/batch', value: '20\u00A0Go sur 50\u00A0Go' },
    ]);
    const broker = words.healthFacts('eventBroker', { mode: 'outbox only (KAFKA_BROKERS not set)', pending: 2, delivered: 10, failed: 0 });
    expect(broker[0]).toEqual({ label: 'Mode', value: 'boîte d’envoi seule : aucun serveur Kafka configuré, les événements attendent dans la base' });
  });

  it('keeps an unknown code as it is rather than failing', () => {
    expect(words.statusLabel('NEWSTATUS')).toBe('NEWSTATUS');
    expect(words.auditActionLabel('toString')).toBe('toString');
  });
});
