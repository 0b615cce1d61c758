/**
 * The OpenAPI 3 document, generated from the routes' TypeBox schemas, at Spring's
 * springdoc path `/v3/api-docs`, and Swagger UI at `/swagger-ui`. Both are public:
 * they describe the API, and every call it documents still needs an admin token.
 */
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { PUBLIC, publicScope } from './authentication.js';

/**
 * Schema key of a route whose body may be left out: @fastify/swagger marks every body
 * required (Fastify wants one to validate), the document is corrected below.
 */
export const OPTIONAL_BODY = 'x-optional-body';

type Operation = { requestBody?: { required?: boolean }; [key: string]: unknown };

/** Before any route: @fastify/swagger collects the routes registered after it. */
export async function registerOpenApi(server: FastifyInstance, version: string): Promise<void> {
  await server.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'batch-service admin API',
        description:
          'Launch, inspect, stop and restart the batch jobs of the doctoral school platform; reports; audit log. ' +
          'Every /api/batch call needs a JWT holding ROLE_ADMIN (401 without a valid token, 403 without the role). ' +
          'Errors are application/problem+json (RFC 9457).',
        version,
      },
      // Relative: the document is right behind whatever host or gateway serves it.
      servers: [{ url: '/', description: 'this service' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'locally: batch-service token --sub me --role ROLE_ADMIN' },
        },
      },
      tags: [
        { name: 'jobs', description: 'jobs, schedules, launches and statistics' },
        { name: 'executions', description: 'executions: list, inspect, stop, restart' },
        { name: 'reports', description: 'generated PDF reports' },
        { name: 'audit', description: 'the append-only audit log' },
        { name: 'archives', description: 'encrypted archives of inscriptions and defenses: list, describe, download decrypted' },
        { name: 'anomalies', description: 'what dataConsistencyJob found: open and resolved anomalies' },
        { name: 'actuator', description: 'health, metrics and build information; no token needed' },
      ],
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const { openapiObject } = documentObject;
      for (const path of Object.values(openapiObject.paths ?? {})) {
        for (const operation of Object.values(path as Record<string, Operation>)) {
          if (operation[OPTIONAL_BODY] !== true) continue;
          delete operation[OPTIONAL_BODY];
          if (operation.requestBody) operation.requestBody.required = false;
        }
      }
      return openapiObject;
    },
  });
  await server.register(async (scope) => {
    publicScope(scope);
    // A page served by the service gets the console's protections: no framing (click-jacking),
    // no sniffing, a CSP. Swagger UI 5 has no inline script (its csp.json lists none), so
    // scripts come from 'self' only; its styles set inline style attributes.
    await scope.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      xFrameOptions: { action: 'deny' },
      strictTransportSecurity: false,
    });
    await scope.register(swaggerUi, { routePrefix: '/swagger-ui' });
  });
  server.get('/v3/api-docs', { config: PUBLIC, schema: { hide: true } }, async () => server.swagger());
}
