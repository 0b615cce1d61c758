/**
 * 4.6, 4.7 (Property 28): what archiveJob removes besides documents.
 * - Application log files `app-YYYY-MM-DD.log` in LOG_DIR dated more than 6 months before
 *   `runAt` (by the date in their name). Error logs (`error-…`) are kept forever, files
 *   that are not ours are never touched, and symlinks are neither followed nor deleted.
 * - Notifications SENT more than 3 months before `runAt` (`sent_at`, or `created_at` when
 *   null), deleted in chunks of 20 by id; FAILED and PENDING ones are kept forever.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseHandle } from '../../db/connect.js';
import type { NotificationDb } from '../../db/schema/sibling-tables.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import { addMonths, dateInZone } from '../../doctorate/calendar.js';

const APP_LOG = /^app-(\d{4}-\d{2}-\d{2})\.log$/;

/** Deletes our application logs older than six months; returns the names deleted. */
export async function deleteOldAppLogs(logDir: string, runAt: Date, timeZone: string, dryRun: boolean): Promise<string[]> {
  const cutoff = addMonths(dateInZone(runAt, timeZone), -6);
  const names = await readdir(logDir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
  const deleted: string[] = [];
  for (const name of names.sort()) {
    const day = APP_LOG.exec(name)?.[1];
    if (day === undefined || day >= cutoff) continue;
    const file = path.join(logDir, name);
    const stats = await lstat(file).catch(() => undefined);
    if (!stats?.isFile()) continue;
    if (!dryRun) await unlink(file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
    deleted.push(name);
  }
  return deleted;
}

/** The cutoff of 4.7: three months before `runAt`. */
export function notificationCutoff(runAt: Date): Date {
  const cutoff = new Date(runAt);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - 3);
  return cutoff;
}

/** Ids of the next SENT notifications past the cutoff, after `after`. */
export async function oldSentNotifications(notification: DatabaseHandle<NotificationDb>, runAt: Date, after: number, limit: number): Promise<number[]> {
  const cutoff = sqlTimestamp(notificationCutoff(runAt));
  const rows = await notification.db
    .selectFrom('notifications')
    .select('id')
    .where('statut', '=', 'SENT')
    .where((eb) => eb.or([eb('sent_at', '<', cutoff), eb.and([eb('sent_at', 'is', null), eb('created_at', '<', cutoff)])]))
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.id));
}

/** Deletes them, the rule repeated in the DELETE: a row that changed meanwhile stays. */
export async function deleteNotifications(notification: DatabaseHandle<NotificationDb>, runAt: Date, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const cutoff = sqlTimestamp(notificationCutoff(runAt));
  const result = await notification.db
    .deleteFrom('notifications')
    .where('id', 'in', ids)
    .where('statut', '=', 'SENT')
    .where((eb) => eb.or([eb('sent_at', '<', cutoff), eb.and([eb('sent_at', 'is', null), eb('created_at', '<', cutoff)])]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
