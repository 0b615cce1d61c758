/**
 * The console end to end in Debian's chromium (11.4): the printed link opens it, jobs are
 * launched, watched, stopped and restarted from the page, reports download byte for
 * byte, a bad token leads back to the login screen with the reason, and no screen has a
 * serious or critical accessibility violation (axe-core). The page runs under its real
 * CSP: any violation the browser reports fails the test.
 *
 * Screenshots of the main screens are taken on every run into test-results/console/;
 * `UPDATE_SCREENSHOTS=1 npx vitest run test/admin` writes them to docs/ instead (the
 * README shows those), so an ordinary test run leaves the working tree alone.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awaitEnd } from '../http/api-harness.js';
import { ROOT } from '../support/child.js';
import { buildConsole, GATED_ITEMS, GATED_JOB, HAVE_CHROMIUM, SKIP_REASON, SKIPPED_ITEM, CHROMIUM, launchBrowser, startConsoleApi, type ConsoleApi } from './console-harness.js';

const SCREENSHOTS = path.join(ROOT, process.env.UPDATE_SCREENSHOTS ? 'docs' : 'test-results/console');
const REAL_JOBS = ['tokenCleanupJob', 'dureeDoctoratAlertJob', 'monthlyReportJob', 'archiveJob', 'dataConsistencyJob'];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const REPORT = 'rapport_2026_10.pdf';
/** How wide the page is laid out (wider than the window: it scrolls sideways). */
const PAGE_WIDTH = 'document.documentElement.scrollWidth';

// Expressions run in the page are strings: this project's types are Node's, not the DOM's.

/** The page updates by polling every second or two: wait for what it shows, up to 15 s. */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 100 });

interface Step {
  name: string;
  read: number;
  write: number;
  commit: number;
}

