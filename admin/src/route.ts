/**
 * The page's place is the URL fragment: `#/executions?job=archiveJob&page=2`,
 * `#/executions/12`. Nothing about it reaches the server, and a reload or a shared link
 * opens the same screen. The fragment also brings the token once (`#token=…`, see
 * session.ts); the two never mix: a route starts with `#/`.
 */

export interface Route {
  readonly screen: string;
  /** The number after the screen (`#/executions/12`), when there is one. */
  readonly id: number | null;
  readonly query: URLSearchParams;
}

export const DEFAULT_SCREEN = 'taches';

/** `#/executions/12?x=1` → { screen: 'executions', id: 12, query: x=1 } */
export function parseRoute(hash: string): Route {
  const match = /^#\/([a-z-]+)(?:\/(\d{1,15}))?\/?(?:\?(.*))?$/.exec(hash);
  if (!match) return { screen: DEFAULT_SCREEN, id: null, query: new URLSearchParams() };
  return { screen: match[1]!, id: match[2] === undefined ? null : Number(match[2]), query: new URLSearchParams(match[3] ?? '') };
}

/** The fragment of a screen; empty query values are left out. */
export function href(screen: string, id: number | null = null, query: Readonly<Record<string, string | number | undefined | null>> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const search = params.toString();
  return `#/${screen}${id === null ? '' : `/${id}`}${search ? `?${search}` : ''}`;
}

/** The token a link brings in its fragment (`#token=…`), or null. */
export function tokenInFragment(hash: string): string | null {
  if (!hash.startsWith('#token=') && !hash.startsWith('#/?token=')) return null;
  const token = new URLSearchParams(hash.slice(hash.indexOf('token='))).get('token');
  return token ? token.trim() : null;
}
