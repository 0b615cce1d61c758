/**
 * dureeDoctoratAlertJob (requirements 2.1–2.10): one step per duration band, each
 * reading the doctorants active at the run's date whose first enrollment may be in its
 * band and who were not alerted for it yet (pages and chunks of 50), keeping those that
 * are in it (calendar arithmetic at the run's date in BATCH_TIMEZONE), and recording each
 * alert once ever with its event; overruns suspend the inscription that makes the
 * doctorant active.
 */
import type { DatabaseHandle } from '../../db/connect.js';
import type { DefenseDb } from '../../db/schema/sibling-tables.js';
import { keysetPosition } from '../../engine/keyset-reader.js';
import type { ChunkStep, JobDefinition, StepRunContext } from '../../engine/types.js';
import type { TypeAlerte } from '../../events/event-types.js';
import { alertCandidateReader, countAlertCandidates, type ActiveInscription, type CandidateQuery } from './alert-candidate-reader.js';
import { alertWriter, MissingUserError, type AlertCandidate, type AlertWriterDeps } from './alert-writer.js';
import { dateInZone, daysBetween, yearsAndMonths } from '../../doctorate/calendar.js';
import { candidateRange, durationBand } from '../../doctorate/duration-band.js';

export const DUREE_DOCTORAT_ALERT_JOB = 'dureeDoctoratAlertJob';

/** What the writer needs (databases, topic, fault injection), plus the job's own settings. */
export interface DureeAlertDeps extends Pick<AlertWriterDeps, 'batch' | 'user' | 'inscription' | 'topic' | 'afterAlertsRecorded'> {
  /** Where the defenses are: a doctorant who defended is no longer active. */
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly timeZone: string;
  /** The warning window before 6 years, in months (default 6). */
  readonly warningMonths: number;
  /** 2.8: page and chunk size. */
  readonly chunkSize: number;
  /** Inscriptions whose doctorant is missing from userdb may be skipped up to this many. */
  readonly skipLimit: number;
}

const STEPS: readonly (readonly [string, TypeAlerte])[] = [
  ['check3YearThresholdStep', '3_ANS'],
  ['check6YearThresholdStep', '6_ANS'],
  ['checkExceeded6YearStep', 'DEPASSEMENT'],
];

export function dureeDoctoratAlertJob(deps: DureeAlertDeps): JobDefinition {
  const query = (band: TypeAlerte, ctx: StepRunContext): CandidateQuery => {
    const runDate = dateInZone(ctx.runAt, deps.timeZone);
    return { band, runDate, range: candidateRange(band, runDate, deps.warningMonths), jobExecutionId: ctx.jobExecutionId };
  };
  const step = (name: string, band: TypeAlerte): ChunkStep<ActiveInscription, AlertCandidate> => ({
    kind: 'chunk',
    name,
    chunkSize: deps.chunkSize,
    reader: (ctx) => alertCandidateReader(deps, query(band, ctx), ctx.restoredContext),
    estimate: (ctx) => countAlertCandidates(deps, query(band, ctx), keysetPosition(ctx.restoredContext)),
    processor: (inscription, ctx) => {
      const runDate = dateInZone(ctx.runAt, deps.timeZone);
      if (durationBand(inscription.datePremiereInscription, runDate, deps.warningMonths) !== band) return null;
      return {
        inscription,
        type: band,
        days: daysBetween(inscription.datePremiereInscription, runDate),
        ...yearsAndMonths(inscription.datePremiereInscription, runDate),
      };
    },
    writer: (ctx) =>
      alertWriter({ ...deps, runAt: ctx.runAt, jobExecutionId: ctx.jobExecutionId }),
    skip: { limit: deps.skipLimit, skippable: (error) => error instanceof MissingUserError },
    // The next page starts after this chunk's last doctorant; suspending this chunk's inscriptions cannot move it.
    readAhead: true,
    describeItem: (item) => {
      const inscription = 'inscription' in item ? item.inscription : item;
      return { inscriptionId: inscription.id, doctorantId: inscription.doctorantId };
    },
  });
  return {
    name: DUREE_DOCTORAT_ALERT_JOB,
    description: 'Alerts at 3 years, near 6 years and past 6 years of doctorate; suspends overruns',
    steps: STEPS.map(([name, band]) => step(name, band)),
    // 2.10: alerts actually recorded (and published) per type, counted in alerte_duree_envoyee
    // under this instance's executions: exact after a crash, a replay or a skip scan,
    // where step counts can miss chunks. A dry run records nothing: its would-write counts.
    metrics: async (steps, _jobContext, execution) => {
      const byType = execution.dryRun
        ? new Map(STEPS.map(([name, band]) => [band, steps.get(name)?.counts.wouldWrite ?? 0]))
        : await alertsRecordedByInstance(deps, execution.instanceId);
      const metrics = {
        alertes3Ans: byType.get('3_ANS') ?? 0,
        alertes6Ans: byType.get('6_ANS') ?? 0,
        alertesDepassement: byType.get('DEPASSEMENT') ?? 0,
      };
      // 2.6: each overrun alert suspends one inscription, the doctorant's latest (VALIDÉ, as they are
      // active); counted from the rows, so a person's change meanwhile shows as a difference.
      const inscriptionsSuspendues = execution.dryRun ? metrics.alertesDepassement : await suspendedByInstance(deps, execution.instanceId);
      return { ...metrics, totalAlertes: metrics.alertes3Ans + metrics.alertes6Ans + metrics.alertesDepassement, inscriptionsSuspendues };
    },
    dryRunWords: {
      alertes3Ans: 'would send {n} three-year alerts',
      alertes6Ans: 'would send {n} alerts nearing six years',
      alertesDepassement: 'would send {n} overrun alerts',
      totalAlertes: 'would send {n} alerts in all',
      inscriptionsSuspendues: 'would suspend {n} inscriptions (DUREE_MAXIMALE_DEPASSEE)',
    },
  };
}

async function alertsRecordedByInstance(deps: DureeAlertDeps, instanceId: number): Promise<ReadonlyMap<string, number>> {
  const rows = await deps.batch.db
    .selectFrom('alerte_duree_envoyee')
    .select(['type_alerte', (eb) => eb.fn.countAll<number>().as('n')])
    .where('job_execution_id', 'in', (eb) => eb.selectFrom('batch_job_execution').select('id').where('job_instance_id', '=', instanceId))
    .groupBy('type_alerte')
    .execute();
  return new Map(rows.map((r) => [r.type_alerte, Number(r.n)]));
}

/** Inscriptions suspended for an overrun alert of this instance and still suspended for it. */
async function suspendedByInstance(deps: DureeAlertDeps, instanceId: number): Promise<number> {
  const alerted = await deps.batch.db
    .selectFrom('alerte_duree_envoyee')
    .select('inscription_id')
    .where('type_alerte', '=', 'DEPASSEMENT')
    .where('job_execution_id', 'in', (eb) => eb.selectFrom('batch_job_execution').select('id').where('job_instance_id', '=', instanceId))
    .execute();
  const ids = alerted.map((r) => Number(r.inscription_id));
  let suspended = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const row = await deps.inscription.db
      .selectFrom('inscriptions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', 'in', ids.slice(i, i + 1000))
      .where('statut', '=', 'SUSPENDU')
      .where('motif_suspension', '=', 'DUREE_MAXIMALE_DEPASSEE')
      .executeTakeFirstOrThrow();
    suspended += Number(row.n);
  }
  return suspended;
}
