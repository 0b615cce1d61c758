/**
 * « Arrêter » for a running execution, « Relancer » for a FAILED or STOPPED one that no
 * later execution has restarted yet (a superseded one would only get a 409: the newest
 * one of its instance is the one to restart); the API's refusal shown beside them.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, useApi } from '../api.js';
import type { ExecutionSummary, LaunchedExecution } from '../api-types.js';
import { isRestartable, jobLabel } from '../format.js';
import { ErrorBox } from '../ui/error-box.js';

export interface ExecutionActionsProps {
  readonly execution: Pick<ExecutionSummary, 'id' | 'jobName' | 'status' | 'supersededBy'>;
  /** After a stop was asked (the execution goes STOPPING, then STOPPED). */
  readonly onStopped: () => void;
  readonly onRestarted: (launched: LaunchedExecution) => void;
}

export function ExecutionActions({ execution, onStopped, onRestarted }: ExecutionActionsProps) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const act = async (action: 'stop' | 'restart') => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.json<LaunchedExecution>(`/api/batch/jobs/executions/${execution.id}/${action}`, { method: 'POST' });
      if (action === 'stop') onStopped();
      else onRestarted(answer);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, (failure as Error).message));
    } finally {
      setBusy(false);
    }
  };
  const what = `l'exécution n° ${execution.id} (« ${jobLabel(execution.jobName)} »)`;
  return html`<div class="actions">
      ${execution.status === 'STARTED'
        ? html`<button type="button" class="button danger" disabled=${busy} onClick=${() => act('stop')} aria-label=${`Arrêter ${what}`}>Arrêter</button>`
        : null}
      ${isRestartable(execution.status) && (execution.supersededBy === null || execution.supersededBy === undefined)
        ? html`<button type="button" class="button" disabled=${busy} onClick=${() => act('restart')} aria-label=${`Relancer ${what}`}>Relancer</button>`
        : null}
    </div>
    <${ErrorBox} error=${error} />`;
}
