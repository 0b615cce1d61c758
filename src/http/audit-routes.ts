/** The audit log (10.6–10.9), newest first; read-only, like everything that touches it. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { App } from '../app.js';
import { AuditPage, AuditVerdictView, commonErrors, PageQuery, secured } from './schemas.js';

export function auditRoutes(app: Pick<App, 'audit'>): FastifyPluginAsyncTypebox {
  return async (server) => {
    server.get(
      '/audit',
      {
        schema: {
          ...secured,
          tags: ['audit'],
          summary: 'Audit entries, newest first, with the total; each carries its hash and the previous entry’s',
          querystring: PageQuery,
          response: { 200: AuditPage, ...commonErrors },
        },
      },
      async (request) => {
        const { page, size } = request.query;
        const result = await app.audit.list(page, size);
        return { page, size, total: result.total, items: result.items.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString() })) };
      },
    );

    server.get(
      '/audit/verify',
      {
        schema: {
          ...secured,
          tags: ['audit'],
          summary: 'Walk the hash chain: intact, or the first entry altered, deleted or out of order (10.9)',
          description: 'Reads the whole log (in pages of 1000), as `batch-service audit verify` does.',
          response: { 200: AuditVerdictView, ...commonErrors },
        },
      },
      async () => app.audit.verify(),
    );
  };
}
