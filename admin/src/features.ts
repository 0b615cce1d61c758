/**
 * The optional parts of the API, each found by asking it once at login: an endpoint that
 * answers 404 is not on this service (an older version, a later issue's work), and the
 * screen or section it serves stays hidden. A later endpoint slots in as one line here
 * and one entry in screens.ts.
 */
import type { Api } from './api.js';

export const FEATURE_PROBES: Readonly<Record<string, string>> = {
  archives: '/api/batch/archives?size=1',
  anomalies: '/api/batch/anomalies?size=1',
  audit: '/api/batch/audit?size=1',
  /** The list of executions across jobs, with status filter. */
  executionsAcrossJobs: '/api/batch/jobs/executions?size=1',
};

/** The features present: every probe but those that answered 404 (another error shows on the screen itself). */
export async function probeFeatures(api: Api): Promise<ReadonlySet<string>> {
  const answers = await Promise.all(
    Object.entries(FEATURE_PROBES).map(async ([name, path]) => {
      try {
        await api.json(path);
        return name;
      } catch (error) {
        return (error as { status?: number }).status === 404 ? null : name;
      }
    }),
  );
  return new Set(answers.filter((name): name is string => name !== null));
}
