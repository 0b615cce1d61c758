/**
 * Bad input is a 400 problem that says what is wrong and changes nothing: never a 500,
 * never a value quietly turned into another (0x10 → 16, null → "", 1 → true, 2026-02-30 →
 * 2 March), never a FAILED run for a parameter the launch could have refused.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunAt } from '../../src/engine/job-parameters.js';
import { JobParametersInvalidError } from '../../src/engine/errors.js';
import { dialects } from '../support/databases.js';
import { startApi, type Api } from './api-harness.js';

interface Problem {
  status: number;
  detail: string;
}

async function expectProblem(response: Response, status: number, detail: RegExp, label: string): Promise<void> {
  expect(response.status, label).toBe(status);
  expect(response.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
  expect(((await response.json()) as Problem).detail, label).toMatch(detail);
}

describe.each(dialects)('numbers in paths and query strings (%s)', (dialect) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(dialect);
  });
  afterAll(() => api?.close());

  it('are decimal digits within documented bounds, else 400 naming the value', async () => {
    const cases: readonly [string, RegExp][] = [
      ['/api/batch/jobs/tokenCleanupJob/executions?page=1e308', /page must be a decimal integer.*"1e308"/],
      ['/api/batch/jobs/tokenCleanupJob/executions?page=99999999999999999999', /page must be a decimal integer/],
      ['/api/batch/jobs/tokenCleanupJob/executions?page=0x10', /page must be a decimal integer.*"0x10"/],
      ['/api/batch/jobs/tokenCleanupJob/executions?page=%2012', /page must be a decimal integer.*" 12"/],
      ['/api/batch/jobs/tokenCleanupJob/executions?page=-1', /page must be a decimal integer/],
      ['/api/batch/jobs/tokenCleanupJob/executions?page=1.5', /page must be a decimal integer/],
      ['/api/batch/jobs/tokenCleanupJob/executions?page=1000001', /page must be <= 1000000/],
      ['/api/batch/jobs/tokenCleanupJob/executions?page=1&page=2', /page must be a decimal integer/],
      ['/api/batch/jobs/tokenCleanupJob/executions?size=0', /size must be >= 1/],
      ['/api/batch/jobs/tokenCleanupJob/executions?size=101', /size must be <= 100/],
      ['/api/batch/jobs/tokenCleanupJob/executions?sort=id', /must NOT have additional properties/],
      ['/api/batch/audit?size=1e3', /size must be a decimal integer/],
      ['/api/batch/jobs/executions/0', /executionId must be >= 1/],
      ['/api/batch/jobs/executions/0x10', /executionId must be a decimal integer.*"0x10"/],
      ['/api/batch/jobs/executions/1e3', /executionId must be a decimal integer/],
      ['/api/batch/jobs/executions/%2012', /executionId must be a decimal integer/],
      ['/api/batch/jobs/executions/9007199254740992', /executionId must be <= 9007199254740991/],
    ];
    for (const [path, detail] of cases) await expectProblem(await api.call(path), 400, detail, path);
    // Within bounds: answered, leading zeros and all.
    expect((await api.call('/api/batch/jobs/tokenCleanupJob/executions?page=1000000&size=100')).status).toBe(200);
    expect((await api.call('/api/batch/jobs/executions/9007199254740991')).status).toBe(404);
  });

  it("Fastify's own refusals are problems too", async () => {
    await expectProblem(await api.call('/api/batch/jobs/%E0%A4%A/executions'), 400, /%-escape does not decode/, 'bad escape');
    await expectProblem(await api.call(`/api/batch/jobs/${'j'.repeat(150)}/executions`), 414, /longer than the API accepts/, 'long segment');
    const authorization = `Bearer ${await api.token()}`;
    const post = (body: string, type = 'application/json') =>
      fetch(`${api.base}/api/batch/jobs/tokenCleanupJob/run`, { method: 'POST', body, headers: { 'content-type': type, authorization } });
    await expectProblem(await post('{"__proto__":{"admin":true}}'), 400, /"__proto__" or "constructor.prototype" key, which is refused/, '__proto__');
    await expectProblem(await post('{"constructor":{"prototype":{"admin":true}}}'), 400, /"__proto__" or "constructor.prototype" key/, 'constructor');
    await expectProblem(await post('{"parameters":'), 400, /the body is not valid JSON/, 'truncated JSON');
    await expectProblem(await post('<run/>', 'application/xml'), 415, /must be application\/json/, 'xml');
    await expectProblem(await post(JSON.stringify({ parameters: { note: 'x'.repeat(1_100_000) } })), 413, /larger than the API accepts/, 'large');
  });
});

describe.each(dialects)('job parameters at launch (%s)', (dialect) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(dialect, { env: { RATE_LIMIT_RUN_PER_MINUTE: '100000' } });
  });
  afterAll(() => api?.close());

  const instances = async () =>
    Number((await api.env.databases.batch.db.selectFrom('batch_job_instance').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('refuses bad names, non-string values, too many keys and impossible dates with 400, leaving no instance behind', async () => {
    const run = (body: unknown) => api.call('/api/batch/jobs/tokenCleanupJob/run', { method: 'POST', body: JSON.stringify(body) });
    const before = await instances();
    const cases: readonly [unknown, RegExp][] = [
      [{ parameters: { '../etc': 'x' } }, /parameter name "\.\.\/etc" is not accepted: expected \^\[A-Za-z\]/],
      [{ parameters: { [`k${'x'.repeat(100)}`]: 'x' } }, /parameter name "kxxx.*" is not accepted/],
      [{ parameters: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, /must NOT have more than 32 properties/],
      [{ parameters: { note: null } }, /must be string/],
      [{ parameters: { note: 5 } }, /must be string/],
      [{ dryRun: 1 }, /dryRun must be boolean/],
      [{ dryRun: 'true' }, /dryRun must be boolean/],
      [{ parameters: { runAt: '2026-02-30T00:00:00Z' } }, /runAt="2026-02-30T00:00:00Z" has no such day: 2026-02 has 28 days/],
      [{ parameters: { runAt: '2026-04-31T00:00:00Z' } }, /2026-04 has 30 days/],
      [{ parameters: { runAt: '2026-02-29T12:00:00Z' } }, /has no such day/],
      [{ parameters: { runAt: '2026-03-01T10:00:00' } }, /has no zone.*expected an ISO-8601 instant with its zone, e\.g\. 2026-11-28T02:00:00Z/],
      [{ parameters: { runAt: '2026-03-01' } }, /has no zone/],
      [{ parameters: { runAt: '1969-12-31T23:59:59Z' } }, /year outside 1970–9999/],
      [{ parameters: { runAt: '+010000-01-01T00:00:00Z' } }, /is not an ISO-8601 instant/],
      [{ parameters: { runAt: '2026-03-01T24:00:00Z' } }, /no such time of day/],
      [{ parameters: { runAt: '9999-12-31T23:59:59-14:00' } }, /is in the year 10000 in UTC, outside 1970–9999/],
      [{ parameters: { runAt: '1970-01-01T00:30:00+01:00' } }, /is in the year 1969 in UTC, outside 1970–9999/],
      [{ parameters: { runAt: 'tomorrow' } }, /is not an ISO-8601 instant/],
    ];
    for (const [body, detail] of cases) await expectProblem(await run(body), 400, detail, JSON.stringify(body).slice(0, 80));
    expect(await instances()).toBe(before);
    // Accepted: a leap day that exists, an offset, the last instant of 9999.
    for (const runAt of ['2028-02-29T12:00:00Z', '2026-03-01T03:00:00+01:00', '9999-12-31T23:59:59.999Z']) {
      const response = await run({ parameters: { runAt }, dryRun: true });
      expect(response.status, runAt).toBe(202);
      const { executionId } = (await response.json()) as { executionId: number };
      for (let i = 0; i < 200 && ['STARTED', 'STOPPING'].includes((await api.app.repository.getExecutionOrThrow(executionId)).status); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
});

describe.each(dialects)('bodies and parameters refused at launch, not by a FAILED run (%s)', (dialect) => {
  let api: Api;
  beforeAll(async () => {
    // A zone fourteen hours ahead of UTC: a runAt late on 31 December 9999 UTC is already 10000 there.
    api = await startApi(dialect, { env: { RATE_LIMIT_RUN_PER_MINUTE: '100000', BATCH_TIMEZONE: 'Pacific/Kiritimati' } });
  });
  afterAll(() => api?.close());

  const executions = async () =>
    Number((await api.env.databases.batch.db.selectFrom('batch_job_execution').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('a body that is not a JSON object, not JSON, not UTF-8 or not text is refused and launches nothing', async () => {
    const authorization = `Bearer ${await api.token()}`;
    const post = (body: string | Buffer, type = 'application/json', job = 'tokenCleanupJob') =>
      fetch(`${api.base}/api/batch/jobs/${job}/run`, { method: 'POST', body, headers: { 'content-type': type, authorization } });
    const before = await executions();
    await expectProblem(await post('null'), 400, /the body must be a JSON object, got null/, 'null');
    await expectProblem(await post('[]'), 400, /the body must be a JSON object, got an array/, 'array');
    await expectProblem(await post('[{"dryRun":true}]'), 400, /got an array/, 'array of one');
    await expectProblem(await post('"run"'), 400, /got string/, 'string');
    await expectProblem(await post('42'), 400, /got number/, 'number');
    await expectProblem(await post('{"dryRun":true}', 'text/plain'), 415, /must be application\/json/, 'text/plain');
    await expectProblem(await post(Buffer.concat([Buffer.from('{"parameters":{"note":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')])), 400, /not valid UTF-8/, 'bad UTF-8');
    await expectProblem(await post('{"parameters":{"note":"\\ud800"}}'), 400, /unpaired UTF-16 surrogate/, 'lone surrogate');
    await expectProblem(await post('{"parameters":{"\\udfff":"x"}}'), 400, /unpaired UTF-16 surrogate|parameter name/, 'lone surrogate key');
    expect(await executions()).toBe(before);
    // A well-formed pair (an emoji) is text like any other.
    const emoji = await post(JSON.stringify({ parameters: { note: 'thèse 🎓' }, dryRun: true }));
    expect(emoji.status).toBe(202);
  });

  it('a month or a runAt the run could not compute is a 400 at launch, in the configured zone', async () => {
    const run = (job: string, body: unknown) => api.call(`/api/batch/jobs/${job}/run`, { method: 'POST', body: JSON.stringify(body) });
    const before = await executions();
    const cases: readonly [string, unknown, RegExp][] = [
      ['monthlyReportJob', { parameters: { month: '9999-12' } }, /month="9999-12" is outside the months a report can cover, 1970-02 to 9999-11/],
      ['monthlyReportJob', { parameters: { month: '1970-01' } }, /month="1970-01" is outside/],
      ['monthlyReportJob', { parameters: { runAt: '1970-01-20T00:00:00Z' } }, /runAt=1970-01-20T00:00:00.000Z would report 1969-12 \(the month before it\)/],
      ['tokenCleanupJob', { parameters: { runAt: '9999-12-31T12:00:00Z' } }, /is in the year 10000 in Pacific\/Kiritimati, outside 1970–9999/],
      ['tokenCleanupJob', { parameters: { runAt: '9999-12-31T23:59:59-14:00' } }, /is in the year 10000 in UTC/],
    ];
    for (const [job, body, detail] of cases) await expectProblem(await run(job, body), 400, detail, `${job} ${JSON.stringify(body)}`);
    expect(await executions()).toBe(before);
    expect((await run('monthlyReportJob', { parameters: { month: '9999-11' }, dryRun: true })).status).toBe(202);
  });

  it('answers nosniff on JSON, and serves Swagger UI with a CSP and no framing', async () => {
    const jobs = await api.call('/api/batch/jobs');
    expect(jobs.headers.get('x-content-type-options')).toBe('nosniff');
    const problem = await fetch(`${api.base}/api/batch/jobs`);
    expect(problem.status).toBe(401);
    expect(problem.headers.get('x-content-type-options')).toBe('nosniff');
    for (const page of ['/swagger-ui', '/swagger-ui/static/index.html']) {
      const response = await fetch(`${api.base}${page}`, { redirect: 'manual' });
      expect(response.headers.get('content-security-policy'), page).toMatch(/frame-ancestors 'none'/);
      expect(response.headers.get('content-security-policy'), page).toMatch(/script-src 'self'(;|$)/);
      expect(response.headers.get('x-frame-options'), page).toBe('DENY');
      expect(response.headers.get('x-content-type-options'), page).toBe('nosniff');
    }
  });
});

describe('runAt is a real calendar instant (property)', () => {
  it('accepts exactly the dates that exist, between 1970 and 9999, with a zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1960, max: 10_010 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.constantFrom('Z', '+01:00', '-05:30', ''),
        (year, month, day, hour, zone) => {
          const pad = (n: number, w = 2) => String(n).padStart(w, '0');
          const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:00:00${zone}`;
          // Independent of the parser: the day exists when Date.UTC does not roll it over.
          const rolled = new Date(Date.UTC(year, month - 1, day));
          const exists = month >= 1 && month <= 12 && day >= 1 && rolled.getUTCDate() === day && rolled.getUTCMonth() === month - 1;
          // The year must hold once converted to UTC too (9999-12-31T20:00-05:30 is 10000 there).
          const utcYear = zone === '' ? NaN : new Date(Date.UTC(year, month - 1, day, hour) - offsetMinutes(zone) * 60_000).getUTCFullYear();
          const valid = exists && year >= 1970 && year <= 9999 && hour <= 23 && zone !== '' && utcYear >= 1970 && utcYear <= 9999;
          if (valid) {
            expect(parseRunAt(text).getTime()).toBe(Date.parse(text));
          } else {
            expect(() => parseRunAt(text)).toThrow(JobParametersInvalidError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function offsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const [hours, minutes] = zone.slice(1).split(':').map(Number) as [number, number];
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
