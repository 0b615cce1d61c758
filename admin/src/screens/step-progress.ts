/**
 * The live counts of a running execution, step by step: read and written, with a bar
 * when the step knows how many items it expects (`estimatedTotal`, absent on older
 * services). Polled every second while the execution runs.
 */
import { stepLabel } from '../../../src/vocabulary/words-fr.js';
import { html } from 'htm/preact';
import type { ExecutionDetail, StepView } from '../api-types.js';
import { integer, isRunning, statusLabel } from '../format.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';

export function LiveProgress({ executionId }: { executionId: number }) {
  const detail = useResource((api) => api.json<ExecutionDetail>(`/api/batch/jobs/executions/${executionId}`), [executionId], (d) => (isRunning(d.status) ? 1000 : null));
  if (detail.error) return html`<${ErrorBox} error=${detail.error} />`;
  if (!detail.data) return html`<span class="muted">…</span>`;
  return html`<${StepProgress} steps=${detail.data.steps} />`;
}

export function StepProgress({ steps }: { steps: readonly StepView[] }) {
  if (steps.length === 0) return html`<span class="muted">démarrage…</span>`;
  return html`<ul class="progress-list">
    ${steps.map(
      (step) => html`<li key=${step.name} data-step=${step.name}>
        <span class="step-name">${stepLabel(step.name)}</span>
        <span class="step-counts">lus ${integer(step.read)} · ${step.wouldWrite > 0 ? `seraient écrits ${integer(step.wouldWrite)}` : `écrits ${integer(step.write)}`}${typeof step.estimatedTotal === 'number' ? html` sur ${integer(step.estimatedTotal)}` : null}</span>
        ${typeof step.estimatedTotal === 'number' && step.estimatedTotal > 0
          ? html`<progress max=${step.estimatedTotal} value=${Math.min(step.read, step.estimatedTotal)} aria-label=${`Avancement de ${stepLabel(step.name)}`}></progress>`
          : null}
        ${step.status !== 'STARTED' ? html`<span class="muted"> (${statusLabel(step.status).toLowerCase()})</span>` : null}
      </li>`,
    )}
  </ul>`;
}
