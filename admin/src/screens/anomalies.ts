/** « Anomalies »: what dataConsistencyJob found, open and resolved, newest last seen first. */
import { html } from 'htm/preact';
import type { AnomalyView, Page } from '../api-types.js';
import { dateTime, jsonText } from '../format.js';
import { href } from '../route.js';
import { useService } from '../service-context.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { Pager } from '../ui/pager.js';
import { TableRegion } from '../ui/table-region.js';

const PAGE_SIZE = 20;
const STATUSES: Readonly<Record<string, string>> = { open: 'ouverte', resolved: 'résolue' };
const TYPES = ['UTILISATEUR_INEXISTANT', 'INSCRIPTION_INVALIDE', 'FICHIER_MANQUANT', 'PREMIERE_INSCRIPTION_DIVERGENTE'];

export function AnomaliesScreen({ query }: { query: URLSearchParams }) {
  const { timeZone } = useService();
  const status = Object.keys(STATUSES).includes(query.get('status') ?? '') ? query.get('status')! : '';
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
          ${Object.entries(STATUSES).map(([value, label]) => html`<option value=${value}>${label}s</option>`)}
        </select>
      </div>
      <div class="form-field">
        <label for="filter-anomaly-type">Type</label>
        <select id="filter-anomaly-type" value=${type} onChange=${(e: Event) => go({ type: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="">Tous les types</option>
          ${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
        </select>
      </div>
    </form>
    <${ErrorBox} error=${anomalies.error} />
    ${anomalies.data
      ? html`<${TableRegion} label="Anomalies" rows=${anomalies.data.items.length} empty=${`Aucune anomalie${status || type ? ' pour ces filtres' : ''}.`}>
            <table class="data">
              <thead><tr><th scope="col">Type</th><th scope="col">Entité</th><th scope="col">Action</th><th scope="col">Statut</th><th scope="col">Vue la 1re fois</th><th scope="col">Vue la dernière fois</th><th scope="col">Détails</th></tr></thead>
              <tbody>
                ${anomalies.data.items.map(
                  (a) => html`<tr key=${a.id}>
                    <td>${a.type}</td>
                    <td>${a.entity} n° ${a.entityId}</td>
                    <td>${a.action}</td>
                    <td>${STATUSES[a.status] ?? a.status}${a.resolvedAt ? html`<div class="muted small">le ${dateTime(a.resolvedAt, timeZone)}</div>` : null}</td>
                    <td>${dateTime(a.firstSeen, timeZone)}${a.jobExecutionId !== null ? html`<div class="small"><a href=${href('executions', a.jobExecutionId)}>exécution n° ${a.jobExecutionId}</a></div>` : null}</td>
                    <td>${dateTime(a.lastSeen, timeZone)}</td>
                    <td><code class="wrap">${jsonText(a.details)}</code></td>
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
