/** « Archives »: the archived inscriptions and defenses, newest first; the decrypted ZIP in one click. */
import { html } from 'htm/preact';
import type { ArchiveView, Page } from '../api-types.js';
import { bytes, dateTime, integer } from '../format.js';
import { href } from '../route.js';
import { useService } from '../service-context.js';
import { useResource } from '../use-resource.js';
import { DownloadButton } from '../ui/download-button.js';
import { ErrorBox } from '../ui/error-box.js';
import { Pager } from '../ui/pager.js';
import { TableRegion } from '../ui/table-region.js';

const PAGE_SIZE = 20;
const TYPES: Readonly<Record<string, string>> = { inscription: 'inscription', defense: 'soutenance' };

export function ArchivesScreen({ query }: { query: URLSearchParams }) {
  const { timeZone } = useService();
  const type = Object.keys(TYPES).includes(query.get('type') ?? '') ? query.get('type')! : '';
  const page = Math.max(0, Number.parseInt(query.get('page') ?? '0', 10) || 0);
  const archives = useResource((api) => api.json<Page<ArchiveView>>(`/api/batch/archives?${type ? `type=${type}&` : ''}page=${page}&size=${PAGE_SIZE}`), [type, page]);
  return html`<form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <div class="form-field">
        <label for="filter-type">Type</label>
        <select id="filter-type" value=${type} onChange=${(e: Event) => (location.hash = href('archives', null, { type: (e.currentTarget as HTMLSelectElement).value }))}>
          <option value="">Tous</option>
          ${Object.entries(TYPES).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </div>
    </form>
    <${ErrorBox} error=${archives.error} />
    ${archives.data
      ? html`<${TableRegion} label="Archives" rows=${archives.data.items.length} empty="Aucune archive.">
            <table class="data">
              <thead><tr><th scope="col">Type</th><th scope="col" class="num">N° d'origine</th><th scope="col">Archivé le</th><th scope="col">Clé</th><th scope="col" class="num">Taille</th><th scope="col" class="num">Documents</th><th scope="col">Contenu</th></tr></thead>
              <tbody>
                ${archives.data.items.map(
                  (a) => html`<tr key=${`${a.type}-${a.originalId}`}>
                    <td>${TYPES[a.type] ?? a.type}</td>
                    <td class="num">${a.originalId}</td>
                    <td>${dateTime(a.archivedAt, timeZone)}</td>
                    <td><code>${a.keyId}</code></td>
                    <td class="num">${bytes(a.sizeBytes)}</td>
                    <td class="num">${integer(a.documents)}</td>
                    <td>${a.shredded
                      ? html`<span class="muted">détruite${a.shreddedAt ? ` le ${dateTime(a.shreddedAt, timeZone)}` : ''} (effacée)</span>`
                      : html`<${DownloadButton} path=${`/api/batch/archives/${a.type}/${a.originalId}/download`} fileName=${`${a.type}-${a.originalId}.zip`} label=${`Télécharger l'archive ${TYPES[a.type] ?? a.type} ${a.originalId}`} />`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          <//>
          <${Pager} page=${page} size=${PAGE_SIZE} total=${archives.data.total} label="archives" hrefOf=${(p: number) => href('archives', null, { type, page: p })} />`
      : archives.error
        ? null
        : html`<p class="muted">Chargement…</p>`}`;
}
