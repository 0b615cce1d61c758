/** « Rapports »: the PDF reports with their period and size, each downloaded in one click. */
import { html } from 'htm/preact';
import type { ReportView } from '../api-types.js';
import { bytes, dateTime, period } from '../format.js';
import { useService } from '../service-context.js';
import { useResource } from '../use-resource.js';
import { DownloadButton } from '../ui/download-button.js';
import { ErrorBox } from '../ui/error-box.js';
import { TableRegion } from '../ui/table-region.js';

const KINDS: Readonly<Record<string, string>> = { monthly: 'mensuel', anomalies: 'anomalies' };

export function ReportsScreen() {
  const { timeZone } = useService();
  const reports = useResource((api) => api.json<ReportView[]>('/api/batch/reports'), [], 30_000);
  return html`<${ErrorBox} error=${reports.error} />
    ${reports.data === undefined
      ? reports.error
        ? null
        : html`<p class="muted">Chargement…</p>`
      : reports.data.length === 0
        ? html`<p class="muted">Aucun rapport pour l'instant : monthlyReportJob en écrit un chaque mois.</p>`
        : html`<${TableRegion} label="Rapports" rows=${reports.data.length} empty="Aucun rapport.">
            <table class="data">
              <thead><tr><th scope="col">Rapport</th><th scope="col">Type</th><th scope="col">Période</th><th scope="col" class="num">Taille</th><th scope="col">Créé le</th><th scope="col">Fichier</th></tr></thead>
              <tbody>
                ${reports.data.map(
                  (r) => html`<tr key=${r.name} data-report=${r.name}>
                    <td>${r.name}</td>
                    <td>${KINDS[r.kind] ?? r.kind}</td>
                    <td>${period(r.period)}</td>
                    <td class="num">${bytes(r.size)}</td>
                    <td>${dateTime(r.createdAt, timeZone)}</td>
                    <td><${DownloadButton} path=${r.downloadPath} fileName=${r.name} label=${`Télécharger ${r.name}`} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          <//>`}`;
}
