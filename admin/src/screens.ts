/**
 * The console's screens, in the navigation's order. A screen with a `feature` appears
 * when the service has that endpoint (features.ts); a later issue's screen is one entry
 * here and one probe there.
 */
import type { FunctionComponent } from 'preact';
import { AnomaliesScreen } from './screens/anomalies.js';
import { ArchivesScreen } from './screens/archives.js';
import { AuditScreen } from './screens/audit.js';
import { ExecutionDetailScreen } from './screens/execution-detail.js';
import { ExecutionsScreen } from './screens/executions.js';
import { HealthScreen } from './screens/health.js';
import { JobsScreen } from './screens/jobs.js';
import { ReportsScreen } from './screens/reports.js';

export interface ScreenProps {
  readonly query: URLSearchParams;
  readonly id: number;
}

export interface Screen {
  /** Its place in the URL: `#/${id}`. */
  readonly id: string;
  /** Its name in the navigation and its heading. */
  readonly label: string;
  readonly feature?: string;
  readonly view: FunctionComponent<ScreenProps>;
  /** The screen of one item (`#/executions/12`), and its heading. */
  readonly item?: { readonly title: (id: number) => string; readonly view: FunctionComponent<ScreenProps> };
}

export const SCREENS: readonly Screen[] = [
  { id: 'taches', label: 'Tâches', view: JobsScreen },
  {
    id: 'executions',
    label: 'Exécutions',
    view: ExecutionsScreen,
    item: { title: (id) => `Exécution n° ${id}`, view: ExecutionDetailScreen },
  },
  { id: 'rapports', label: 'Rapports', view: ReportsScreen },
  { id: 'archives', label: 'Archives', feature: 'archives', view: ArchivesScreen },
  { id: 'anomalies', label: 'Anomalies', feature: 'anomalies', view: AnomaliesScreen },
  { id: 'audit', label: "Journal d'audit", feature: 'audit', view: AuditScreen },
  { id: 'sante', label: 'Santé', view: HealthScreen },
];
