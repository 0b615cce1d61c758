/** Reports (6.8, 6.9): the PDFs of REPORTS_DIR, listed and streamed; each download audited (10.7). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { App } from '../app.js';
import { principalOf } from './authentication.js';
import { ProblemSchema } from './problem.js';
import { listReports, openReport } from './report-files.js';
import { commonErrors, ReportFileParams, ReportView, secured } from './schemas.js';

const tags = ['reports'];

export function reportRoutes(app: Pick<App, 'audit' | 'config'>): FastifyPluginAsyncTypebox {
  return async (server) => {
    server.get(
      '/reports',
      { schema: { ...secured, tags, summary: 'The PDF reports: name, period, size, creation time', response: { 200: Type.Array(ReportView), ...commonErrors } } },
      async () =>
        (await listReports(app.config.reportsDir)).map((r) => ({
          name: r.name,
          kind: r.kind,
          period: r.period,
          size: r.size,
          createdAt: r.createdAt.toISOString(),
          downloadPath: `/api/batch/reports/${r.name}/download`,
        })),
    );

    server.get(
      '/reports/:fileName/download',
      {
        schema: {
          ...secured,
          tags,
          summary: 'Stream one report (application/pdf); only report files directly in the reports directory',
          params: ReportFileParams,
          response: { 200: Type.Unsafe({ type: 'string', format: 'binary', description: 'the PDF' }), ...commonErrors, 404: ProblemSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const report = await openReport(app.config.reportsDir, request.params.fileName);
        try {
          await app.audit.append({
            action: 'REPORT_DOWNLOAD',
            actor: principal.subject,
            clientAddress: request.ip,
            target: report.name,
            details: { size: report.size },
          });
        } catch (error) {
          await report.handle.close();
          throw error;
        }
        return reply
          .type('application/pdf')
          .header('content-length', report.size)
          .header('content-disposition', `attachment; filename="${report.name}"`)
          .send(report.handle.createReadStream());
      },
    );
  };
}
