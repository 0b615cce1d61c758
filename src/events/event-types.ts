/**
 * The events this service publishes on the notifications topic (README "Events").
 * Every event carries a unique `eventId`: delivery is at least once, consumers drop
 * duplicates by it.
 */
import type { TypeAlerte } from '../doctorate/duration-band.js';

export type { TypeAlerte };

export interface Person {
  readonly id: number;
  readonly email: string | null;
  readonly nom?: string | null;
  readonly prenom?: string | null;
}

/** 2.3, 2.5, 2.6: a doctorant crossed a duration threshold. */
export interface AlertEvent {
  readonly eventId: string;
  readonly type: 'DUREE_DOCTORAT_ALERT';
  readonly typeAlerte: TypeAlerte;
  readonly doctorant: Person;
  readonly directeur: Person | null;
  readonly inscriptionId: number;
  /** `YYYY-MM-DD` */
  readonly datePremiereInscription: string;
  readonly duree: { readonly jours: number; readonly annees: number; readonly mois: number };
  readonly recipients: readonly string[];
  readonly message: string;
  /** The run's reference instant (ISO-8601). */
  readonly occurredAt: string;
}

/** 1.6, 8.8: a job execution failed. */
export interface JobFailureEvent {
  readonly eventId: string;
  readonly type: 'JOB_FAILURE';
  readonly jobName: string;
  readonly executionId: number;
  readonly failedStep: string | null;
  readonly error: string;
  readonly restartCommand: string;
  readonly occurredAt: string;
}

/** 3.9: the monthly report of a month was generated and mailed. */
export interface MonthlyReportEvent {
  readonly eventId: string;
  readonly type: 'MONTHLY_REPORT_GENERATED';
  /** `YYYY-MM` */
  readonly month: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  readonly downloadPath: string;
  readonly recipients: readonly string[];
  readonly occurredAt: string;
}

/** 5.3, 5.5: dataConsistencyJob found a new anomaly (once per anomaly, when it appears). */
export interface AnomalyEvent {
  readonly eventId: string;
  readonly type: 'CONSISTENCY_ANOMALY';
  readonly anomalyType: string;
  readonly entity: string;
  readonly entityId: number;
  readonly action: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly message: string;
  readonly occurredAt: string;
}

export type PublishedEvent = AlertEvent | JobFailureEvent | MonthlyReportEvent | AnomalyEvent;
