/** An API error in French, announced to screen readers; the API's own words under it when translated. */
import { html } from 'htm/preact';
import type { ApiError } from '../api.js';

export function ErrorBox({ error }: { error: ApiError | undefined | null }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <p>${error.message}</p>
    ${error.original ? html`<p class="error-original">Message du service : <span lang="en">${error.original}</span></p>` : null}
  </div>`;
}
