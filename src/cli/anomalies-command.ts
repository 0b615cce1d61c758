/** `batch-service anomalies`: what dataConsistencyJob found (11.5), open and resolved, newest first. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { closeDatabases, migrate, openDatabases } from '../db/databases.js';
import { ANOMALY_STATUSES, anomalyJson } from '../anomalies/anomaly-json.js';
import { listAnomalies, type AnomalyRecord, type AnomalyStatus } from '../anomalies/anomaly-store.js';
import { table } from './format.js';

/** Rows per query while listing everything: bounded memory per round trip, few round trips. */
const PAGE_SIZE = 500;

const anomalyStatus = (value: string): AnomalyStatus => {
  if (!(ANOMALY_STATUSES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected open or resolved, got ${JSON.stringify(value)}`);
  return value as AnomalyStatus;
};

async function allAnomalies(db: Kysely<BatchDb>, status: AnomalyStatus | undefined): Promise<AnomalyRecord[]> {
  const all: AnomalyRecord[] = [];
  for (let page = 0; ; page++) {
    const { items } = await listAnomalies(db, { status, page, size: PAGE_SIZE });
    all.push(...items);
    if (items.length < PAGE_SIZE) return all;
  }
}

export function registerAnomaliesCommand(program: Command, config: () => Config): void {
  program
    .command('anomalies')
    .description('anomalies dataConsistencyJob found, newest first, open and resolved')
    .option('--status <status>', 'open or resolved (default: both)', anomalyStatus)
    .option('--json', 'a JSON array of the objects GET /api/batch/anomalies lists')
    .action(async (opts: { status?: AnomalyStatus; json?: boolean }) => {
      const databases = openDatabases(config());
      try {
        await migrate(databases);
        const anomalies = (await allAnomalies(databases.batch.db, opts.status)).map(anomalyJson);
        if (opts.json) {
          console.log(JSON.stringify(anomalies, null, 2));
          return;
        }
        const rows = anomalies.map((a) => [a.type, `${a.entity} ${a.entityId}`, a.action, a.firstSeen, a.lastSeen, a.resolvedAt ?? '—']);
        if (rows.length > 0) console.log(table([['type', 'entity', 'action', 'first seen', 'last seen', 'resolved'], ...rows]).join('\n'));
        const open = anomalies.filter((a) => a.status === 'open').length;
        console.log(`${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'}: ${open} open, ${anomalies.length - open} resolved`);
      } finally {
        await closeDatabases(databases);
      }
    });
}
