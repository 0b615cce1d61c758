/**
 * Swagger UI under its Content-Security-Policy, in Debian's chromium: the headers that keep
 * the page from being framed or fed foreign scripts must not break the page itself.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchBrowser } from '../admin/console-harness.js';
import { startApi, type Api } from './api-harness.js';

describe.skipIf(!HAVE_CHROMIUM)('Swagger UI in a real browser', () => {
  let api: Api;
  let browser: Browser;
  beforeAll(async () => {
    api = await startApi('sqlite');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('renders every operation with no error and no CSP violation, and refuses to be framed', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    const response = await page.goto(`${api.base}/swagger-ui`);
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    await page.waitForSelector('.swagger-ui .info .title');
    expect(await page.textContent('.swagger-ui .info .title')).toMatch(/batch-service admin API/);
    const operations = await page.locator('.opblock').count();
    const documented = Object.values((await (await fetch(`${api.base}/v3/api-docs`)).json() as { paths: Record<string, object> }).paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(operations).toBe(documented);
    expect(errors).toEqual([]);

    // Framed by another page: the browser refuses to render it.
    const framing = await browser.newPage();
    const blocked: string[] = [];
    framing.on('console', (message) => blocked.push(message.text()));
    await framing.setContent(`<iframe src="${api.base}/swagger-ui/static/index.html"></iframe>`);
    await framing.waitForTimeout(500);
    const frame = framing.frames().find((f) => f.url().includes('/swagger-ui'));
    expect(await frame?.locator('#swagger-ui').count().catch(() => 0) ?? 0).toBe(0);
  });
});
