/**
 * Archives (10.5, 10.7): list, describe and download the decrypted ZIP of an archived
 * inscription or defense. Every access is audited (who, when, what, client address). The
 * download is authenticated whole before its first byte is sent, then decrypted again
 * segment by segment as it is sent, in constant memory: a damaged archive is a 500 naming
 * it, never a partial ZIP. HEAD answers from the catalogue. A shredded archive is listed
 * (its identity remains) and is 410 Gone everywhere else.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../app.js';
import { ArchiveCatalog, shreddedDetail, type ArchiveRecord } from '../archives/archive-catalog.js';
import { authenticatedPlaintext, type AuthenticatedPlaintext } from '../archives/record-archive.js';
import { ArchiveIntegrityError, catalogedPlaintextBytes } from '../archives/archive-envelope.js';
import { loadArchiveKeys } from '../archives/archive-keys.js';
import { NotARegularFileError } from '../security/regular-file.js';
import { principalOf } from './authentication.js';
import { HttpProblem, ProblemSchema } from './problem.js';
import { commonErrors, MAX_PAGE, secured } from './schemas.js';

const tags = ['archives'];
const ArchiveTypeSchema = Type.Union([Type.Literal('inscription'), Type.Literal('defense')]);
const ArchiveParams = Type.Object({ type: ArchiveTypeSchema, originalId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'decimal digits only' }) });
const ArchiveSummaryView = Type.Object({
  type: Type.String(),
  originalId: Type.Integer(),
  archivedAt: Type.String({ format: 'date-time' }),
  keyId: Type.String(),
  sizeBytes: Type.Integer(),
  documents: Type.Integer(),
  shredded: Type.Boolean(),
  shreddedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the archive was shredded (an erasure request); null while it can be read' }),
});
const ArchivePage = Type.Object({ page: Type.Integer(), size: Type.Integer(), total: Type.Integer(), items: Type.Array(ArchiveSummaryView) });
const ArchiveDetail = Type.Object({ ...ArchiveSummaryView.properties, sha256: Type.String(), jobExecutionId: Type.Union([Type.Integer(), Type.Null()]), originalRow: Type.Record(Type.String(), Type.Unknown()) });

export function archiveRoutes(app: Pick<App, 'config' | 'databases' | 'audit' | 'logger'>): FastifyPluginAsyncTypebox {
  return async (server) => {
    const catalog = new ArchiveCatalog(app.databases.batch.db);
    const find = async (type: 'inscription' | 'defense', originalId: number) => {
      const record = await catalog.get(type, originalId);
      if (!record) throw new HttpProblem(404, `no archive of ${type} ${originalId}`);
      return record;
    };
    // An erased record is gone for good, and says so: nothing of it is served (issue 22, item 2).
    const notShredded = (record: ArchiveRecord) => {
      if (record.shredded) throw new HttpProblem(410, shreddedDetail(record));
      return record;
    };

    server.get(
      '/archives',
      {
        schema: {
          ...secured,
          tags,
          summary: 'Archived records, newest first, with the total',
          querystring: Type.Object(
            {
              type: Type.Optional(ArchiveTypeSchema),
              page: Type.Integer({ minimum: 0, maximum: MAX_PAGE, default: 0 }),
              size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: ArchivePage, ...commonErrors },
        },
      },
      async (request) => {
        const { type, page, size } = request.query;
        return { page, size, ...(await catalog.list(type, page, size)) };
      },
    );

    server.get(
      '/archives/:type/:originalId',
      { schema: { ...secured, tags, summary: 'One archive: its metadata and the original row (410 once shredded)', params: ArchiveParams, response: { 200: ArchiveDetail, ...commonErrors, 404: ProblemSchema, 410: ProblemSchema } } },
      async (request) => {
        const { type, originalId } = request.params;
        const record = notShredded(await find(type, originalId));
        await app.audit.append({ action: 'ARCHIVE_ACCESS', actor: principalOf(request).subject, clientAddress: request.ip, target: `${type}#${originalId}`, details: { operation: 'read' } });
        // The file's place on the server's disk is not the client's business.
        return { ...record, path: undefined };
      },
    );

    const downloadable = async (type: 'inscription' | 'defense', originalId: number) => notShredded(await find(type, originalId));
    const zipHeaders = (reply: FastifyReply, type: string, originalId: number, sizeBytes: number) =>
      reply.type('application/zip').header('content-length', sizeBytes).header('content-disposition', `attachment; filename="${type}-${originalId}.zip"`);

    // What a download would send, from the catalogue alone: the file is not read, so the
    // answer says nothing of whether it is still there and intact (`archive verify` does),
    // and a HEAD is no access to the archive's contents: not audited.
    server.head('/archives/:type/:originalId/download', { schema: { hide: true, params: ArchiveParams } }, async (request, reply) => {
      const { type, originalId } = request.params;
      const record = await downloadable(type, originalId);
      return zipHeaders(reply, type, originalId, catalogedPlaintextBytes(record.sizeBytes, record.keyId)).send();
    });

    server.get(
      '/archives/:type/:originalId/download',
      {
        // Fastify's own HEAD would run this handler: decrypt the archive and audit a download.
        exposeHeadRoute: false,
        schema: {
          ...secured,
          tags,
          summary: 'The decrypted archive: a ZIP of the documents, record.json and manifest.json',
          params: ArchiveParams,
          response: { 200: Type.Unsafe({ type: 'string', format: 'binary', description: 'application/zip' }), ...commonErrors, 404: ProblemSchema, 410: ProblemSchema },
        },
      },
      async (request, reply) => {
        const { type, originalId } = request.params;
        const record = await downloadable(type, originalId);
        let zip: AuthenticatedPlaintext;
        try {
          zip = await authenticatedPlaintext(record.path, loadArchiveKeys(app.config));
        } catch (error) {
          if (error instanceof ArchiveIntegrityError) throw new HttpProblem(500, `the archive of ${type} ${originalId} does not decrypt: ${error.message}; run batch-service archive verify`);
          if (error instanceof NotARegularFileError) throw new HttpProblem(404, `the archive file of ${type} ${originalId} ${error.reason}; run batch-service archive verify`);
          throw error;
        }
        try {
          await app.audit.append({ action: 'ARCHIVE_ACCESS', actor: principalOf(request).subject, clientAddress: request.ip, target: `${type}#${originalId}`, details: { operation: 'download', sizeBytes: zip.sizeBytes } });
        } catch (error) {
          zip.stream.destroy();
          throw error;
        }
        // Should a segment change under the second pass, the stream errors and Fastify
        // destroys the response: the client gets fewer bytes than Content-Length, never a
        // complete-looking ZIP. Once the status is sent Fastify logs nothing of it: we do.
        zip.stream.once('error', (error) => app.logger.error({ err: error, archive: `${type}#${originalId}` }, 'archive download cut short after its first pass'));
        return zipHeaders(reply, type, originalId, zip.sizeBytes).send(zip.stream);
      },
    );
  };
}
