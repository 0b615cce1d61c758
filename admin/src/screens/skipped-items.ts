/**
 * The items an execution skipped, with the reason of each (GET …/skips). Hidden on a
 * service without that endpoint (404).
 */
import { stepLabel } from '../../../src/vocabulary/words-fr.js';
import { html } from 'htm/preact';
import type { Page, SkipView } from '../api-types.js';
import { jsonText } from '../format.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { TableRegion } from '../ui/table-region.js';

const PHASES: Readonly<Record<string, string>> = { READ: 'lecture', PROCESS: 'traitement', WRITE: 'écriture' };

export function SkippedItems({ executionId, refreshKey }: { executionId: number; refreshKey: string }) {
  const skips = useResource((api) => api.json<Page<SkipView>>(`/api/batch/jobs/executions/${executionId}/skips?page=0&size=100`), [executionId, refreshKey]);
  if (skips.error?.absent) return null;
  return html`<section aria-labelledby="skips-title">
    <h2 id="skips-title">Éléments ignorés</h2>
    <${ErrorBox} error=${skips.error} />
    ${skips.data && skips.data.total === 0 ? html`<p class="muted">Aucun élément ignoré.</p>` : null}
    ${skips.data && skips.data.total > 0
      ? html`<${TableRegion} label="Éléments ignorés" rows=${skips.data.items.length} empty="Aucun élément ignoré.">
            <table class="data">
              <thead><tr><th scope="col">Étape</th><th scope="col">Phase</th><th scope="col">Élément</th><th scope="col">Raison</th></tr></thead>
              <tbody>
                ${skips.data.items.map(
                  (s) => html`<tr>
                    <td>${stepLabel(s.stepName)}</td>
                    <td>${PHASES[s.phase] ?? s.phase}</td>
                    <td><code class="wrap">${jsonText(s.item)}</code>${s.itemTruncated ? html` <span class="muted">(tronqué)</span>` : null}</td>
                    <td>${s.reason}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          <//>
          ${skips.data.total > skips.data.items.length ? html`<p class="muted">${skips.data.items.length} premiers sur ${skips.data.total}.</p>` : null}`
      : null}
  </section>`;
}
