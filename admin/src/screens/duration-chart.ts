/**
 * The last 30 durations of a job as an SVG bar chart, oldest on the left, the shown
 * execution marked. Drawn by Preact as SVG elements (no chart library, nothing inline
 * for the CSP to refuse); each bar has its value as a tooltip and the figure a text
 * summary for screen readers.
 */
import { html } from 'htm/preact';
import type { ExecutionSummary, Page } from '../api-types.js';
import { duration, jobLabel, statusLabel } from '../format.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';

const WIDTH = 600;
const HEIGHT = 140;
const LABEL_BAND = 18;

export function DurationChart({ jobName, current, refreshKey }: { jobName: string; current: number; refreshKey: string }) {
  const history = useResource((api) => api.json<Page<ExecutionSummary>>(`/api/batch/jobs/${encodeURIComponent(jobName)}/executions?page=0&size=30`), [jobName, refreshKey]);
  if (history.error) return html`<${ErrorBox} error=${history.error} />`;
  if (!history.data) return html`<p class="muted">Chargement…</p>`;
  const runs = history.data.items.filter((e) => e.durationMs !== null).reverse();
  if (runs.length === 0) return html`<p class="muted">Aucune exécution terminée de « ${jobLabel(jobName)} » pour l'instant.</p>`;
  const longest = Math.max(...runs.map((e) => e.durationMs!), 1);
  const slot = WIDTH / 30;
  const plot = HEIGHT - LABEL_BAND;
  const shortest = Math.min(...runs.map((e) => e.durationMs!));
  const summary = `${runs.length} dernières durées de « ${jobLabel(jobName)} », de ${duration(shortest)} à ${duration(longest)}`;
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${summary}>
      <line class="axis" x1="0" y1=${plot} x2=${WIDTH} y2=${plot} />
      ${runs.map((e, i) => {
        const height = Math.max(2, (e.durationMs! / longest) * (plot - 6));
        return html`<rect class=${`bar${e.id === current ? ' current' : ''}`} data-status=${e.status} x=${i * slot + 2} y=${plot - height} width=${slot - 4} height=${height}>
          <title>n° ${e.id} : ${duration(e.durationMs)} (${statusLabel(e.status)})</title>
        </rect>`;
      })}
      <text class="chart-label" x="2" y=${HEIGHT - 4}>max ${duration(longest)}</text>
    </svg>
    <figcaption>${summary} ; en foncé, cette exécution.</figcaption>
  </figure>`;
}
