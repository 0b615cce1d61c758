/** « Tâches »: every job, its schedule in words, next fire time, last execution, running or not; launch and dry run. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { JobView, LaunchedExecution } from '../api-types.js';
import { cronInWords } from '../cron-words.js';
import { dateTime, duration, jobLabel, relative } from '../format.js';
import { jobDescription, unavailableText } from '../job-texts.js';
import { href } from '../route.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { StatusBadge } from '../ui/status-badge.js';
import { LaunchDialog } from './launch-dialog.js';

export function JobsScreen() {
  const jobs = useResource((api) => api.json<JobView[]>('/api/batch/jobs'), [], 2000);
  const [launching, setLaunching] = useState<{ job: JobView; dryRun: boolean } | null>(null);

  const launched = (execution: LaunchedExecution) => {
    setLaunching(null);
    location.hash = href('executions', execution.executionId);
  };

  return html`<${ErrorBox} error=${jobs.error} />
    ${jobs.data === undefined && !jobs.error ? html`<p class="muted">Chargement…</p>` : null}
    <ul class="job-list">
      ${(jobs.data ?? []).map((job) => html`<li key=${job.name}><${JobCard} job=${job} onLaunch=${(dryRun: boolean) => setLaunching({ job, dryRun })} /></li>`)}
    </ul>
    ${launching ? html`<${LaunchDialog} job=${launching.job} dryRun=${launching.dryRun} onClose=${() => setLaunching(null)} onLaunched=${launched} />` : null}`;
}

function JobCard({ job, onLaunch }: { job: JobView; onLaunch: (dryRun: boolean) => void }) {
  const words = job.cron === null ? null : cronInWords(job.cron);
  const last = job.lastExecution;
  const titleId = `job-${job.name}`;
  const label = jobLabel(job.name);
  return html`<article class="card job" aria-labelledby=${titleId} data-job=${job.name}>
    <header class="card-header">
      <h2 id=${titleId}>${label}</h2>
      ${job.running
        ? html`<a class="running" href=${href('executions', job.runningExecutionId)}><${StatusBadge} status="STARTED" /> <span>exécution n° ${job.runningExecutionId}</span></a>`
        : null}
    </header>
    <p>${jobDescription(job.name, job.description)}</p>
    ${job.unavailable ? html`<p class="error" role="alert">Cette tâche ne peut pas s’exécuter : ${unavailableText(job.unavailable)}</p>` : null}
    <dl class="fields">
      <div>
        <dt>Planification</dt>
        <dd>
          ${job.cron === null ? 'aucune (à la demande)' : html`${words ?? 'expression cron'}<br /><code class="cron">${job.cron}</code>`}
          <br /><span class="muted">fuseau horaire ${job.timeZone}</span>
        </dd>
      </div>
      <div>
        <dt>Prochaine exécution</dt>
        <dd>${job.nextFireTime ? html`${dateTime(job.nextFireTime, job.timeZone, 'minute')} <span class="muted">(${relative(job.nextFireTime)})</span>` : '—'}</dd>
      </div>
      <div>
        <dt>Dernière exécution</dt>
        <dd class="last-execution">
          ${last
            ? html`<${StatusBadge} status=${last.status} /> <a href=${href('executions', last.id)}>n° ${last.id}</a>, ${dateTime(last.startTime, job.timeZone)}${last.durationMs !== null ? html`, durée ${duration(last.durationMs)}` : null}${last.dryRun ? ' (simulation)' : ''}`
            : 'jamais'}
        </dd>
      </div>
    </dl>
    <p class="cli-line"><span class="muted">En ligne de commande :</span> <code class="cli">batch-service run ${job.name}</code></p>
    <div class="actions">
      <button type="button" class="button" onClick=${() => onLaunch(false)} aria-label=${`Lancer « ${label} »`}>Lancer</button>
      <button type="button" class="button secondary" onClick=${() => onLaunch(true)} aria-label=${`Simulation de « ${label} »`}>Simulation</button>
    </div>
  </article>`;
}
