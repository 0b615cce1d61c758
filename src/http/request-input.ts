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
  // Every body of this API is a JSON object: `null`, an array or a bare value is refused
  // here rather than read as "no parameters" (a `null` body once launched a real run).
  // Fastify also reads text/plain by default; nothing here takes text, so it gets 415.
  server.removeContentTypeParser(['application/json', 'text/plain']);
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      // Bytes that are not UTF-8 would otherwise become U+FFFD in a stored parameter.
      text = STRICT_UTF8.decode(body as Buffer);
    } catch {
      return done(new HttpProblem(400, 'the body is not valid UTF-8'), undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      return done(new HttpProblem(400, bodyProblem(error as Error)), undefined);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return done(new HttpProblem(400, `the body must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`), undefined);
    }
    // A `\ud800` escape is valid JSON but no character: it cannot be stored or shown as text.
    const unpaired = firstIllFormedString(value);
    if (unpaired !== undefined) return done(new HttpProblem(400, `the body holds a string with an unpaired UTF-16 surrogate (${JSON.stringify(unpaired.slice(0, 40))})`), undefined);
    done(null, value);
  });
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** In `u` mode a surrogate pair is one code point, so only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The first key or string value, at any depth, that is not well-formed Unicode. */
function firstIllFormedString(value: unknown): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? value : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return key;
    const found = firstIllFormedString(inner);
    if (found !== undefined) return found;
  }
  return undefined;
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
