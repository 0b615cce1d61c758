/** `batch-service events`: what the outbox holds, for an operator without a broker at hand. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { App } from '../app.js';
import { countByStatus, listEvents, OUTBOX_STATUSES, type OutboxStatus } from '../events/outbox.js';
import { table } from './format.js';

type WithApp = <T>(work: (app: App) => Promise<T>) => Promise<T>;

export function registerEventsCommand(program: Command, withApp: WithApp): void {
  program
    .command('events')
    .description('events of the outbox (oldest first) and the count per status')
    .option('--status <status>', 'pending, delivered or failed', (value: string) => {
      const status = value.toUpperCase() as OutboxStatus;
      if (!OUTBOX_STATUSES.includes(status)) throw new InvalidArgumentError('expected pending, delivered or failed');
      return status;
    })
    .option('--limit <n>', 'most events to list', (v) => Number(v), 100)
    .option('--json', 'print JSON')
    .action(async (opts: { status?: OutboxStatus; limit: number; json?: boolean }) => {
      await withApp(async (app) => {
        const [events, counts] = await Promise.all([listEvents(app.databases.batch.db, opts.status, opts.limit), countByStatus(app.databases.batch.db)]);
        if (opts.json) {
          console.log(JSON.stringify({ counts, events: events.map((e) => ({ ...e, payload: JSON.parse(e.payload) as unknown })) }, null, 2));
          return;
        }
        const rows = events.map((e) => [String(e.id), e.eventType, e.key, e.status, String(e.attempts), e.createdAt.toISOString(), e.lastError ?? '']);
        if (rows.length > 0) console.log(table([['id', 'type', 'key', 'status', 'attempts', 'created', 'last error'], ...rows]).join('\n'));
        console.log(`pending ${counts.PENDING}, delivered ${counts.DELIVERED}, failed ${counts.FAILED}`);
      });
    });
}