if (!HAVE_CHROMIUM) console.log(`console browser tests SKIPPED: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!HAVE_CHROMIUM)('the admin console in a real browser', () => {
  let api: ConsoleApi;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Content-Security-Policy violations and uncaught errors of every page, by page. */
  const problems: string[] = [];

  beforeAll(async () => {
    buildConsole();
    mkdirSync(SCREENSHOTS, { recursive: true });
    [api, browser] = await Promise.all([startConsoleApi(), launchBrowser()]);
    // A real report to download, and a few dry runs of tokenCleanupJob for its duration chart.
    const report = (await (await api.call('/api/batch/jobs/monthlyReportJob/run', { method: 'POST', body: JSON.stringify({ parameters: { month: '2026-10' } }) })).json()) as { executionId: number };
    expect((await awaitEnd(api, report.executionId)).status).toBe('COMPLETED');
    for (let i = 0; i < 3; i++) {
      const body = JSON.stringify({ parameters: { runAt: `2026-11-0${i + 1}T02:00:00Z` }, dryRun: true });
      const dry = (await (await api.call('/api/batch/jobs/tokenCleanupJob/run', { method: 'POST', body })).json()) as { executionId: number };
      await awaitEnd(api, dry.executionId);
    }
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(problems.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    api?.openGate();
    await browser?.close();
    await api?.close();
  });

  async function newPage(viewport = DESKTOP): Promise<Page> {
    const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    return page;
  }

  /** The link the service prints on the embedded default. */
  async function openWithLink(page: Page): Promise<void> {
    await page.goto(`${api.base}/admin/#token=${await api.token()}`);
    await eventually(() => page.locator('h1').textContent()).toBe('Tâches');
  }

  /** Goes to a screen by its fragment and waits until its data is on screen. */
  async function show(page: Page, fragment: string, heading: string | RegExp): Promise<void> {
    await page.evaluate(`location.hash = ${JSON.stringify(fragment)}`);
    await eventually(() => page.locator('h1').textContent()).toMatch(heading);
    await eventually(() => page.getByText('Chargement…').count()).toBe(0);
  }

  async function seriousViolations(page: Page, label: string): Promise<string[]> {
    const results = await new AxeBuilder({ page }).analyze();
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${label}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
    const file = path.join(SCREENSHOTS, `console-${name}.png`);
    await page.screenshot({ path: file, fullPage });
    expect(readFileSync(file).length).toBeGreaterThan(10_000);
  }

  const detailOf = async (id: number) =>
    (await (await api.call(`/api/batch/jobs/executions/${id}`)).json()) as { status: string; dryRun: boolean; steps: Step[]; metrics: Record<string, unknown> };

  it('the printed link logs in: the token leaves the address bar, every job is listed with its schedule in words', async () => {
    const page = await newPage();
    await openWithLink(page);
    expect(page.url()).toBe(`${api.base}/admin/#/taches`);
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([expect.stringMatching(/^eyJ/)]);
    expect(await page.evaluate('Object.keys(localStorage).length + document.cookie.length')).toBe(0);
    const cards = page.locator('article.job');
    await eventually(() => cards.count()).toBe(REAL_JOBS.length + 1);
    expect(await cards.evaluateAll((all) => all.map((c) => c.getAttribute('data-job')))).toEqual([...REAL_JOBS, GATED_JOB]);
    const card = (job: string) => page.locator(`article[data-job="${job}"]`);
    expect(await card('tokenCleanupJob').textContent()).toContain('tous les jours à 02:00');
    expect(await card('archiveJob').textContent()).toContain('le 1er janvier, avril, juillet et octobre à 03:00');
    expect(await card('tokenCleanupJob').locator('.last-execution .badge').getAttribute('data-status')).toBe('COMPLETED');
    expect(await card('monthlyReportJob').textContent()).toMatch(/Prochaine exécution(1er|\d{1,2}) \S+ \d{4}/);
    expect(await card(GATED_JOB).textContent()).toContain('jamais');
  });

  it('launches tokenCleanupJob from the keyboard and shows it COMPLETED with the repository’s counts', async () => {
    const page = await newPage();
    await openWithLink(page);
    await page.getByRole('button', { name: 'Lancer « Nettoyage des jetons expirés »' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Lancement de « Nettoyage des jetons expirés »' });
    await eventually(() => dialog.isVisible()).toBe(true);
    expect(await seriousViolations(page, 'launch dialog')).toEqual([]);
    for (let i = 0; i < 20 && !(await page.evaluate("document.activeElement?.textContent === 'Lancer'")); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    await eventually(() => page.locator('h1').textContent()).toMatch(/^Exécution n° \d+$/);
    const id = Number(/(\d+)$/.exec((await page.locator('h1').textContent())!)![1]);
    await eventually(() => page.locator('.summary-line .badge').getAttribute('data-status')).toBe('COMPLETED');
    const detail = await detailOf(id);
    expect(detail.status).toBe('COMPLETED');
    expect(detail.steps.reduce((n, s) => n + s.write, 0)).toBeGreaterThan(0);
    for (const step of detail.steps) {
      const row = page.locator(`tr[data-step="${step.name}"]`);
      for (const count of ['read', 'write', 'commit'] as const) {
        expect(Number((await row.locator(`[data-count="${count}"]`).textContent())!.replace(/\s/g, '')), `${step.name} ${count}`).toBe(step[count]);
      }
    }
    expect(await page.locator('section[aria-labelledby="run-title"]').textContent()).toContain('manuelle, par alice');
    // The figures under their French names (issue 24), not the API's (totalDeleted).
    expect(await page.locator('section[aria-labelledby="metrics-title"]').textContent()).toContain('Jetons supprimés au total');
    expect(await page.locator('section[aria-labelledby="metrics-title"]').textContent()).not.toContain('totalDeleted');
    await eventually(() => page.locator('figure.chart rect.bar').count()).toBe(4);
    await screenshot(page, 'detail', true);

    await show(page, '#/taches', 'Tâches');
    const last = page.locator('article[data-job="tokenCleanupJob"] .last-execution');
    await eventually(() => last.textContent()).toContain(`n° ${id}`);
    expect(await last.locator('.badge').getAttribute('data-status')).toBe('COMPLETED');
  });

  it('« Simulation » runs a dry run that changes nothing, as often as asked', async () => {
    const page = await newPage();
    await openWithLink(page);
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      await show(page, '#/taches', 'Tâches');
      await page.getByRole('button', { name: 'Simulation de « Contrôle de cohérence des données »' }).click();
      await page.getByRole('dialog', { name: 'Simulation de « Contrôle de cohérence des données »' }).getByRole('button', { name: 'Lancer la simulation' }).click();
      await eventually(() => page.locator('h1').textContent()).toMatch(/^Exécution n° \d+$/);
      ids.push(Number(/(\d+)$/.exec((await page.locator('h1').textContent())!)![1]));
      await eventually(() => page.locator('.summary-line .badge[data-status]').getAttribute('data-status')).toBe('COMPLETED');
      expect(await page.locator('.summary-line').textContent()).toContain('simulation');
    }
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(await detailOf(id)).toMatchObject({ status: 'COMPLETED', dryRun: true });
    // Its figures read as what it would do: their own heading, a would-write column, the nested figures themselves.
    expect(await page.locator('#metrics-title').textContent()).toBe('Simulation : ce que la tâche aurait fait');
    expect(await page.locator('table.steps thead').textContent()).toContain('Seraient écrits');
    const figures = await page.locator('section[aria-labelledby="metrics-title"]').textContent();
    expect(figures).toContain('Anomalies constatées');
    expect(figures).not.toContain('totalAnomalies');
    expect(figures).toMatch(/Ce que la tâche changerait\d+ inscriptions?, \d+ soutenances?/);
  });

  it('a gated long run: running with live progress, a second launch refused in French, stopped from the page, restarted, COMPLETED', async () => {
    const page = await newPage();
    await openWithLink(page);
    const hostile = '<img src=x onerror="window.pwned=1">';
    await page.getByRole('button', { name: `Lancer « ${GATED_JOB} »` }).click();
    await page.getByLabel('Autres paramètres').fill(`note=${hostile}`);
    await page.getByRole('dialog').getByRole('button', { name: 'Lancer' }).click();
    await eventually(() => page.locator('h1').textContent()).toMatch(/^Exécution n° \d+$/);
    const id = Number(/(\d+)$/.exec((await page.locator('h1').textContent())!)![1]);

    // Running: the first chunk's counts appear without a reload.
    await eventually(() => page.locator('.summary-line .badge').getAttribute('data-status')).toBe('STARTED');
    await eventually(() => page.locator('.live [data-step="itemsStep"]').textContent()).toContain(`écrits 2 sur ${GATED_ITEMS}`);
    expect(await page.locator('.live progress').getAttribute('max')).toBe(String(GATED_ITEMS));
    // Every value from the API is text: the parameter shows as typed, and nothing ran.
    expect(await page.locator('section[aria-labelledby="parameters-title"]').textContent()).toContain(hostile);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();

    await show(page, '#/taches', 'Tâches');
    const card = page.locator(`article[data-job="${GATED_JOB}"]`);
    await eventually(() => card.locator('.running').textContent()).toContain(`exécution n° ${id}`);
    await screenshot(page, 'taches');
    await card.getByRole('button', { name: `Lancer « ${GATED_JOB} »` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Lancer' }).click();
    await eventually(() => page.getByRole('dialog').getByRole('alert').textContent()).toContain(`Conflit : « ${GATED_JOB} » est déjà en cours (exécution n° ${id})`);
    await page.keyboard.press('Escape');
    await eventually(() => page.getByRole('dialog').count()).toBe(0);

    const phone = await newPage(PHONE);
    await openWithLink(phone);
    expect(await phone.evaluate(PAGE_WIDTH)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(phone, 'taches-phone');

    await show(page, '#/executions', 'Exécutions');
    if ((await page.locator('#filter-job option[value=""]').count()) === 0) await page.selectOption('#filter-job', GATED_JOB);
    const row = page.locator(`tr[data-execution="${id}"]`);
    await eventually(() => row.locator('.progress-list').textContent()).toContain('écrits 2');
    await screenshot(page, 'executions');
    expect(await seriousViolations(page, 'executions with a running one')).toEqual([]);

    await row.getByRole('button', { name: `Arrêter l'exécution n° ${id} (« ${GATED_JOB} »)` }).click();
    await eventually(() => row.locator('.badge').first().getAttribute('data-status')).toBe('STOPPING');
    api.openGate();
    await eventually(() => row.locator('.badge').first().getAttribute('data-status')).toBe('STOPPED');
    await row.getByRole('button', { name: `Relancer l'exécution n° ${id} (« ${GATED_JOB} »)` }).click();
    await eventually(() => page.getByRole('status').textContent()).toMatch(new RegExp(`Exécution n° \\d+ lancée \\(reprise de la n° ${id}\\)`));
    const restarted = Number(/Exécution n° (\d+)/.exec((await page.getByRole('status').textContent())!)![1]);
    await eventually(() => page.locator(`tr[data-execution="${restarted}"] .badge`).first().getAttribute('data-status')).toBe('COMPLETED');

    await page.getByRole('link', { name: `Détail de l'exécution n° ${restarted}` }).click();
    await eventually(() => page.locator('h1').textContent()).toBe(`Exécution n° ${restarted}`);
    await eventually(() => page.locator('.summary-line .badge').getAttribute('data-status')).toBe('COMPLETED');
    expect(await page.locator('section[aria-labelledby="run-title"]').textContent()).toContain(`l'exécution n° ${id}`);
    const done = await detailOf(restarted);
    // The restart resumed after the committed chunks; the step's counts include the first attempt's.
    expect(done.steps).toEqual([expect.objectContaining({ name: 'itemsStep', read: GATED_ITEMS, write: GATED_ITEMS - 1, skip: 1 })]);
    expect(await page.locator('tr[data-step="itemsStep"] [data-count="write"]').textContent()).toBe(String(GATED_ITEMS - 1));
    expect(await page.locator('tr[data-step="itemsStep"] [data-count="skip"]').textContent()).toBe('1');

    // The first attempt skipped the item: its detail names it with the reason.
    await page.getByRole('link', { name: `l'exécution n° ${id}` }).click();
    await eventually(() => page.locator('h1').textContent()).toBe(`Exécution n° ${id}`);
    const skipped = page.locator('section[aria-labelledby="skips-title"] tbody tr');
    await eventually(() => skipped.count()).toBe(1);
    expect(await skipped.locator('td').allTextContents()).toEqual(['itemsStep', 'traitement', String(SKIPPED_ITEM), SKIP_REASON]);
    await screenshot(page, 'detail-skips', true);
  });

  it('the reports list downloads the PDF in one click, byte for byte the file of REPORTS_DIR', async () => {
    const page = await newPage();
    await openWithLink(page);
    await show(page, '#/rapports', 'Rapports');
    const row = page.locator(`tr[data-report="${REPORT}"]`);
    expect(await row.textContent()).toContain('octobre 2026');
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: `Télécharger ${REPORT}` }).click()]);
    expect(download.suggestedFilename()).toBe(REPORT);
    const downloaded = readFileSync(await download.path());
    expect(downloaded.subarray(0, 5).toString()).toBe('%PDF-');
    expect(downloaded.equals(readFileSync(path.join(api.env.config.reportsDir, REPORT)))).toBe(true);
  });

  it('a bad, expired or non-admin token shows the login screen with the reason; a token in the query string is never taken', async () => {
    const page = await newPage();
    const loginReason = async () => {
      await eventually(() => page.locator('h1').textContent()).toBe('Console batch — connexion');
      await eventually(() => page.locator('[data-reason]').count()).toBe(1);
      return page.locator('[data-reason]').textContent();
    };
    await page.goto(`${api.base}/admin/#token=not.a.token`);
    expect(await loginReason()).toBe("Authentification refusée : ce n'est pas un jeton JWT (en-tête.contenu.signature).");
    expect(page.url()).not.toContain('not.a.token');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await seriousViolations(page, 'login')).toEqual([]);

    await page.goto(`${api.base}/admin/#token=${await api.token({ exp: Math.floor(Date.now() / 1000) - 120 })}`);
    expect(await loginReason()).toBe('Authentification refusée : le jeton a expiré ; demandez-en un nouveau.');
    await page.goto(`${api.base}/admin/#token=${await api.token({ sub: 'bob', roles: ['ROLE_DOCTORANT'] })}`);
    expect(await loginReason()).toBe("Accès refusé : le jeton n'a pas le rôle administrateur (ROLE_ADMIN).");

    const fresh = await newPage();
    await fresh.goto(`${api.base}/admin/?token=${await api.token()}`);
    await eventually(() => fresh.locator('h1').textContent()).toBe('Console batch — connexion');
    expect(await fresh.locator('[data-reason]').count()).toBe(0);
    await fresh.getByLabel("Jeton d'accès (JWT administrateur)").fill(await api.token());
    await fresh.getByRole('button', { name: 'Se connecter' }).click();
    await eventually(() => fresh.locator('h1').textContent()).toBe('Tâches');
    await fresh.getByRole('button', { name: 'Se déconnecter' }).click();
    await eventually(() => fresh.locator('h1').textContent()).toBe('Console batch — connexion');
    expect(await fresh.evaluate('sessionStorage.length')).toBe(0);
  });

  it('shows the API’s errors in French on the screen, never a blank page', async () => {
    const page = await newPage();
    await openWithLink(page);
    await show(page, '#/executions/999999', 'Exécution n° 999999');
    expect(await page.getByRole('alert').textContent()).toBe('Introuvable : aucune exécution n° 999999.Message du service : no job execution with id 999999');
  });

  it('every screen: no serious or critical accessibility violation, and no sideways scrolling of the page on a phone', async () => {
    const screens: [string, RegExp][] = [
      ['#/taches', /^Tâches$/],
      ['#/executions', /^Exécutions$/],
      ['#/executions/1', /^Exécution n° 1$/],
      ['#/rapports', /^Rapports$/],
      ['#/archives', /^Archives$/],
      ['#/anomalies', /^Anomalies$/],
      ['#/audit', /^Journal d'audit$/],
      ['#/sante', /^Santé$/],
    ];
    // The phone gets axe where its layout differs (cards, tables in scrolling regions, two columns in one).
    const phoneAxe = new Set(['#/taches', '#/executions', '#/executions/1']);
    const desktop = await newPage();
    const phone = await newPage(PHONE);
    await Promise.all([openWithLink(desktop), openWithLink(phone)]);
    const violations: string[] = [];
    const overflowing: string[] = [];
    for (const [fragment, heading] of screens) {
      await Promise.all([show(desktop, fragment, heading), show(phone, fragment, heading)]);
      violations.push(...(await seriousViolations(desktop, fragment)));
      if (phoneAxe.has(fragment)) violations.push(...(await seriousViolations(phone, `${fragment} (phone)`)));
      if ((await phone.evaluate<number>(PAGE_WIDTH)) > PHONE.width) overflowing.push(fragment);
    }
    expect(violations).toEqual([]);
    expect(overflowing).toEqual([]);

    await show(desktop, '#/sante', 'Santé');
    expect(await desktop.locator('[data-component="batchDb"] .badge').textContent()).toBe('en service');
    expect(await desktop.locator('[data-outbox="pending"]').textContent()).toMatch(/^\d+$/);
    // Its screenshot (docs/console-sante.png) is console-words-browser.test.ts's, with the disk component.
  });
});
