/**
 * 5.10–5.12 with a second sender: while dataConsistencyJob re-sends the PENDING
 * notifications, another process runs the same claim protocol on the same rows (as the
 * notification service or a replica would). Each notification is sent once: the claim is
 * a guarded update, and a fresh claim keeps the other sender away.
 */
import { startChild } from '../../support/child.js';
import { dialects } from '../../support/databases.js';
import { describe, expect, test } from '../../support/fixtures.js';

const N = 40;

describe.each(dialects)('notification retries with a concurrent sender (%s)', (dialect) => {
  // A slow server, so that the two senders overlap.
  test.override({ dialect, smtpOptions: { delayMs: 40 } });

  test('each notification is claimed and sent once, whichever sender got it', async ({ app, env, smtp }) => {
    await env.databases.notification.db
      .insertInto('notifications')
      .values(Array.from({ length: N }, (_, i) => ({
        id: i + 1, user_id: null, destinataire_email: `u${i + 1}@x.fr`, type: 'INFO', sujet: `n${i + 1}`, contenu: 'c', statut: 'PENDING', tentatives: 0, derniere_erreur: null, created_at: '2026-11-01 00:00:00', sent_at: null,
      })))
      .execute();
    const other = startChild(['test/fixtures/notification-sender-child.ts', '2026-12-02T10:00:00Z'], env.env, { tsx: true });
    // Start the job once the other sender has begun.
    await expect.poll(() => smtp.received.length, { timeout: 20_000, interval: 20 }).toBeGreaterThan(0);
    const done = await (await app.operator.start('dataConsistencyJob', { parameters: { runAt: '2026-12-02T10:00:01Z' }, trigger: 'CLI' })).done;
    const exited = await other.exited;
    expect(exited.code, exited.stderr).toBe(0);
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');

    const ids = smtp.received.map((m) => m.messageId).sort();
    expect(new Set(ids).size).toBe(ids.length); // no notification sent twice
    expect(ids).toHaveLength(N);
    const rows = await env.databases.notification.db.selectFrom('notifications').select(['statut', 'tentatives']).execute();
    expect(rows.every((r) => r.statut === 'SENT' && Number(r.tentatives) === 1)).toBe(true);
    const byOther = (JSON.parse(exited.stdout.trim().split('\n').at(-1)!) as { sent: number }).sent;
    expect(byOther + Number(done.metrics.notificationsSent)).toBe(N);
    // Both really sent: the race took place.
    expect(byOther).toBeGreaterThan(0);
    expect(Number(done.metrics.notificationsSent)).toBeGreaterThan(0);
  }, 60_000);
});
