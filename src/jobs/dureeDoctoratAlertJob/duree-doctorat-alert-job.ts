/**
 * dureeDoctoratAlertJob (requirements 2.1–2.10): one step per duration band, each
 * reading the active inscriptions that may be in its band (pages and chunks of 50),
 * keeping those that are (calendar arithmetic at the run's date in BATCH_TIMEZONE),
 * and recording each alert once ever with its event; overruns suspend the inscription.
 */
import type { ChunkStep, JobDefinition } from '../../engine/types.js';
import type { TypeAlerte } from '../../events/event-types.js';
import { activeInscriptionReader, type ActiveInscription } from './active-inscription-reader.js';
import { alertWriter, MissingUserError, type AlertCandidate, type AlertWriterDeps } from './alert-writer.js';
import { dateInZone, daysBetween, yearsAndMonths } from './calendar.js';
import { candidateRange, durationBand } from './duration-band.js';

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
  const step = (name: string, band: TypeAlerte): ChunkStep<ActiveInscription, AlertCandidate> => ({
    kind: 'chunk',
    name,
    chunkSize: deps.chunkSize,
    reader: (ctx) =>
      activeInscriptionReader(deps.inscription, candidateRange(band, dateInZone(ctx.runAt, deps.timeZone), deps.warningMonths), ctx.restoredContext),
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
    // 2.10: alerts actually recorded (and published) per type.
    metrics: (steps) => {
      const count = (name: string) => steps.get(name)?.counts.write ?? 0;
      const metrics = {
        alertes3Ans: count('check3YearThresholdStep'),
        alertes6Ans: count('check6YearThresholdStep'),
        alertesDepassement: count('checkExceeded6YearStep'),
      };
      return { ...metrics, totalAlertes: metrics.alertes3Ans + metrics.alertes6Ans + metrics.alertesDepassement };
    },
  };
}
