/** 6.1, 6.10 (Properties 42, 51, 59): 401 for every missing or untrustworthy token, 403 without the admin role. */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../support/databases.js';
import { SECRET, startApi, type Api } from './api-harness.js';

const ENDPOINTS: readonly (readonly [string, string])[] = [
  ['GET', '/api/batch/jobs'],
  ['GET', '/api/batch/jobs/schedules'],
  ['GET', '/api/batch/jobs/stats'],
  ['POST', '/api/batch/jobs/tokenCleanupJob/run'],
  ['GET', '/api/batch/jobs/tokenCleanupJob/executions'],
  ['GET', '/api/batch/jobs/executions/1'],
  ['POST', '/api/batch/jobs/executions/1/stop'],
  ['POST', '/api/batch/jobs/executions/1/restart'],
  ['GET', '/api/batch/reports'],
  ['GET', '/api/batch/reports/rapport_2026_01.pdf/download'],
  ['GET', '/api/batch/audit'],
  ['GET', '/api/batch/no/such/route'],
];

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hs256 = (payload: JWTPayload, secret = SECRET) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
const now = () => Math.floor(Date.now() / 1000);

async function send(api: Api, method: string, path: string, token?: string): Promise<Response> {
  return fetch(`${api.base}${path}`, { method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

async function expectProblem(response: Response, status: number, detail: RegExp): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
}

describe.each(dialects)('authentication with JWT_SECRET (%s)', (dialect) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(dialect, { env: { JWT_ISSUER: 'gateway', JWT_AUDIENCE: 'batch-service', RATE_LIMIT_RUN_PER_MINUTE: '100000' } });
  });
  afterAll(() => api?.close());

  const valid = (claims: JWTPayload = {}) => hs256({ sub: 'alice', roles: ['ROLE_ADMIN'], iss: 'gateway', aud: 'batch-service', exp: now() + 3600, ...claims });

  it('accepts an admin token, with the role in `roles`, `authorities` or as ADMIN', async () => {
    for (const claims of [{}, { roles: ['ADMIN'] }, { roles: undefined, authorities: [{ authority: 'ROLE_ADMIN' }] }, { roles: 'ROLE_USER ROLE_ADMIN' }]) {
      expect((await send(api, 'GET', '/api/batch/jobs', await valid(claims))).status).toBe(200);
    }
  });

  it('answers 401 with a reason for each kind of bad token, and says how to send one', async () => {
    const missing = await send(api, 'GET', '/api/batch/jobs');
    await expectProblem(missing, 401, /no token: send the header Authorization: Bearer <JWT>/);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const forged = await valid();
    const cases: readonly [string, string, RegExp][] = [
      ['bad signature', await hs256({ sub: 'alice', roles: ['ROLE_ADMIN'], iss: 'gateway', aud: 'batch-service' }, 'another-secret-of-at-least-32-bytes!!'), /signature does not verify/],
      ['tampered payload', `${forged.split('.')[0]}.${b64({ sub: 'mallory', roles: ['ROLE_ADMIN'], iss: 'gateway', aud: 'batch-service' })}.${forged.split('.')[2]}`, /signature/],
      ['expired beyond the leeway', await valid({ exp: now() - 120 }), /expired/],
      ['not yet valid', await valid({ nbf: now() + 600 }), /nbf/],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', roles: ['ROLE_ADMIN'], iss: 'gateway', aud: 'batch-service' })}.`, /algorithm "none" is not accepted/],
      ['wrong issuer', await valid({ iss: 'someone-else' }), /iss/],
      ['wrong audience', await valid({ aud: 'other-service' }), /aud/],
      ['no subject', await valid({ sub: undefined }), /no `sub`/],
      ['a subject of blanks', await valid({ sub: '   ' }), /no `sub` claim \(or only blanks\)/],
      ['issued ten years ahead', await valid({ iat: now() + 10 * 365 * 86_400, exp: now() + 10 * 365 * 86_400 + 60 }), /`iat` is \d+ s in the future, beyond JWT_CLOCK_SKEW \(30 s\)/],
      ['garbage', 'not-a-jwt', /not a JWS/],
    ];
    for (const [label, token, detail] of cases) {
      const response = await send(api, 'GET', '/api/batch/jobs', token);
      expect(response.status, label).toBe(401);
      await expectProblem(response, 401, detail);
    }
  });

  it('accepts a token expired, or issued ahead, within the clock leeway', async () => {
    expect((await send(api, 'GET', '/api/batch/jobs', await valid({ exp: now() - 5 }))).status).toBe(200);
    expect((await send(api, 'GET', '/api/batch/jobs', await valid({ iat: now() + 20, exp: now() + 3600 }))).status).toBe(200);
  });

  it('6.10: a token must expire, and within JWT_MAX_TTL of its issue (or of now without iat)', async () => {
    const day = 86_400;
    const refused: readonly [string, Promise<string>, RegExp][] = [
      ['no exp', hs256({ sub: 'alice', roles: ['ROLE_ADMIN'], iss: 'gateway', aud: 'batch-service' }), /no `exp` claim; tokens must expire/],
      ['exp in 50 years', valid({ exp: now() + 50 * 365 * day }), /longer than JWT_MAX_TTL \(86400 s\)/],
      ['issued a week ago for 8 days', valid({ iat: now() - 7 * day, exp: now() + day }), /lives 691200 s \(`exp` − `iat`\)/],
      ['iat in the future to stretch its life', valid({ iat: now() + 30 * day, exp: now() + 30 * day + 60 }), /`iat` is \d+ s in the future/],
      ['no iat, exp in 2 days', valid({ exp: now() + 2 * day }), /\(`exp` − now\)/],
    ];
    for (const [label, token, detail] of refused) {
      const response = await send(api, 'GET', '/api/batch/jobs', await token);
      expect(response.status, label).toBe(401);
      await expectProblem(response, 401, detail);
    }
    for (const [label, token] of [
      ['24 h from iat', valid({ iat: now(), exp: now() + day })],
      ['no iat, exp in 23 h', valid({ exp: now() + 23 * 3600 })],
    ] as const) {
      expect((await send(api, 'GET', '/api/batch/jobs', await token)).status, label).toBe(200);
    }
  });

  it('a 100 KB header is 431 as a problem, answered before any route', async () => {
    const { hostname, port } = new URL(api.base);
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(`GET /api/batch/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
      });
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(text) : reject(error)));
    });
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect(response).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 431, detail: expect.stringMatching(/headers are larger than the API accepts/) });
  });

  it('Property 42/59: any valid token lacking the admin role is 403 on every endpoint', async () => {
    const notAdmin = fc.string().filter((r) => r !== 'ADMIN' && r !== 'ROLE_ADMIN' && !/[\s,]/.test(r));
    const roleClaims = fc.oneof(
      fc.array(fc.oneof(fc.constantFrom('ROLE_USER', 'ROLE_DIRECTEUR', 'ROLE_DOCTORANT', 'admin', 'role_admin', 'ROLE_ADMINISTRATOR', 'ROLE_ADMIN_'), notAdmin)).map((roles) => ({ roles })),
      fc.array(fc.constantFrom('ROLE_USER', 'ROLE_DOCTEUR')).map((roles) => ({ roles: undefined, authorities: roles.map((authority) => ({ authority })) })),
      fc.constant({ roles: undefined }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), roleClaims, async ([method, path], claims) => {
        const response = await send(api, method, path, await valid(claims));
        expect(response.status).toBe(403);
        expect(((await response.json()) as { detail: string }).detail).toMatch(/lacks the admin role/);
      }),
      { numRuns: 60 },
    );
  });

  it('Property 42/59: any invalid token is 401 on every endpoint, whatever its roles', async () => {
    const invalidToken = fc.oneof(
      // One character of a valid admin token changed.
      fc.tuple(fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')).map(async ([at, c]) => {
        const token = await valid();
        const i = at % token.length;
        return token[i] === c || token[i] === '.' ? `${token}x` : token.slice(0, i) + c + token.slice(i + 1);
      }),
      fc.integer({ min: 60, max: 10_000_000 }).map((ago) => valid({ exp: now() - ago })),
      fc.string({ minLength: 32 }).filter((s) => s !== SECRET).map((secret) => hs256({ sub: 'alice', roles: ['ROLE_ADMIN'], iss: 'gateway', aud: 'batch-service' }, secret)),
      fc.string().filter((s) => s !== 'gateway').map((iss) => valid({ iss })),
      fc.string().map(async (s) => s.replace(/\s/g, '') || 'x'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), invalidToken, async ([method, path], token) => {
        expect((await send(api, method, path, await token)).status).toBe(401);
      }),
      { numRuns: 80 },
    );
  });

  it('leaves the actuator and the API description public', async () => {
    expect((await fetch(`${api.base}/actuator/health`)).status).toBe(200);
    const docs = (await (await fetch(`${api.base}/v3/api-docs`)).json()) as { openapi: string; paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    expect(docs.openapi).toMatch(/^3\./);
    expect(docs.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining([
      '/api/batch/jobs', '/api/batch/jobs/schedules', '/api/batch/jobs/stats', '/api/batch/jobs/{jobName}/run', '/api/batch/jobs/{jobName}/executions',
      '/api/batch/jobs/executions/{executionId}', '/api/batch/jobs/executions/{executionId}/stop', '/api/batch/jobs/executions/{executionId}/restart',
      '/api/batch/reports', '/api/batch/reports/{fileName}/download', '/api/batch/audit',
    ]));
    expect((await fetch(`${api.base}/swagger-ui/`)).status).toBe(200);
  });
});

describe('authentication with JWT_JWKS_URL (RS256 from a loopback JWKS server)', () => {
  let jwksServer: Server;
  let api: Api;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    // The secret too: an HS256 token must be checked against it only, never against the RSA key.
    api = await startApi('sqlite', { env: { JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks` } });
  });
  afterAll(async () => {
    await api?.close();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  const rs256 = (payload: JWTPayload, kid = 'k1') =>
    new SignJWT({ sub: 'alice', roles: ['ROLE_ADMIN'], ...payload }).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('1h').sign(rsa.privateKey);

  it('accepts RS256 tokens signed with a key of the JWKS', async () => {
    expect((await send(api, 'GET', '/api/batch/jobs', await rs256({}))).status).toBe(200);
    expect((await send(api, 'GET', '/api/batch/jobs', await rs256({ roles: ['ROLE_USER'] }))).status).toBe(403);
  });

  it('refuses HS/RS confusion: an HS256 token whose HMAC key is the JWKS public key', async () => {
    const publicPem = await exportSPKI(rsa.publicKey);
    const publicJwk = JSON.stringify(await exportJWK(rsa.publicKey));
    for (const key of [publicPem, publicJwk]) {
      const confused = await new SignJWT({ sub: 'mallory', roles: ['ROLE_ADMIN'] })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(key));
      await expectProblem(await send(api, 'GET', '/api/batch/jobs', confused), 401, /signature does not verify/);
    }
  });

  it('refuses a token from a key outside the JWKS', async () => {
    const other = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: 'alice', roles: ['ROLE_ADMIN'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime('1h').sign(other.privateKey);
    await expectProblem(await send(api, 'GET', '/api/batch/jobs', token), 401, /signature does not verify/);
    await expectProblem(await send(api, 'GET', '/api/batch/jobs', await rs256({}, 'unknown-kid')), 401, /no key of JWT_JWKS_URL/);
  });
});

describe('authentication with only a JWKS configured', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('sqlite', { env: { JWT_SECRET: undefined, JWT_JWKS_URL: 'http://127.0.0.1:9/jwks' } });
  });
  afterAll(() => api?.close());

  it('refuses HS256 outright: the algorithm is not on the allow-list', async () => {
    await expectProblem(await send(api, 'GET', '/api/batch/jobs', await hs256({ sub: 'alice', roles: ['ROLE_ADMIN'], exp: now() + 60 })), 401, /algorithm "HS256" is not accepted here; accepted: RS256, ES256/);
  });
});

describe('authentication with no verifier configured', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('sqlite', { env: { JWT_SECRET: undefined } });
  });
  afterAll(() => api?.close());

  it('refuses every /api/batch request with 401 naming the variables to set', async () => {
    for (const [method, path] of ENDPOINTS) {
      await expectProblem(await send(api, method, path, await hs256({ sub: 'alice', roles: ['ROLE_ADMIN'], exp: now() + 60 })), 401, /set JWT_SECRET \(HS256\) or JWT_JWKS_URL/);
    }
  });
});
