/**
 * What dataConsistencyJob found (5.2–5.16, 11.5), open and resolved. Not audited: 10.6–10.8
 * ask for entries per archive access and manual launch, and this is neither.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { App } from '../app.js';
import { listAnomalies } from '../anomalies/anomaly-store.js';
import { anomalyJson } from '../anomalies/anomaly-json.js';
import { AnomalyPage, AnomalyQuery, commonErrors, secured } from './schemas.js';

export function anomalyRoutes(app: Pick<App, 'databases'>): FastifyPluginAsyncTypebox {
  return async (server) => {
    server.get(
      '/anomalies',
      {
        schema: {
          ...secured,
          tags: ['anomalies'],
          summary: 'Consistency anomalies, newest last seen first, with the total; filter by status and type',
          querystring: AnomalyQuery,
          response: { 200: AnomalyPage, ...commonErrors },
        },
      },
      async (request) => {
        const { status, type, page, size } = request.query;
        const result = await listAnomalies(app.databases.batch.db, { status, type, page, size });
        return { page, size, total: result.total, items: result.items.map(anomalyJson) };
      },
    );
  };
}
