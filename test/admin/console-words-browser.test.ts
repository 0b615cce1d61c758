/**
 * The console in words a new administrator reads (issue 24): on the Anomalies, Journal
 * d'audit and Santé screens, for planted anomalies of every type and audit entries of
 * every action, no code of the service and no JSON is shown, and axe finds no violation
 * at all; an execution that was restarted offers no « Relancer » and links to the one
 * that superseded it. Real chromium, as console-browser.test.ts.
 *
 * Screenshots of the screens this file covers go where console-browser.test.ts puts its
 * own (`UPDATE_SCREENSHOTS=1` writes them to docs/).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { observeAnomalies, resolveUnseen, type Anomaly } from '../../src/anomalies/anomaly-store.js';
import { diskSpaceIndicator } from '../../src/observability/disk-space-health.js';
import type { AuditEvent } from '../../src/security/audit-log.js';
import * as codes from '../../src/vocabulary/codes.js';
import { awaitEnd } from '../http/api-harness.js';
import { ROOT } from '../support/child.js';
import { buildConsole, CHROMIUM, GATED_JOB, HAVE_CHROMIUM, launchBrowser, startConsoleApi, type ConsoleApi } from './console-harness.js';

const SCREENSHOTS = path.join(ROOT, process.env.UPDATE_SCREENSHOTS ? 'docs' : 'test-results/console');
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 100 });

/**
 * The codes no person should read: every list of codes.ts whose codes do not read as
 * French words already (`inscription`, `mail` and the like are words, not codes).
 */
