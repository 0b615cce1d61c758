/**
 * How the service serves the console (11.4): public static files built at `npm run
 * build`, under a strict Content-Security-Policy and the other headers that keep a page
 * holding a token from being injected, framed or leaking it; under 300 KB compressed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminConsole } from '../../src/http/admin-console.js';
import { authenticator, requireAdminByDefault } from '../../src/http/authentication.js';
import { registeredRoutes } from '../../src/http/route-table.js';
import { createTokenVerifier } from '../../src/security/token-verifier.js';
import { SECRET, startApi, type Api } from '../http/api-harness.js';
import { ROOT } from '../support/child.js';
import { buildConsole, CONSOLE_DIR } from './console-harness.js';

/** What the issue asks of the page's policy, directive by directive. */
function directives(header: string | null): Map<string, string> {
  return new Map((header ?? '').split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')]));
}

describe('the service serves the console', () => {
  let api: Api;
  beforeAll(async () => {
    buildConsole();
    api = await startApi('sqlite');
  });
  afterAll(() => api?.close());

  it('serves the page to anyone, without a token: the data it fetches is what is protected', async () => {
    const page = await fetch(`${api.base}/admin/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await page.text();
    expect(body).toContain('<html lang="fr">');
    for (const asset of ['app.js', 'app.css', 'favicon.svg']) {
      const response = await fetch(`${api.base}/admin/${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('cache-control'), asset).toBe('no-cache');
    }
    expect((await fetch(`${api.base}/admin/app.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${api.base}/api/batch/jobs`)).status).toBe(401);
  });

  it('redirects /admin to /admin/, where the page’s relative asset names resolve', async () => {
    const response = await fetch(`${api.base}/admin`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/admin/');
  });

  it('sends a strict CSP (self only, no inline script or style, no framing), nosniff and no-referrer with every console file', async () => {
    for (const file of ['', 'index.html', 'app.js', 'app.css']) {
      const response = await fetch(`${api.base}/admin/${file}`);
      const csp = directives(response.headers.get('content-security-policy'));
      expect(csp.get('default-src'), file).toBe("'none'");
      expect(csp.get('script-src'), file).toBe("'self'");
      expect(csp.get('style-src'), file).toBe("'self'");
      expect(csp.get('connect-src'), file).toBe("'self'");
      expect(csp.get('frame-ancestors'), file).toBe("'none'");
      expect(csp.get('base-uri'), file).toBe("'none'");
      expect([...csp.values()].join(' '), file).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:|data:/);
      expect(response.headers.get('x-content-type-options'), file).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), file).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), file).toBe('DENY');
    }
  });

  it('keeps the API’s own responses as they were (the console’s headers are scoped to /admin)', async () => {
    const response = await api.call('/api/batch/jobs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBeNull();
  });

  it('has no inline script, inline style or external URL in the page', () => {
    const html = readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = readFileSync(path.join(CONSOLE_DIR, 'app.js'), 'utf8');
    expect(js.match(/https?:\/\/(?!www\.w3\.org\/)[^\s"'`]*/g) ?? []).toEqual([]);
  });

  it('renders API values as text: the console’s source never hands HTML to the DOM', () => {
    const sources = readdirSync(path.join(ROOT, 'admin/src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(10);
    for (const file of sources) {
      const text = readFileSync(path.join(ROOT, 'admin/src', file), 'utf8');
      expect(text.match(/innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write|\beval\(|new Function/g) ?? [], file).toEqual([]);
    }
  });

  it('serves the pre-compressed files to a browser that accepts them', async () => {
    const response = await fetch(`${api.base}/admin/app.js`, { headers: { 'accept-encoding': 'br' } });
    expect(response.headers.get('content-encoding')).toBe('br');
    expect(await response.text()).toBe(readFileSync(path.join(CONSOLE_DIR, 'app.js'), 'utf8'));
  });

  it('adds under 300 KB (gzip) to what the service serves', () => {
    const files = readdirSync(CONSOLE_DIR).filter((f) => !/\.(gz|br)$/.test(f));
    const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(CONSOLE_DIR, f)), { level: 9 }).length, 0);
    console.log(`admin console: ${files.join(', ')}: ${(gzipped / 1024).toFixed(1)} KB gzip`);
    expect(files).toEqual(expect.arrayContaining(['index.html', 'app.js', 'app.css']));
    expect(gzipped).toBeLessThan(300 * 1024);
  });

  it('adds public routes only under /admin, none of them in the OpenAPI document', async () => {
    const routes = registeredRoutes(api.server).filter((r) => r.url.startsWith('/admin'));
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['GET /admin', 'GET /admin/', 'GET /admin/app.js']));
    for (const route of routes) expect(route, route.url).toMatchObject({ public: true, hidden: true });
    const document = (await (await fetch(`${api.base}/v3/api-docs`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
  });

  it('an unknown /admin path is an unknown route like any other: 401 without a token, 404 with one', async () => {
    const anonymous = await fetch(`${api.base}/admin/secret.json`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await api.call('/admin/secret.json')).status).toBe(404);
    expect((await fetch(`${api.base}/admin/..%2fpackage.json`)).status).toBeGreaterThanOrEqual(400);
  });
});

describe('a service whose console was not built', () => {
  it('answers /admin/ with a problem that says how to build it', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'admin-unbuilt-'));
    const server = Fastify();
    requireAdminByDefault(server, authenticator(createTokenVerifier({ secret: SECRET, rolesClaim: 'roles', clockSkewSeconds: 30, maxTtlSeconds: 86_400 })));
    await server.register(adminConsole(empty));
    try {
      const response = await server.inject('/admin/');
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json<{ detail: string }>().detail).toMatch(/the admin console is not built .*run npm run build/);
    } finally {
      await server.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
