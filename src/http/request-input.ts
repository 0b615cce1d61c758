/**
 * What the API accepts as input, before the route schemas see it.
 *
 * Ajv's type coercion is off for the whole server: it would turn `"0x10"` into 16,
 * `" 12"` into 12, `"1e3"` into 1000, `null` into `""` and `1` into `true`, so a client's
 * mistake would silently become another request. Instead, integers in paths and query
 * strings are parsed here, strictly: decimal digits only, then the schema checks the
 * bounds. Bodies are JSON and are taken as they are.
 */
import sjson from 'secure-json-parse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

/** Digits only, short enough that the number is exact; bounds are the schema's business. */
const DECIMAL = /^[0-9]{1,16}$/;

interface ObjectSchema {
  readonly properties?: Readonly<Record<string, { readonly type?: unknown }>>;
}

export function registerRequestInput(server: FastifyInstance): void {
  server.addHook('preValidation', async (request) => {
    const { schema } = request.routeOptions;
    if (!schema) return;
    parseIntegers(request, 'params', schema.params as ObjectSchema | undefined);
    parseIntegers(request, 'query', schema.querystring as ObjectSchema | undefined);
  });

  // Fastify's own parser says "Body is not valid JSON" for a `__proto__` key as for a
  // missing brace; this one says which it is. An empty body is no body (6.2: optional).
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(new HttpProblem(400, bodyProblem(error as Error)), undefined);
    }
  });
}

function parseIntegers(request: FastifyRequest, part: 'params' | 'query', schema: ObjectSchema | undefined): void {
  const values = request[part] as Record<string, unknown> | undefined;
  if (!values || !schema?.properties) return;
  for (const [name, property] of Object.entries(schema.properties)) {
    const raw = values[name];
    if (property.type !== 'integer' || raw === undefined) continue;
    if (typeof raw !== 'string' || !DECIMAL.test(raw)) {
      throw new HttpProblem(400, `${name} must be a decimal integer (digits only, at most 16), got ${JSON.stringify(raw)}`);
    }
    values[name] = Number(raw);
  }
}

function bodyProblem(error: Error): string {
  if (/forbidden prototype property/.test(error.message)) {
    return 'the JSON body has a "__proto__" or "constructor.prototype" key, which is refused (it could alter the objects it is merged into)';
  }
  return `the body is not valid JSON: ${error.message}`;
}
