/** « Page 2 sur 5 · 93 éléments », with previous and next links where there is such a page (the page number lives in the URL). */
import { html } from 'htm/preact';
import { integer } from '../format.js';

export interface PagerProps {
  readonly page: number;
  readonly size: number;
  readonly total: number;
  /** The fragment of another page. */
  readonly hrefOf: (page: number) => string;
  readonly label: string;
}

export function Pager({ page, size, total, hrefOf, label }: PagerProps) {
  if (total === 0 && page === 0) return null;
  const pages = Math.max(1, Math.ceil(total / size));
  return html`<nav class="pager" aria-label=${`Pages : ${label}`}>
    ${page > 0 ? html`<a class="button secondary" href=${hrefOf(page - 1)} rel="prev">‹ Précédente</a>` : null}
    <span class="pager-position">Page ${integer(Math.min(page + 1, pages))} sur ${integer(pages)} · ${integer(total)} ${total > 1 ? 'éléments' : 'élément'}</span>
    ${page + 1 < pages ? html`<a class="button secondary" href=${hrefOf(page + 1)} rel="next">Suivante ›</a>` : null}
  </nav>`;
}
