/** Reports over HTTP (6.8, 6.9): listed, streamed intact, audited; no way out of REPORTS_DIR. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onePagePdf } from '../../src/db/fixtures/demo-pdf.js';
import { dialects } from '../support/databases.js';
import { startApi, type Api } from './api-harness.js';

/** Sends the path byte for byte: fetch would resolve `..` and re-encode before sending. */
function rawGet(api: Api, rawPath: string, token: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(api.base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method: 'GET', headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(dialects)('reports API (%s)', (dialect) => {
  let api: Api;
  let reportsDir: string;
  let monthly: Buffer;
  const secret = `TOP-SECRET-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    api = await startApi(dialect);
    reportsDir = api.env.config.reportsDir;
    const outside = path.join(api.env.dataDir, 'outside');
    mkdirSync(reportsDir, { recursive: true });
    mkdirSync(outside, { recursive: true });
    monthly = Buffer.concat([onePagePdf(['Rapport mensuel', 'octobre 2026']), randomBytes(70_000)]);
    writeFileSync(path.join(reportsDir, 'rapport_2026_10.pdf'), monthly);
    writeFileSync(path.join(reportsDir, 'rapport_2026_09.pdf'), onePagePdf(['septembre']));
    writeFileSync(path.join(reportsDir, 'rapport_anomalies_2026_10_15.pdf'), onePagePdf(['anomalies']));
    // The day's second and tenth anomaly reports; « _1 » and a leading zero are no report's names.
    writeFileSync(path.join(reportsDir, 'rapport_anomalies_2026_10_15_2.pdf'), onePagePdf(['anomalies, deuxième']));
    writeFileSync(path.join(reportsDir, 'rapport_anomalies_2026_10_15_10.pdf'), onePagePdf(['anomalies, dixième']));
    writeFileSync(path.join(reportsDir, 'rapport_anomalies_2026_10_15_1.pdf'), onePagePdf(['not a name']));
    writeFileSync(path.join(reportsDir, 'rapport_anomalies_2026_10_15_02.pdf'), onePagePdf(['not a name']));
    writeFileSync(path.join(reportsDir, 'notes.txt'), 'not a report');
    writeFileSync(path.join(reportsDir, 'rapport_2026_13.pdf'), 'month 13');
    mkdirSync(path.join(reportsDir, 'rapport_2026_04.pdf'));
    // Secrets a traversal would reach: beside the reports directory and in its parent.
    writeFileSync(path.join(outside, 'rapport_2026_01.pdf'), secret);
    writeFileSync(path.join(api.env.dataDir, 'rapport_2026_05.pdf'), secret);
    symlinkSync(path.join(outside, 'rapport_2026_01.pdf'), path.join(reportsDir, 'rapport_2026_02.pdf'));
    symlinkSync(outside, path.join(reportsDir, 'sub'));
    symlinkSync(path.join(reportsDir, 'rapport_2026_09.pdf'), path.join(reportsDir, 'rapport_2026_08.pdf'));
  });
  afterAll(() => api?.close());

  it('lists the report files of the directory with period, size and creation time, newest period first', async () => {
    const reports = (await (await api.call('/api/batch/reports')).json()) as { name: string; kind: string; period: string; size: number; createdAt: string; downloadPath: string }[];
    expect(reports.map((r) => [r.name, r.kind, r.period])).toEqual([
      ['rapport_anomalies_2026_10_15_10.pdf', 'anomalies', '2026-10-15'],
      ['rapport_anomalies_2026_10_15_2.pdf', 'anomalies', '2026-10-15'],
      ['rapport_anomalies_2026_10_15.pdf', 'anomalies', '2026-10-15'],
      ['rapport_2026_10.pdf', 'monthly', '2026-10'],
      ['rapport_2026_09.pdf', 'monthly', '2026-09'],
      ['rapport_2026_08.pdf', 'monthly', '2026-08'],
    ]);
    expect(reports[3]).toMatchObject({ size: monthly.length, downloadPath: '/api/batch/reports/rapport_2026_10.pdf/download' });
    expect(Number.isNaN(Date.parse(reports[3]!.createdAt))).toBe(false);
  });

  it('streams a report byte for byte, as a PDF attachment, and audits the download', async () => {
    const response = await api.call('/api/batch/reports/rapport_2026_10.pdf/download', { sub: 'carol' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="rapport_2026_10.pdf"');
    expect(Buffer.from(await response.arrayBuffer()).equals(monthly)).toBe(true);
    expect((await api.call('/api/batch/reports/rapport_anomalies_2026_10_15.pdf/download')).status).toBe(200);
    expect((await api.call('/api/batch/reports/rapport_anomalies_2026_10_15_2.pdf/download')).status).toBe(200);
    expect((await api.call('/api/batch/reports/rapport_anomalies_2026_10_15_1.pdf/download')).status).toBe(400);
    // A symlink that stays inside the directory, onto a report, is a report.
    expect((await api.call('/api/batch/reports/rapport_2026_08.pdf/download')).status).toBe(200);

    const audit = (await (await api.call('/api/batch/audit?size=100')).json()) as { items: { action: string; actor: string; target: string; clientAddress: string; details: { size: number } }[] };
    expect(audit.items.filter((e) => e.action === 'REPORT_DOWNLOAD' && e.actor === 'carol')).toEqual([
      expect.objectContaining({ target: 'rapport_2026_10.pdf', clientAddress: '127.0.0.1', details: { size: monthly.length } }),
    ]);
  });

  it.each([
    ['../ (raw)', '/api/batch/reports/../rapport_2026_05.pdf/download'],
    ['../ to the parent', '/api/batch/reports/..%2Frapport_2026_05.pdf/download'],
    ['../ to a sibling', '/api/batch/reports/..%2Foutside%2Frapport_2026_01.pdf/download'],
    ['encoded dots', '/api/batch/reports/%2e%2e%2frapport_2026_05.pdf/download'],
    ['double-encoded', '/api/batch/reports/%252e%252e%252frapport_2026_05.pdf/download'],
    ['double-encoded slash only', '/api/batch/reports/..%252Frapport_2026_05.pdf/download'],
    ['backslashes', '/api/batch/reports/..%5Crapport_2026_05.pdf/download'],
    ['raw backslash', '/api/batch/reports/..\\rapport_2026_05.pdf/download'],
    ['absolute path', '/api/batch/reports/%2Fetc%2Fpasswd/download'],
    ['absolute path to an existing report name', '/api/batch/reports/<DATA_DIR>/rapport_2026_05.pdf/download'],
    ['NUL byte', '/api/batch/reports/rapport_2026_10.pdf%00.txt/download'],
    ['trailing NUL', '/api/batch/reports/rapport_2026_10.pdf%00/download'],
    ['through a symlinked folder', '/api/batch/reports/sub%2Frapport_2026_01.pdf/download'],
    ['symlink leading outside', '/api/batch/reports/rapport_2026_02.pdf/download'],
    ['not a report name', '/api/batch/reports/notes.txt/download'],
    ['impossible month', '/api/batch/reports/rapport_2026_13.pdf/download'],
    ['other case', '/api/batch/reports/RAPPORT_2026_10.PDF/download'],
    ['anomaly report without its rapport_ prefix', '/api/batch/reports/anomalies_2026_10_15.pdf/download'],
    ['a directory', '/api/batch/reports/rapport_2026_04.pdf/download'],
    ['missing report', '/api/batch/reports/rapport_2026_03.pdf/download'],
    ['dot', '/api/batch/reports/./download'],
    ['dot-dot', '/api/batch/reports/%2E%2E/download'],
  ])('refuses %s with 400 or 404 and nothing of the file', async (_label, rawPath) => {
    const absolute = encodeURIComponent(path.join(api.env.dataDir, 'rapport_2026_05.pdf'));
    const { status, body } = await rawGet(api, rawPath.replace('<DATA_DIR>/rapport_2026_05.pdf', absolute), await api.token());
    expect([400, 404]).toContain(status);
    expect(body).not.toContain(secret);
    expect(body).not.toContain('%PDF');
  });

  it('answers a name outside the directory the same whether or not a file is there', async () => {
    const token = await api.token();
    const existing = await rawGet(api, '/api/batch/reports/..%2Frapport_2026_05.pdf/download', token);
    const absent = await rawGet(api, '/api/batch/reports/..%2Frapport_2026_06.pdf/download', token);
    const strip = (body: string) => ({ ...(JSON.parse(body) as Record<string, unknown>), instance: undefined });
    expect([existing.status, strip(existing.body)]).toEqual([absent.status, strip(absent.body)]);
    const symlinked = await rawGet(api, '/api/batch/reports/rapport_2026_02.pdf/download', token);
    const missing = await rawGet(api, '/api/batch/reports/rapport_2026_03.pdf/download', token);
    expect(symlinked.status).toBe(404);
    expect(JSON.parse(symlinked.body).detail).toBe((JSON.parse(missing.body).detail as string).replace('03', '02'));
  });
});
