/** A definition list of label → value pairs; values are text (Preact escapes them), never HTML. */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';

export function Fields({ entries, empty = 'Aucun' }: { entries: readonly (readonly [string, ComponentChildren])[]; empty?: string }) {
  if (entries.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<dl class="fields">${entries.map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}</dl>`;
}
