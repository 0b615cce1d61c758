/**
 * The token lives in this tab's sessionStorage only: it goes when the tab closes, is
 * never written to localStorage or a cookie (a cookie would be sent by the browser on
 * its own, and the API takes a bearer header anyway), and is read from the URL fragment,
 * which browsers do not send to servers, never from the query string, which they do.
 */
import { tokenInFragment } from './route.js';

const KEY = 'batch-service.admin-token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * Takes a token the link brought (`/admin/#token=…`) into sessionStorage and removes it
 * from the address bar and the history, so it is not bookmarked, shared or left behind.
 */
export function adoptTokenFromFragment(): string | null {
  const token = tokenInFragment(location.hash);
  if (token === null) return null;
  storeToken(token);
  history.replaceState(null, '', `${location.pathname}${location.search}#/taches`);
  return token;
}

export interface TokenClaims {
  readonly subject: string | null;
  readonly expiresAt: Date | null;
}

/** What the token says of its holder, for the header; the API, not this, decides what it is worth. */
export function tokenClaims(token: string): TokenClaims {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as { sub?: unknown; exp?: unknown };
    return {
      subject: typeof claims.sub === 'string' ? claims.sub : null,
      expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
    };
  } catch {
    return { subject: null, expiresAt: null };
  }
}
