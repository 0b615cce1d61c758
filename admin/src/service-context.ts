/**
 * What the page learns of the service once, at login: its time zone (every instant is
 * shown in it, as the schedules are written in it), its jobs' names (the filters) and
 * which optional endpoints it has (screens and sections appear when theirs exists).
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface Service {
  readonly timeZone: string;
  readonly jobNames: readonly string[];
  /** Optional endpoints (features.ts) that answered something other than 404. */
  readonly features: ReadonlySet<string>;
}

export const ServiceContext = createContext<Service>({ timeZone: 'UTC', jobNames: [], features: new Set() });

export function useService(): Service {
  return useContext(ServiceContext);
}
