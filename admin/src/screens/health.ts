/**
 * « Santé »: each health component with its details (the token makes the service show
 * them), and the outbox: pending and failed events from the eventBroker component;
 * delivered ones from it when it says, else the relay's counter since the service
 * started (/actuator/prometheus).
 */
import { html } from 'htm/preact';
import type { HealthDocument } from '../api-types.js';
import { eventBrokerModeText, healthComponentLabel, healthFacts, healthStatusLabel } from '../../../src/vocabulary/words-fr.js';
import { integer } from '../format.js';
import { useService } from '../service-context.js';
import { FactList } from '../ui/facts.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { TableRegion } from '../ui/table-region.js';

export function HealthScreen() {
  const { timeZone } = useService();
  // 503 is the health document of a service with a component DOWN, not a failure to read it.
  const health = useResource((api) => api.json<HealthDocument>('/actuator/health', { accept: [503] }), [], 10_000);
  const delivered = useResource(async (api) => deliveredSinceStart(await api.text('/actuator/prometheus')), [], 10_000);
  const report = health.data;
  const components = Object.entries(report?.components ?? {});
  const broker = report?.components?.eventBroker?.details;
  const count = (value: unknown) => (typeof value === 'number' ? integer(value) : '—');
  return html`<${ErrorBox} error=${health.error} />
    ${report
      ? html`<p class="verdict ${report.status === 'UP' ? 'ok' : 'broken'}" role="status">État général : <strong>${report.status === 'UP' ? 'en service' : `dégradé (${healthStatusLabel(report.status).toLowerCase()})`}</strong></p>
          <section aria-labelledby="outbox-title">
            <h2 id="outbox-title">Boîte d'envoi des événements</h2>
            <dl class="tiles">
              <div><dt>En attente</dt><dd data-outbox="pending">${count(broker?.pending)}</dd></div>
              <div>
                <dt>Livrés${typeof broker?.delivered === 'number' ? '' : ' depuis le démarrage'}</dt>
                <dd data-outbox="delivered">${typeof broker?.delivered === 'number' ? integer(broker.delivered) : delivered.data === undefined || delivered.data === null ? '—' : integer(delivered.data)}</dd>
              </div>
              <div><dt>En échec</dt><dd data-outbox="failed">${count(broker?.failed)}</dd></div>
            </dl>
            ${typeof broker?.mode === 'string' ? html`<p class="muted">Mode : ${eventBrokerModeText(broker.mode)}</p>` : null}
          </section>
          <section aria-labelledby="components-title">
            <h2 id="components-title">Composants</h2>
            <${TableRegion} label="Composants de santé" rows=${components.length} empty="Aucun composant.">
              <table class="data">
                <thead><tr><th scope="col">Composant</th><th scope="col">État</th><th scope="col">Détails</th></tr></thead>
                <tbody>
                  ${components.map(
                    ([name, component]) => html`<tr key=${name} data-component=${name}>
                      <th scope="row">${healthComponentLabel(name)}</th>
                      <td><span class="badge" data-health=${component.status}>${healthStatusLabel(component.status).toLowerCase()}</span></td>
                      <td><${FactList} facts=${healthFacts(name, component.details, timeZone)} /></td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            <//>
          </section>`
      : health.error
        ? null
        : html`<p class="muted">Chargement…</p>`}`;
}

/** `batch_events_delivered_total 12` in the Prometheus text, or null. */
function deliveredSinceStart(metrics: string): number | null {
  const match = /^batch_events_delivered_total(?:\{[^}]*\})?\s+(\d+(?:\.\d+)?(?:e\+?\d+)?)\s*$/m.exec(metrics);
  return match ? Number(match[1]) : null;
}
