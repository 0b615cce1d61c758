/**
 * « Lancer » and « Simulation »: a modal form for the job's parameters. `runAt` (the
 * reference instant) applies to every job; a job's own parameters are listed in
 * JOB_PARAMETERS; anything else goes in the free lines. The API checks them all and says
 * what is wrong (400), shown in the form.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, useApi } from '../api.js';
import type { JobView, LaunchedExecution } from '../api-types.js';
import { ErrorBox } from '../ui/error-box.js';
import { jobLabel } from '../format.js';

interface ParameterField {
  readonly name: string;
  readonly label: string;
  readonly type: 'month' | 'text';
  readonly hint: string;
}

/** Parameters a job reads besides runAt (monthly-report-job.ts reads `month`). */
const JOB_PARAMETERS: Readonly<Record<string, readonly ParameterField[]>> = {
  monthlyReportJob: [{ name: 'month', label: 'Mois du rapport', type: 'month', hint: 'AAAA-MM ; vide : le mois qui précède la date de référence' }],
};

export interface LaunchDialogProps {
  readonly job: JobView;
  readonly dryRun: boolean;
  readonly onClose: () => void;
  readonly onLaunched: (launched: LaunchedExecution) => void;
}

export function LaunchDialog({ job, dryRun, onClose, onLaunched }: LaunchDialogProps) {
  const api = useApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = JOB_PARAMETERS[job.name] ?? [];

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    let parameters: Record<string, string>;
    try {
      parameters = parametersOf(form, fields);
    } catch (invalid) {
      setError(new ApiError(400, (invalid as Error).message));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { ...(Object.keys(parameters).length > 0 ? { parameters } : {}), dryRun };
      onLaunched(await api.json<LaunchedExecution>(`/api/batch/jobs/${encodeURIComponent(job.name)}/run`, { method: 'POST', body }));
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, (failure as Error).message));
    } finally {
      setBusy(false);
    }
  };

  const title = `${dryRun ? 'Simulation' : 'Lancement'} de « ${jobLabel(job.name)} »`;
  return html`<dialog ref=${dialog} class="dialog" aria-labelledby="launch-title" onClose=${onClose}>
    <form onSubmit=${submit}>
      <h2 id="launch-title">${title}</h2>
      ${dryRun ? html`<p class="muted">Simulation : la tâche lit et traite, mais ne modifie rien ; elle dit ce qu'elle ferait.</p>` : null}
      <div class="form-field">
        <label for="launch-runAt">Date de référence (runAt)</label>
        <input id="launch-runAt" name="runAt" type="datetime-local" step="1" aria-describedby="launch-runAt-hint" />
        <p id="launch-runAt-hint" class="hint">Vide : maintenant. Heure de ce navigateur, envoyée avec son fuseau.</p>
      </div>
      ${fields.map(
        (field) => html`<div class="form-field">
          <label for=${`launch-${field.name}`}>${field.label} (${field.name})</label>
          <input id=${`launch-${field.name}`} name=${field.name} type=${field.type} aria-describedby=${`launch-${field.name}-hint`} />
          <p id=${`launch-${field.name}-hint`} class="hint">${field.hint}</p>
        </div>`,
      )}
      <div class="form-field">
        <label for="launch-extra">Autres paramètres</label>
        <textarea id="launch-extra" name="extra" rows="2" aria-describedby="launch-extra-hint"></textarea>
        <p id="launch-extra-hint" class="hint">Un par ligne : nom=valeur.</p>
      </div>
      <${ErrorBox} error=${error} />
      <div class="actions">
        <button type="submit" class="button" disabled=${busy}>${busy ? 'Envoi…' : dryRun ? 'Lancer la simulation' : 'Lancer'}</button>
        <button type="button" class="button secondary" onClick=${() => dialog.current?.close()}>Annuler</button>
      </div>
    </form>
  </dialog>`;
}

function parametersOf(form: FormData, fields: readonly ParameterField[]): Record<string, string> {
  const parameters: Record<string, string> = {};
  const runAt = String(form.get('runAt') ?? '');
  if (runAt !== '') {
    const instant = new Date(runAt);
    if (Number.isNaN(instant.getTime())) throw new Error(`La date de référence « ${runAt} » n'est pas une date valide.`);
    parameters.runAt = instant.toISOString();
  }
  for (const field of fields) {
    const value = String(form.get(field.name) ?? '').trim();
    if (value !== '') parameters[field.name] = value;
  }
  for (const line of String(form.get('extra') ?? '').split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`« ${line.trim()} » : écrivez un paramètre par ligne, sous la forme nom=valeur.`);
    parameters[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return parameters;
}
