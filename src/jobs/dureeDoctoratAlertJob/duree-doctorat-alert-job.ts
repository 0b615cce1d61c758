/**
 * dureeDoctoratAlertJob (requirements 2.1–2.10): one step per duration band, each
 * reading the active inscriptions that may be in its band (pages and chunks of 50),
 * keeping those that are (calendar arithmetic at the run's date in BATCH_TIMEZONE),
 * and recording each alert once ever with its event; overruns suspend the inscription.
 */
import { keysetPosition } from '../../engine/keyset-reader.js';
import type { ChunkStep, JobDefinition, StepRunContext } from '../../engine/types.js';
import type { TypeAlerte } from '../../events/event-types.js';
import { activeInscriptionReader, countActiveInscriptions, type ActiveInscription } from './active-inscription-reader.js';
import { alertWriter, MissingUserError, type AlertCandidate, type AlertWriterDeps } from './alert-writer.js';
import { dateInZone, daysBetween, yearsAndMonths } from '../../doctorate/calendar.js';
import { candidateRange, durationBand } from '../../doctorate/duration-band.js';

export const DUREE_DOCTORAT_ALERT_JOB = 'dureeDoctoratAlertJob';

/** What the writer needs (databases, topic, fault injection), plus the job's own settings. */
export interface DureeAlertDeps extends Pick<AlertWriterDeps, 'batch' | 'user' | 'inscription' | 'topic' | 'afterAlertsRecorded'> {
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
  const range = (band: TypeAlerte, ctx: StepRunContext) => candidateRange(band, dateInZone(ctx.runAt, deps.timeZone), deps.warningMonths);
  const step = (name: string, band: TypeAlerte): ChunkStep<ActiveInscription, AlertCandidate> => ({
    kind: 'chunk',
    name,
    chunkSize: deps.chunkSize,
    reader: (ctx) => activeInscriptionReader(deps.inscription, range(band, ctx), ctx.restoredContext),
    estimate: (ctx) => countActiveInscriptions(deps.inscription, range(band, ctx), keysetPosition(ctx.restoredContext)),
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
    // The next page starts after this chunk's last id; suspending this chunk's inscriptions cannot move it.
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
      return { ...metrics, totalAlertes: metrics.alertes3Ans + metrics.alertes6Ans + metrics.alertesDepassement };
    },
    dryRunWords: {
      alertes3Ans: 'would send {n} three-year alerts',
      alertes6Ans: 'would send {n} alerts nearing six years',
      alertesDepassement: 'would send {n} overrun alerts and suspend those inscriptions',
      totalAlertes: 'would send {n} alerts in all',
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
