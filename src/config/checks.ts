/**
 * The checks of settings that JSON Schema keywords cannot express: each answers whether a
 * value is acceptable, and the declaration (settings.ts) turns a refusal into "expected …".
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { quartzCron } from '../cron/quartz-cron.js';

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `24h`…: milliseconds, or undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text);
  return match ? Number(match[1]) * DURATION_UNITS_MS[match[2]!]! : undefined;
}

/** Replaces the password of a database URL by ****, for messages and logs (7.10). */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]+:)[^@]*@/i, '$1****@');
}

/** `sqlite:<path>`, or a MariaDB URL naming its database (the driver needs one). */
export function isDatabaseUrl(value: string): boolean {
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) return true;
  return /^(mysql|mariadb):\/\/[^/]+\/[^/?]+/.test(value) && URL.canParse(value);
}

export function isHttpUrl(value: string): boolean {
  return /^https?:\/\/[^/]+/.test(value) && URL.canParse(value);
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Why the scheduler would refuse this expression, or undefined when it takes it. */
export function cronProblem(expression: string): string | undefined {
  try {
    quartzCron(expression, 'UTC');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function isReportLogo(file: string): boolean {
  return existsSync(file) && /\.(svg|png)$/i.test(file);
}

/** Comma-separated entries, blanks dropped (KAFKA_BROKERS, TECH_ADMIN_EMAILS, TRUST_PROXY). */
export function listOf(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * TRUST_PROXY: a hop count, or a list of addresses, CIDRs and proxy-addr's names
 * (loopback, linklocal, uniquelocal). Unset: the TCP peer is the client, and a forged
 * X-Forwarded-For is never believed.
 */
export function trustedProxies(text: string): number | readonly string[] {
  return /^\d{1,2}$/.test(text) ? Number(text) : listOf(text);
}

/** The TRUST_PROXY entries proxy-addr would not understand ('empty' for none at all), or undefined. */
export function proxiesNotUnderstood(text: string): string | undefined {
  const proxies = trustedProxies(text);
  if (typeof proxies === 'number') return undefined;
  const bad = proxies.filter((entry) => !isProxyEntry(entry));
  return proxies.length === 0 || bad.length > 0 ? bad.join(', ') || 'empty' : undefined;
}

function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}