const RAW_CODES = [
  ...codes.BATCH_STATUSES,
  ...codes.TRIGGER_TYPES,
  ...codes.EXIT_CODES,
  ...codes.JOB_NAMES,
  ...codes.STEP_NAMES,
  ...codes.FIGURE_NAMES,
  ...codes.HEALTH_COMPONENTS,
  ...codes.HEALTH_STATUSES,
  ...codes.HEALTH_DETAIL_KEYS,
  ...codes.AUDIT_ACTIONS,
  ...codes.AUDIT_DETAIL_KEYS,
  ...codes.ANOMALY_TYPES,
  ...codes.ANOMALY_ACTIONS,
  ...codes.ANOMALY_ENTITIES,
  ...codes.ANOMALY_DETAIL_KEYS,
  ...codes.RECORD_STATUSES,
].filter((code) => /[A-Z_]/.test(code));
/** JSON's marks: braces, brackets, double quotes (French text quotes « like this »). */
const JSON_MARKS = /[{}[\]"]/;

function rawCodesIn(text: string): string[] {
  return [...new Set(RAW_CODES.filter((code) => new RegExp(`(^|[^A-Za-z0-9_À-ÿ])${code}($|[^A-Za-z0-9_À-ÿ])`).test(text)))];
}

const RUN_AT = new Date('2026-11-30T22:00:00Z');

describe.skipIf(!HAVE_CHROMIUM)(`the console in words (chromium at ${CHROMIUM})`, () => {
  let api: ConsoleApi;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let stoppedId = 0;
  let restartedId = 0;

  beforeAll(async () => {
    buildConsole();
    mkdirSync(SCREENSHOTS, { recursive: true });
    [api, browser] = await Promise.all([startConsoleApi(), launchBrowser()]);
    const db = api.env.databases.batch.db;
    api.app.health.register(diskSpaceIndicator([['DATA_DIR', api.env.dataDir]], 104_857_600));

    // A stopped run of the gated job, restarted to completion: the old one is superseded.
    const launched = (await (await api.call(`/api/batch/jobs/${GATED_JOB}/run`, { method: 'POST' })).json()) as { executionId: number };
    stoppedId = launched.executionId;
    const written = async () => ((await (await api.call(`/api/batch/jobs/executions/${stoppedId}`)).json()) as { steps: { write: number }[] }).steps[0]?.write ?? 0;
    for (let attempt = 0; (await written()) === 0; attempt++) {
      if (attempt > 500) throw new Error('the gated job wrote nothing');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await api.call(`/api/batch/jobs/executions/${stoppedId}/stop`, { method: 'POST' })).status).toBe(202);
    api.openGate();
    expect((await awaitEnd(api, stoppedId)).status).toBe('STOPPED');
    restartedId = ((await (await api.call(`/api/batch/jobs/executions/${stoppedId}/restart`, { method: 'POST' })).json()) as { executionId: number }).executionId;
    expect((await awaitEnd(api, restartedId)).status).toBe('COMPLETED');

    // One anomaly of every type, as dataConsistencyJob records them; one of them resolved.
    const seen: Anomaly[] = [
      { type: 'UTILISATEUR_INEXISTANT', entity: 'inscription', entityId: 12, action: 'AUTO_CORRIGÉE', details: { doctorantId: 9999, statut: 'VALIDÉ', archived: false, correction: 'SUSPENDU' } },
      { type: 'UTILISATEUR_INEXISTANT', entity: 'inscription', entityId: 13, action: 'INTERVENTION_REQUISE', details: { doctorantId: 9998, statut: 'REJETÉ', archived: true, correction: 'aucune (inscription suspendue pour un autre motif, rejetée ou archivée)' } },
      { type: 'INSCRIPTION_INVALIDE', entity: 'soutenance', entityId: 42, action: 'AUTO_CORRIGÉE', details: { inscriptionId: 7, inscriptionStatut: 'EN_ATTENTE', statut: 'PLANIFIEE', correction: 'déjà BLOQUEE (motif INSCRIPTION_INVALIDE)' } },
      { type: 'FICHIER_MANQUANT', entity: 'soutenance_document', entityId: 5, action: 'INTERVENTION_REQUISE', details: { chemin: 'soutenances/42/manuscrit.pdf', soutenanceId: 42 } },
      { type: 'PREMIERE_INSCRIPTION_DIVERGENTE', entity: 'doctorant', entityId: 3, action: 'INTERVENTION_REQUISE', details: { datesPremiereInscription: ['2021-10-01', '2022-10-01'], dateRetenue: '2021-10-01' } },
    ];
    await observeAnomalies(db, seen, { runAt: RUN_AT, jobExecutionId: restartedId });
    await observeAnomalies(db, seen.slice(0, 3), { runAt: new Date(RUN_AT.getTime() + 86_400_000), jobExecutionId: restartedId });
    await resolveUnseen(db, ['FICHIER_MANQUANT'], new Date(RUN_AT.getTime() + 86_400_000));

    // One audit entry of every action, with the details the service writes.
    const entries: AuditEvent[] = [
      { action: 'JOB_RUN', actor: 'alice', clientAddress: '10.0.0.7', target: 'monthlyReportJob#4', details: { parameters: { month: '2026-10' }, dryRun: true } },
      { action: 'JOB_STOP', actor: 'alice', clientAddress: '10.0.0.7', target: 'archiveJob#5' },
      { action: 'JOB_RESTART', actor: 'alice', clientAddress: '10.0.0.7', target: 'archiveJob#6', details: { restartOf: 5, parameters: {} } },
      { action: 'JOB_EXECUTION_END', actor: null, target: 'tokenCleanupJob#7', details: { status: 'FAILED', exitCode: 'FAILED', exitMessage: 'cleanupRefreshTokensStep failed: connection refused', trigger: 'SCHEDULED', dryRun: false, parameters: {}, read: 1200, written: 0, skipped: 0 } },
      { action: 'REPORT_DOWNLOAD', actor: 'bob', clientAddress: '10.0.0.8', target: 'rapport_2026_10.pdf', details: { size: 2_621_440 } },
      { action: 'REPORT_RESEND', actor: 'root', clientAddress: 'batch-host', target: 'rapport_2026_10.pdf', details: { month: '2026-10', sizeBytes: 2_621_440, sent: 3, failed: ['x@univ-exemple.fr'] } },
      { action: 'ARCHIVE_ACCESS', actor: 'carol', clientAddress: '10.0.0.9', target: 'inscription#12', details: { operation: 'download', sizeBytes: 104_857_600 } },
      { action: 'ARCHIVE_ACCESS', actor: 'root', clientAddress: 'batch-host', target: 'all archives', details: { operation: 'verify', checked: 120, bad: 0 } },
      { action: 'ARCHIVE_CREATE', actor: null, target: 'soutenance#42', details: { archive: 'soutenance/2026/42.zip', sizeBytes: 1_048_576, documents: 3, keyId: 'k2026', jobExecutionId: 8 } },
      { action: 'ARCHIVE_SHRED', actor: 'dpo', clientAddress: '10.0.0.10', target: 'inscription#12', details: { archive: 'inscription/2026/12.zip', keyId: 'k2026', shreddedAt: '2026-10-01T07:00:00.000Z', again: false, fileMissing: false, erased: { originalRow: true, documents: 2 } } },
      { action: 'ROLE_ADD', actor: null, target: 'user#31', details: { role: 'ROLE_DOCTORANT', rule: '5.6', jobExecutionId: 8 } },
      { action: 'ROLE_REMOVE', actor: null, target: 'user#32', details: { role: 'ROLE_DOCTEUR', rule: '5.7', jobExecutionId: 8 } },
    ];
    for (const entry of entries) await api.app.audit.append(entry);
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    api?.openGate();
    await browser?.close();
    await api?.close();
  });

  async function open(fragment: string, heading: RegExp): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${api.base}/admin/#token=${await api.token()}`);
    await eventually(() => page.locator('h1').textContent()).toBe('Tâches');
    await page.evaluate(`location.hash = ${JSON.stringify(fragment)}`);
    await eventually(() => page.locator('h1').textContent()).toMatch(heading);
    await eventually(() => page.getByText('Chargement…').count()).toBe(0);
    return page;
  }

  async function violations(page: Page): Promise<string[]> {
    const results = await new AxeBuilder({ page }).analyze();
    return results.violations.map((v) => `${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    const file = path.join(SCREENSHOTS, `console-${name}.png`);
    // The test's temporary folders (database files, DATA_DIR) are masked: no path of the machine in docs/.
    await page.screenshot({ path: file, fullPage: true, mask: [page.getByText(tmpdir(), { exact: false })] });
    expect(readFileSync(file).length).toBeGreaterThan(10_000);
  }

  it('Anomalies: every type, action and detail in French sentences, no code, no JSON, no axe violation', async () => {
    const page = await open('#/anomalies', /^Anomalies$/);
    await eventually(() => page.locator('main tbody tr').count()).toBe(5);
    const text = await page.locator('main').innerText();
    expect(rawCodesIn(text)).toEqual([]);
    expect(text).not.toMatch(JSON_MARKS);
    expect(text).toContain('La soutenance n° 42 s’appuie sur l’inscription n° 7, qui est en attente et non validée. La soutenance était déjà bloquée.');
    expect(text).toContain('Soutenance sans inscription validée');
    expect(text).toContain('Corrigée automatiquement');
    expect(text).toContain('1er octobre 2021 et 1er octobre 2022');
    expect(text).toContain('Résolue');
    expect(await violations(page)).toEqual([]);
    await screenshot(page, 'anomalies');
  });

  it('Journal d’audit: every action as a sentence and a list, no code, no JSON, no axe violation', async () => {
    const page = await open('#/audit', /^Journal d'audit$/);
    await eventually(() => page.getByText('Rôle « docteur » retiré à l’utilisateur n° 32.').count()).toBe(1);
    const text = await page.locator('main').innerText();
    expect(rawCodesIn(text)).toEqual([]);
    expect(text).not.toMatch(/ROLE_/);
    expect(text).not.toMatch(JSON_MARKS);
    expect(text).toContain('L’exécution n° 7 de la tâche « Nettoyage des jetons expirés » s’est terminée : en échec.');
    expect(text).toContain('Échec de l’étape « Suppression des jetons de rafraîchissement expirés » : connection refused.');
    expect(text).toContain('carol a téléchargé l’archive de l’inscription n° 12.');
    expect(text).toContain('100\u00A0Mo');
    expect(text).toMatch(/Détruite le\s+1er octobre 2026 à \d\d:00/);
    expect(await violations(page)).toEqual([]);
    await screenshot(page, 'audit');
  });

  it('Santé: components, states and details in French, sizes in Mo/Go, no code, no JSON, no axe violation', async () => {
    const page = await open('#/sante', /^Santé$/);
    await eventually(() => page.locator('[data-component="diskSpace"]').count()).toBe(1);
    const text = await page.locator('main').innerText();
    expect(rawCodesIn(text)).toEqual([]);
    expect(text).not.toMatch(JSON_MARKS);
    expect(text).not.toContain('104857600');
    expect(text).not.toContain('KAFKA_BROKERS');
    expect(await page.locator('[data-component="diskSpace"]').innerText()).toMatch(/alerte sous 100\u00A0Mo libres[\s\S]*Espace libre dans [\s\S]+\d+(,\d)?\u00A0[KMGT]?o sur \d+(,\d)?\u00A0[KMGT]?o/);
    expect(text).toContain('boîte d’envoi seule');
    expect(await violations(page)).toEqual([]);
    await screenshot(page, 'sante');
  });

  it('Tâches, Exécutions and an execution’s detail name the jobs in French; the code only in the command line to type', async () => {
    const jobs = await open('#/', /^Tâches$/);
    await eventually(() => jobs.locator('article.job').count()).toBe(6);
    const cards = await jobs.locator('article.job').evaluateAll((nodes) =>
      nodes.map((n) => ({ text: n.textContent ?? '', codes: [...n.querySelectorAll('code')].map((c) => c.textContent ?? '') })),
    );
    for (const card of cards) expect(rawCodesIn(card.codes.reduce((text, code) => text.replace(code, ''), card.text)), card.text).toEqual([]);
    expect(cards.map((c) => c.text).join('\n')).toContain('Nettoyage des jetons expirés');
    expect(cards.flatMap((c) => c.codes)).toContain('batch-service run tokenCleanupJob');
    expect(await jobs.getByRole('button', { name: 'Lancer « Contrôle de cohérence des données »' }).count()).toBe(1);

    await jobs.evaluate(`location.hash = '#/executions'`);
    await eventually(() => jobs.locator(`tr[data-execution="${restartedId}"]`).count()).toBe(1);
    const table = await jobs.locator('main').innerText();
    expect(rawCodesIn(table.replace(/gatedJob/g, ''))).toEqual([]);

    const detail = await open(`#/executions/${restartedId}`, new RegExp(`^Exécution n° ${restartedId}$`));
    await eventually(() => detail.locator('section').count()).toBeGreaterThan(1);
    expect(rawCodesIn(await detail.locator('main').innerText())).toEqual([]);
  });

  it('a restarted execution offers no « Relancer » and links to the one that superseded it; exit messages in French', async () => {
    const page = await open(`#/executions/${stoppedId}`, new RegExp(`^Exécution n° ${stoppedId}$`));
    await eventually(() => page.locator('.superseded').count()).toBe(1);
    expect(await page.getByRole('button', { name: /^Relancer/ }).count()).toBe(0);
    expect(await page.locator('section[aria-labelledby="exit-title"]').innerText()).toContain('Arrêtée à la demande pendant l’étape « itemsStep »');
    await screenshot(page, 'detail-superseded');
    await page.locator('.superseded').getByRole('link', { name: `l'exécution n° ${restartedId}` }).click();
    await eventually(() => page.locator('h1').textContent()).toBe(`Exécution n° ${restartedId}`);

    await page.evaluate(`location.hash = '#/executions'`);
    await eventually(() => page.locator(`tr[data-execution="${stoppedId}"]`).count()).toBe(1);
    const row = page.locator(`tr[data-execution="${stoppedId}"]`);
    expect(await row.getByRole('button', { name: /^Relancer/ }).count()).toBe(0);
    expect(await row.innerText()).not.toContain('stopped on request');
  });

  it('screenshots of the Rapports and Archives screens', async () => {
    for (const [fragment, heading, name] of [['#/rapports', /^Rapports$/, 'rapports'], ['#/archives', /^Archives$/, 'archives']] as const) {
      const page = await open(fragment, heading);
      await screenshot(page, name);
    }
  });
});
