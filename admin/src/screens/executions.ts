/**
 * « Exécutions »: newest first, paginated, filtered by job and status; a running one
 * shows its live progress and « Arrêter », a FAILED or STOPPED one « Relancer ». On a
 * service without the list across jobs (GET /api/batch/jobs/executions), the list is
 * per job and the status filter is hidden.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ExecutionSummary, LaunchedExecution, Page } from '../api-types.js';
import { BATCH_STATUSES, dateTime, duration, isRunning, jobLabel, statusLabel, triggerLabel } from '../format.js';
import { href } from '../route.js';
import { useService } from '../service-context.js';
import { useResource } from '../use-resource.js';
import { ErrorBox } from '../ui/error-box.js';
import { Pager } from '../ui/pager.js';
import { StatusBadge } from '../ui/status-badge.js';
import { TableRegion } from '../ui/table-region.js';
import { exitMessageText } from '../../../src/vocabulary/words-fr.js';
import { ExecutionActions } from './execution-actions.js';
import { LiveProgress } from './step-progress.js';

const PAGE_SIZE = 20;

export function ExecutionsScreen({ query }: { query: URLSearchParams }) {
  const { jobNames, features, timeZone } = useService();
  const acrossJobs = features.has('executionsAcrossJobs');
  const requested = query.get('job') ?? '';
  const job = jobNames.includes(requested) ? requested : acrossJobs ? '' : (jobNames[0] ?? '');
  const status = acrossJobs && BATCH_STATUSES.includes(query.get('status') ?? '') ? query.get('status')! : '';
  const page = Math.max(0, Number.parseInt(query.get('page') ?? '0', 10) || 0);
  const [notice, setNotice] = useState<LaunchedExecution | null>(null);

  const list = useResource(
    (api) => {
      const paging = `page=${page}&size=${PAGE_SIZE}`;
      if (!acrossJobs) return api.json<Page<ExecutionSummary>>(`/api/batch/jobs/${encodeURIComponent(job)}/executions?${paging}`);
      const filters = [job ? `job=${encodeURIComponent(job)}` : '', status ? `status=${status}` : '', paging].filter(Boolean).join('&');
      return api.json<Page<ExecutionSummary>>(`/api/batch/jobs/executions?${filters}`);
    },
    [acrossJobs, job, status, page],
    // Every 2 s while one of them runs, else every 5 s (a scheduled run shows up by itself).
    (shown) => (shown.items.some((e) => isRunning(e.status)) ? 2000 : 5000),
  );
  const restarted = (launched: LaunchedExecution) => {
    setNotice(launched);
    list.reload();
  };
  const go = (changes: Record<string, string | number>) => {
    location.hash = href('executions', null, { job, status, page, ...changes });
  };

  return html`<form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <div class="form-field">
        <label for="filter-job">Tâche</label>
        <select id="filter-job" value=${job} onChange=${(e: Event) => go({ job: (e.currentTarget as HTMLSelectElement).value, page: 0 })}>
          ${acrossJobs ? html`<option value="">Toutes les tâches</option>` : null}
          ${jobNames.map((name) => html`<option value=${name}>${jobLabel(name)}</option>`)}
        </select>
      </div>
      ${acrossJobs
        ? html`<div class="form-field">
            <label for="filter-status">Statut</label>
            <select id="filter-status" value=${status} onChange=${(e: Event) => go({ status: (e.currentTarget as HTMLSelectElement).value, page: 0 })}>
              <option value="">Tous les statuts</option>
              ${BATCH_STATUSES.map((s) => html`<option value=${s}>${statusLabel(s)}</option>`)}
            </select>
          </div>`
        : null}
    </form>
    ${notice
      ? html`<p class="notice" role="status">Exécution n° ${notice.executionId} lancée${notice.restartOf ? ` (reprise de la n° ${notice.restartOf})` : ''} : <a href=${href('executions', notice.executionId)}>voir le détail</a>.</p>`
      : null}
    <${ErrorBox} error=${list.error} />
    ${list.data
      ? html`<${TableRegion} label="Exécutions" rows=${list.data.items.length} empty=${`Aucune exécution${job || status ? ' pour ces filtres' : ''}.`}>
            <table class="data executions">
              <thead>
                <tr><th scope="col">N°</th><th scope="col">Tâche</th><th scope="col">Statut</th><th scope="col">Début</th><th scope="col">Durée</th><th scope="col">Déclenchement</th><th scope="col">Avancement ou message</th><th scope="col">Actions</th></tr>
              </thead>
              <tbody>
                ${list.data.items.map(
                  (e) => html`<tr key=${e.id} data-execution=${e.id}>
                    <td><a href=${href('executions', e.id)} aria-label=${`Détail de l'exécution n° ${e.id}`}>${e.id}</a></td>
                    <td>${jobLabel(e.jobName)}${e.dryRun ? html` <span class="muted">(simulation)</span>` : null}</td>
                    <td><${StatusBadge} status=${e.status} /></td>
                    <td class="nowrap">${dateTime(e.startTime, timeZone)}</td>
                    <td class="nowrap">${duration(e.durationMs)}</td>
                    <td>${triggerLabel(e.trigger)}${e.triggeredBy ? `, ${e.triggeredBy}` : ''}</td>
                    <td>${isRunning(e.status) ? html`<${LiveProgress} executionId=${e.id} />` : html`<span class="exit-message">${e.exitMessage ? exitMessageText(e.exitMessage) : '—'}</span>`}</td>
                    <td><${ExecutionActions} execution=${e} onStopped=${list.reload} onRestarted=${restarted} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          <//>
          <${Pager} page=${page} size=${PAGE_SIZE} total=${list.data.total} label="exécutions" hrefOf=${(p: number) => href('executions', null, { job, status, page: p })} />`
      : list.error
        ? null
        : html`<p class="muted">Chargement…</p>`}`;
}
