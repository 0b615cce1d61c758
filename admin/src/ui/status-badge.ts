/** An execution's status as a coloured word; the raw status stays in data-status (styles, tests). */
import { html } from 'htm/preact';
import { isRunning, statusLabel } from '../format.js';

export function StatusBadge({ status }: { status: string }) {
  return html`<span class="badge" data-status=${status}>${isRunning(status) ? html`<span class="pulse" aria-hidden="true"></span>` : null}${statusLabel(status)}</span>`;
}
