/** A sentence and its label/value list (src/vocabulary/words-fr.ts's Description), as text: never JSON, never HTML. */
import { html } from 'htm/preact';
import type { Description, Fact } from '../../../src/vocabulary/words-fr.js';

export function FactList({ facts }: { facts: readonly Fact[] }) {
  if (facts.length === 0) return null;
  return html`<dl class="details">${facts.map((f) => html`<div><dt>${f.label}</dt><dd>${f.value}</dd></div>`)}</dl>`;
}

export function Described({ description }: { description: Description }) {
  return html`<p class="sentence">${description.sentence}</p><${FactList} facts=${description.facts} />`;
}
