/**
 * Roles of an API token (10.2). Gateways differ: a `roles` array, a space- or
 * comma-separated string, or Spring Security's `authorities` (strings or
 * `{ authority }` objects). All are read; `ADMIN` and `ROLE_ADMIN` both mean admin.
 */
import type { JWTPayload } from 'jose';

const ADMIN_ROLES: ReadonlySet<string> = new Set(['ADMIN', 'ROLE_ADMIN']);

export function rolesOf(payload: JWTPayload, claim: string): readonly string[] {
  const roles = new Set<string>();
  for (const name of new Set([claim, 'authorities'])) {
    for (const role of rolesIn(payload[name])) roles.add(role);
  }
  return [...roles];
}

export function isAdmin(roles: readonly string[]): boolean {
  return roles.some((role) => ADMIN_ROLES.has(role));
}

function rolesIn(value: unknown): readonly string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((r) => r !== '');
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item === 'string') return [item];
    const authority = (item as { authority?: unknown } | null)?.authority;
    return typeof authority === 'string' ? [authority] : [];
  });
}
