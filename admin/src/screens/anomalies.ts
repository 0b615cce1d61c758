/** « Anomalies »: what dataConsistencyJob found, open and resolved, newest last seen first. */
import { html } from 'htm/preact';
import type { AnomalyView, Page } from '../api-types.js';
import { ANOMALY_STATUSES, ANOMALY_TYPES } from '../../../src/vocabulary/codes.js';
import { anomalyActionLabel, anomalyDescription, anomalyEntityLabel, anomalyStatusLabel, anomalyTypeLabel } from '../../../src/vocabulary/words-fr.js';
import { dateTime } from '../format.js';
import { href } from '../route.js';
import { useService } from '../service-context.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { Pager } from '../ui/pager.js';
import { Described } from '../ui/facts.js';
import { TableRegion } from '../ui/table-region.js';

const PAGE_SIZE = 20;
const STATUSES: readonly string[] = ANOMALY_STATUSES;
const TYPES: readonly string[] = ANOMALY_TYPES;

export function AnomaliesScreen({ query }: { query: URLSearchParams }) {
  const { timeZone } = useService();
  const status = STATUSES.includes(query.get('status') ?? '') ? query.get('status')! : '';
  const type = TYPES.includes(query.get('type') ?? '') ? query.get('type')! : '';
  const page = Math.max(0, Number.parseInt(query.get('page') ?? '0', 10) || 0);
  const anomalies = useResource(
    (api) => api.json<Page<AnomalyView>>(`/api/batch/anomalies?${[status && `status=${status}`, type && `type=${type}`, `page=${page}&size=${PAGE_SIZE}`].filter(Boolean).join('&')}`),
    [status, type, page],
  );
  const go = (changes: Record<string, string>) => {
    location.hash = href('anomalies', null, { status, type, ...changes });
  };
  return html`<form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <div class="form-field">
        <label for="filter-anomaly-status">Statut</label>
        <select id="filter-anomaly-status" value=${status} onChange=${(e: Event) => go({ status: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="">Toutes</option>
          ${STATUSES.map((value) => html`<option value=${value}>${anomalyStatusLabel(value)}s</option>`)}
        </select>
      </div>
      <div class="form-field">
        <label for="filter-anomaly-type">Type</label>
        <select id="filter-anomaly-type" value=${type} onChange=${(e: Event) => go({ type: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="">Tous les types</option>
          ${TYPES.map((t) => html`<option value=${t}>${anomalyTypeLabel(t)}</option>`)}
        </select>
      </div>
    </form>
    <${ErrorBox} error=${anomalies.error} />
    ${anomalies.data
      ? html`<${TableRegion} label="Anomalies" rows=${anomalies.data.items.length} empty=${`Aucune anomalie${status || type ? ' pour ces filtres' : ''}.`}>
            <table class="data">
              <thead><tr><th scope="col">Anomalie</th><th scope="col">Concerne</th><th scope="col">Suite donnée</th><th scope="col">Statut</th><th scope="col">Vue la 1re fois</th><th scope="col">Vue la dernière fois</th><th scope="col">Détails</th></tr></thead>
              <tbody>
                ${anomalies.data.items.map(
                  (a) => html`<tr key=${a.id}>
                    <td>${anomalyTypeLabel(a.type)}</td>
                    <td>${anomalyEntityLabel(a.entity)} n° ${a.entityId}</td>
                    <td>${anomalyActionLabel(a.action)}</td>
                    <td>${anomalyStatusLabel(a.status)}${a.resolvedAt ? html`<div class="muted small">le ${dateTime(a.resolvedAt, timeZone)}</div>` : null}</td>
                    <td>${dateTime(a.firstSeen, timeZone)}${a.jobExecutionId !== null ? html`<div class="small"><a href=${href('executions', a.jobExecutionId)}>exécution n° ${a.jobExecutionId}</a></div>` : null}</td>
                    <td>${dateTime(a.lastSeen, timeZone)}</td>
                    <td><${Described} description=${anomalyDescription(a, timeZone)} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          <//>
          <${Pager} page=${page} size=${PAGE_SIZE} total=${anomalies.data.total} label="anomalies" hrefOf=${(p: number) => href('anomalies', null, { status, type, page: p })} />`
      : anomalies.error
        ? null
        : html`<p class="muted">Chargement…</p>`}`;
}
