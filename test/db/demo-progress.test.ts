/**
 * The demo generator's progress callback (issue 16, item 7): every phase reported in
 * order, each from 0 to its planned total without going back, the inserts' totals being
 * the rows written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_DATA_PHASES, generateDemoData, type DemoDataProgress } from '../../src/db/fixtures/demo-data.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const REFERENCE = new Date('2026-03-15T10:20:30.250Z');

for (const dialect of dialects) {
  describe(`demo data progress (${dialect})`, () => {
    let env: TestEnvironment | undefined;
    afterEach(async () => {
      await env?.cleanup();
      env = undefined;
    });

    it('reports every phase in order, each from 0 to its planned total, never going back', async () => {
      env = await createTestEnvironment(dialect);
      const heard: DemoDataProgress[] = [];
      const summary = await generateDemoData(env.databases, {
        scale: 0.3,
        referenceDate: REFERENCE,
        uploadsDir: env.config.uploadsDir,
        onProgress: (progress) => heard.push(progress),
      });

      const phases = heard.map((p) => p.phase).filter((phase, i, all) => phase !== all[i - 1]);
      expect(phases).toEqual(DEMO_DATA_PHASES);
      for (const phase of DEMO_DATA_PHASES) {
        const reports = heard.filter((p) => p.phase === phase);
        const planned = reports[0]!.planned;
        expect(reports.every((p) => p.planned === planned)).toBe(true);
        expect(reports[0]!.done).toBe(0);
        expect(reports.at(-1)!.done).toBe(planned);
        for (let i = 1; i < reports.length; i++) expect(reports[i]!.done).toBeGreaterThan(reports[i - 1]!.done);
        // About every hundredth: a caller redrawing on each report is not flooded.
        expect(reports.length).toBeLessThanOrEqual(102);
      }

      // Every count of the summary but orphanFiles (some of the files) is a phase's total.
      const written = Object.fromEntries(Object.entries(summary).filter(([name]) => name !== 'orphanFiles'));
      const planned = (phase: (typeof DEMO_DATA_PHASES)[number]) => heard.find((p) => p.phase === phase)!.planned;
      expect(planned('plan refresh_tokens')).toBe(summary.refreshTokens);
      expect(planned('plan notifications')).toBe(summary.notifications);
      expect({
        users: planned('insert users'),
        userRoles: planned('insert user_roles'),
        refreshTokens: planned('insert refresh_tokens'),
        passwordResetTokens: planned('insert password_reset_tokens'),
        inscriptions: planned('insert inscriptions'),
        documents: planned('insert documents'),
        soutenances: planned('insert soutenances'),
        soutenanceDocuments: planned('insert soutenance_documents'),
        notifications: planned('insert notifications'),
        files: planned('write files'),
      }).toEqual(written);
      // Tables of more than one INSERT of 500 rows are reported between their start and end.
      expect(heard.filter((p) => p.phase === 'insert refresh_tokens').length).toBeGreaterThan(2);
    });
  });
}
