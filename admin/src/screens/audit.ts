/**
 * « Journal d'audit »: the entries newest first, and whether the hash chain holds (GET
 * /api/batch/audit/verify; the banner is hidden on a service without it).
 */
import { html } from 'htm/preact';
import type { AuditEntry, AuditVerdict, Page } from '../api-types.js';
import { auditActionLabel, auditDescription, targetText } from '../../../src/vocabulary/words-fr.js';
import { dateTime, integer } from '../format.js';
import { href } from '../route.js';
import { useService } from '../service-context.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { Pager } from '../ui/pager.js';
import { Described } from '../ui/facts.js';
import { TableRegion } from '../ui/table-region.js';

const PAGE_SIZE = 20;

export function AuditScreen({ query }: { query: URLSearchParams }) {
  const { timeZone } = useService();
  const page = Math.max(0, Number.parseInt(query.get('page') ?? '0', 10) || 0);
  const entries = useResource((api) => api.json<Page<AuditEntry>>(`/api/batch/audit?page=${page}&size=${PAGE_SIZE}`), [page]);
  return html`<${ChainVerdict} />
    <${ErrorBox} error=${entries.error} />
    ${entries.data
      ? html`<${TableRegion} label="Entrées du journal d'audit" rows=${entries.data.items.length} empty="Aucune entrée.">
            <table class="data">
              <thead><tr><th scope="col" class="num">N°</th><th scope="col">Date</th><th scope="col">Action</th><th scope="col">Par</th><th scope="col">Adresse</th><th scope="col">Sur</th><th scope="col">Ce qui s'est passé</th></tr></thead>
              <tbody>
                ${entries.data.items.map(
                  (e) => html`<tr key=${e.id}>
                    <td class="num">${e.id}</td>
                    <td>${dateTime(e.occurredAt, timeZone)}</td>
                    <td>${auditActionLabel(e.action)}</td>
                    <td>${e.actor ?? '—'}</td>
                    <td>${e.clientAddress ?? '—'}</td>
                    <td>${targetText(e.target)}</td>
                    <td><${Described} description=${auditDescription(e, timeZone)} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          <//>
          <${Pager} page=${page} size=${PAGE_SIZE} total=${entries.data.total} label="journal d'audit" hrefOf=${(p: number) => href('audit', null, { page: p })} />`
      : entries.error
        ? null
        : html`<p class="muted">Chargement…</p>`}`;
}

function ChainVerdict() {
  const verdict = useResource((api) => api.json<AuditVerdict>('/api/batch/audit/verify'), []);
  if (verdict.error?.absent) return null;
  if (verdict.error) return html`<${ErrorBox} error=${verdict.error} />`;
  if (!verdict.data) return html`<p class="muted" role="status">Vérification de la chaîne…</p>`;
  const { intact, entries, brokenAt, reason } = verdict.data;
  return intact
    ? html`<p class="verdict ok" role="status">Chaîne intacte : ${integer(entries)} ${entries > 1 ? 'entrées vérifiées' : 'entrée vérifiée'}.</p>`
    : html`<div class="verdict broken" role="alert">
        <p><strong>Chaîne rompue${brokenAt !== undefined ? ` à l'entrée n° ${brokenAt}` : ''}</strong> (${integer(entries)} entrées vérifiées avant) : une entrée a été modifiée ou supprimée hors du service.</p>
        ${reason ? html`<p class="error-original">Message du service : <span lang="en">${reason}</span></p>` : null}
      </div>`;
}
