/**
 * « Détail d'une exécution »: parameters, trigger and who, timings, the step table, job
 * metrics, exit message, skipped items and the job's last 30 durations. Refreshed every
 * second while the execution runs.
 */
import { html } from 'htm/preact';
import type { ExecutionDetail, LaunchedExecution } from '../api-types.js';
import { exitCodeLabel, exitMessageText, figureLabel, figureValue, stepLabel } from '../../../src/vocabulary/words-fr.js';
import { dateTime, duration, integer, isRunning, jobLabel, statusLabel, triggerLabel } from '../format.js';
import { href } from '../route.js';
import { useService } from '../service-context.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { Fields } from '../ui/fields.js';
import { StatusBadge } from '../ui/status-badge.js';
import { TableRegion } from '../ui/table-region.js';
import { DurationChart } from './duration-chart.js';
import { ExecutionActions } from './execution-actions.js';
import { SkippedItems } from './skipped-items.js';
import { StepProgress } from './step-progress.js';

export function ExecutionDetailScreen({ id }: { id: number }) {
  const { timeZone } = useService();
  const detail = useResource((api) => api.json<ExecutionDetail>(`/api/batch/jobs/executions/${id}`), [id], (d) => (isRunning(d.status) ? 1000 : null));
  const execution = detail.data;
  const restarted = (launched: LaunchedExecution) => {
    location.hash = href('executions', launched.executionId);
  };

  return html`<p><a href=${href('executions')}>‹ Toutes les exécutions</a></p>
    <${ErrorBox} error=${detail.error} />
    ${!execution
      ? detail.error
        ? null
        : html`<p class="muted">Chargement…</p>`
      : html`<section class="card" aria-label="Résumé">
            <p class="summary-line">
              <span>Tâche <strong>${jobLabel(execution.jobName)}</strong></span>
              <span class="status" aria-live="polite">Statut : <${StatusBadge} status=${execution.status} /></span>
              ${execution.dryRun ? html`<span class="badge neutral">simulation</span>` : null}
            </p>
            <${ExecutionActions} execution=${execution} onStopped=${detail.reload} onRestarted=${restarted} />
            ${typeof execution.supersededBy === 'number'
              ? html`<p class="superseded">Cette exécution a été relancée : la reprise est <a href=${href('executions', execution.supersededBy)}>l'exécution n° ${execution.supersededBy}</a>. C'est elle qu'il faut suivre, ou relancer si besoin.</p>`
              : null}
            ${isRunning(execution.status) ? html`<div class="live"><h2 class="small">Avancement</h2><${StepProgress} steps=${execution.steps} /></div>` : null}
          </section>

          <div class="columns">
            <section aria-labelledby="parameters-title">
              <h2 id="parameters-title">Paramètres</h2>
              <${Fields} entries=${Object.entries(execution.parameters).map(([k, v]) => [k, html`<code>${v}</code>`] as const)} empty="Aucun paramètre." />
            </section>
            <section aria-labelledby="run-title">
              <h2 id="run-title">Déclenchement et horaires</h2>
              <${Fields}
                entries=${[
                  ['Déclenchement', `${triggerLabel(execution.trigger)}${execution.triggeredBy ? `, par ${execution.triggeredBy}` : ''}`],
                  ...(execution.restartOf !== null ? [['Reprise de', html`<a href=${href('executions', execution.restartOf)}>l'exécution n° ${execution.restartOf}</a>`] as const] : []),
                  ['Début', dateTime(execution.startTime, timeZone)],
                  ['Fin', dateTime(execution.endTime, timeZone)],
                  ['Durée', isRunning(execution.status) ? 'en cours' : duration(execution.durationMs)],
                  ['Issue', exitCodeLabel(execution.exitCode)],
                ]}
              />
            </section>
          </div>

          <section aria-labelledby="steps-title">
            <h2 id="steps-title">Étapes</h2>
            ${execution.steps.length === 0
              ? html`<p class="muted">Aucune étape encore.</p>`
              : html`<${TableRegion} label="Étapes" rows=${execution.steps.length} empty="Aucune étape encore.">
                  <table class="data steps">
                    <thead>
                      <tr><th scope="col">Étape</th><th scope="col">Statut</th><th scope="col" class="num">Lus</th><th scope="col" class="num">Écrits</th>${execution.dryRun ? html`<th scope="col" class="num">Seraient écrits</th>` : null}<th scope="col" class="num">Filtrés</th><th scope="col" class="num">Ignorés</th><th scope="col" class="num">Commits</th><th scope="col" class="num">Rollbacks</th><th scope="col" class="num">Durée</th></tr>
                    </thead>
                    <tbody>
                      ${execution.steps.map(
                        (s) => html`<tr data-step=${s.name}>
                          <th scope="row">${stepLabel(s.name)}${s.exitMessage ? html`<div class="muted small">${exitMessageText(s.exitMessage)}</div>` : null}</th>
                          <td><${StatusBadge} status=${s.status} /></td>
                          <td class="num" data-count="read">${integer(s.read)}</td>
                          <td class="num" data-count="write">${integer(s.write)}</td>
                          ${execution.dryRun ? html`<td class="num" data-count="wouldWrite">${integer(s.wouldWrite)}</td>` : null}
                          <td class="num" data-count="filter">${integer(s.filter)}</td>
                          <td class="num" data-count="skip">${integer(s.skip)}</td>
                          <td class="num" data-count="commit">${integer(s.commit)}</td>
                          <td class="num" data-count="rollback">${integer(s.rollback)}</td>
                          <td class="num">${s.status === 'STARTED' ? 'en cours' : duration(s.durationMs)}</td>
                        </tr>`,
                      )}
                    </tbody>
                  </table>
                <//>`}
          </section>

          <div class="columns">
            <section aria-labelledby="metrics-title">
              <h2 id="metrics-title">${execution.dryRun ? 'Simulation : ce que la tâche aurait fait' : 'Mesures de la tâche'}</h2>
              <${Fields} entries=${Object.entries(figuresOf(execution)).map(([k, v]) => [figureLabel(k), figureValue(k, v)] as const)} empty="Aucune mesure." />
            </section>
            <section aria-labelledby="exit-title">
              <h2 id="exit-title">Message de sortie</h2>
              ${execution.exitMessage
                ? html`<p class="exit-message">${exitMessageText(execution.exitMessage)}</p>`
                : html`<p class="muted">Aucun message (${statusLabel(execution.status).toLowerCase()}).</p>`}
            </section>
          </div>

          <${SkippedItems} executionId=${execution.id} refreshKey=${execution.status} />

          <section aria-labelledby="chart-title">
            <h2 id="chart-title">Durées des 30 dernières exécutions de « ${jobLabel(execution.jobName)} »</h2>
            <${DurationChart} jobName=${execution.jobName} current=${execution.id} refreshKey=${execution.status} />
          </section>`}`;
}

/** A dry run's figures sit under `metrics.dryRun` (what it would have done): shown as its own, never as real ones. */
function figuresOf(execution: ExecutionDetail): Readonly<Record<string, unknown>> {
  const nested = execution.metrics['dryRun'];
  return execution.dryRun && nested !== null && typeof nested === 'object' ? (nested as Record<string, unknown>) : execution.metrics;
}
