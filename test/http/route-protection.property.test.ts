/**
 * 6.1 and 10.2 (Properties 42, 59) against the router, not a list: every route Fastify
 * registered, present and future, under any spelling of its path that an attacker or a
 * careless proxy may send, with no token or a bad one, never answers 2xx or any data.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticator, PUBLIC, requireAdminByDefault } from '../../src/http/authentication.js';
import { registeredRoutes } from '../../src/http/route-table.js';
import { createTokenVerifier } from '../../src/security/token-verifier.js';
import { SECRET, startApi, type Api } from './api-harness.js';

interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Sends the path byte for byte: fetch and URL would normalise `..`, `%61` and `//`. */
function raw(base: string, method: string, path: string, authorization?: string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: authorization ? { authorization } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SAMPLE_PARAMS: Readonly<Record<string, string>> = { jobName: 'tokenCleanupJob', executionId: '1', fileName: 'rapport_2026_01.pdf' };

function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'x').replace(/\*/g, 'x');
}

const hex = (c: string, upper: boolean) => {
  const code = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? code.toUpperCase() : code}`;
};

/** One way of spelling a path otherwise; `at` picks a position, modulo the path's length. */
type Spelling = (path: string, at: number, upper: boolean) => string;

const SPELLINGS: Readonly<Record<string, Spelling>> = {
  percentEncodeOne: (p, at, upper) => {
    const i = 1 + (at % (p.length - 1));
    return p[i] === '/' ? p : `${p.slice(0, i)}${hex(p[i]!, upper)}${p.slice(i + 1)}`;
  },
  percentEncodeSegment: (p, at, upper) => {
    const segments = p.split('/');
    const i = 1 + (at % (segments.length - 1));
    segments[i] = [...segments[i]!].map((c) => hex(c, upper)).join('');
    return segments.join('/');
  },
  encodedSlash: (p, at, upper) => {
    const slashes = [...p.matchAll(/\//g)].map((m) => m.index).filter((i) => i > 0);
    if (slashes.length === 0) return p;
    const i = slashes[at % slashes.length]!;
    return `${p.slice(0, i)}${upper ? '%2F' : '%2f'}${p.slice(i + 1)}`;
  },
  doubledSlash: (p, at) => {
    const slashes = [...p.matchAll(/\//g)].map((m) => m.index);
    const i = slashes[at % slashes.length]!;
    return `${p.slice(0, i)}/${p.slice(i)}`;
  },
  trailingSlash: (p) => `${p}/`,
  caseChange: (p, at) => {
    const i = at % p.length;
    const c = p[i]!;
    return `${p.slice(0, i)}${c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()}${p.slice(i + 1)}`;
  },
  semicolonSuffix: (p, at) => {
    const segments = p.split('/');
    const i = 1 + (at % (segments.length - 1));
    segments[i] = `${segments[i]};jsessionid=1`;
    return segments.join('/');
  },
  dotDotSegment: (p, at) => {
    const segments = p.split('/');
    const i = 1 + (at % (segments.length - 1));
    segments.splice(i, 0, 'x', '..');
    return segments.join('/');
  },
  dotSegment: (p, at) => {
    const segments = p.split('/');
    segments.splice(1 + (at % (segments.length - 1)), 0, '.');
    return segments.join('/');
  },
};

const PROBLEM_FIELDS = ['type', 'title', 'status', 'detail', 'instance'];
const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));

describe('every protected route refuses every spelling of its path without an admin token', () => {
  let api: Api;
  let credentials: Readonly<Record<string, string | undefined>>;
  beforeAll(async () => {
    api = await startApi('sqlite');
    // Data that a leak would show: an execution, with its audit entries.
    await api.call('/api/batch/jobs/tokenCleanupJob/run', { method: 'POST' });
    credentials = {
      none: undefined,
      expired: `Bearer ${await sign({ sub: 'alice', roles: ['ROLE_ADMIN'], iat: now() - 7200, exp: now() - 3600 })}`,
      nonAdmin: `Bearer ${await sign({ sub: 'bob', roles: ['ROLE_DOCTORANT'], exp: now() + 600 })}`,
      withoutExpiry: `Bearer ${await sign({ sub: 'alice', roles: ['ROLE_ADMIN'] })}`,
      garbage: 'Bearer not.a.token',
    };
  });
  afterAll(() => api?.close());

  it('the route table is Fastify’s own and holds the whole API', () => {
    const routes = registeredRoutes(api.server);
    expect(routes.filter((r) => !r.public).map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /api/batch/jobs', 'POST /api/batch/jobs/:jobName/run', 'GET /api/batch/audit', 'GET /api/batch/reports/:fileName/download']),
    );
    // Public routes are exactly those that say so: actuator, the OpenAPI document and Swagger UI.
    for (const route of routes.filter((r) => r.public)) expect(route.url).toMatch(/^\/(actuator|v3\/api-docs|swagger-ui|admin)(\/|$)/);
  });

  it('the spellings of the report (/api/b%61tch/audit, /%61pi/batch/jobs) need a token, and reach the same route with one', async () => {
    for (const path of ['/api/b%61tch/audit', '/%61pi/batch/jobs', '/api/batch/%6Aobs', '/api%2Fbatch/jobs']) {
      const response = await raw(api.base, 'GET', path);
      expect(response.status, path).toBe(401);
      expect(response.contentType).toMatch(/^application\/problem\+json/);
    }
    const admin = `Bearer ${await api.token()}`;
    expect((await raw(api.base, 'GET', '/api/b%61tch/audit', admin)).status).toBe(200);
  });

  it('property: any protected route × any spelling × any credential short of an admin token → a 4xx problem, never data', async () => {
    const routes = registeredRoutes(api.server).filter((r) => !r.public && r.method !== 'HEAD');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(fc.tuple(fc.constantFrom(...Object.keys(SPELLINGS)), fc.nat(), fc.boolean()), { minLength: 0, maxLength: 3 }),
        fc.constantFrom(...Object.keys(credentials)),
        async (route, spellings, credential) => {
          const path = spellings.reduce((p, [name, at, upper]) => SPELLINGS[name]!(p, at, upper), concrete(route.url));
          const response = await raw(api.base, route.method, path, credentials[credential]);
          const context = `${route.method} ${path} with ${credential}: ${response.status} ${response.body.slice(0, 200)}`;
          expect(response.status, context).toBeGreaterThanOrEqual(400);
          expect(response.status, context).toBeLessThan(500);
          expect(response.contentType, context).toMatch(/^application\/problem\+json/);
          // A problem and nothing else: no field that could carry the route's data.
          for (const key of Object.keys(JSON.parse(response.body) as object)) expect(PROBLEM_FIELDS, context).toContain(key);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('a route added later is protected unless it opts out', () => {
  it('a new route without config answers 401; one marked PUBLIC answers', async () => {
    const server = Fastify();
    requireAdminByDefault(server, authenticator(createTokenVerifier({ secret: SECRET, rolesClaim: 'roles', clockSkewSeconds: 30, maxTtlSeconds: 86_400 })));
    server.setErrorHandler((error: Error, _request, reply) => reply.code(error.name === 'AuthenticationError' ? 401 : 500).send());
    server.get('/anything/new', async () => ({ secret: 42 }));
    server.get('/open', { config: PUBLIC }, async () => ({ open: true }));
    try {
      expect((await server.inject('/anything/new')).statusCode).toBe(401);
      expect((await server.inject('/open')).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });
});
