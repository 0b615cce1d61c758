/**
 * A table that scrolls sideways on a narrow screen. The scrolling box is focusable and
 * named, so it can be scrolled from the keyboard (axe: scrollable-region-focusable).
 * Without rows it is a sentence saying so, not an empty table.
 */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';

export function TableRegion({ label, rows, empty, children }: { label: string; rows: number; empty: string; children: ComponentChildren }) {
  if (rows === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-region" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}
