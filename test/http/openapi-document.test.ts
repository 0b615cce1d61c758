/**
 * The OpenAPI document describes the API that runs: valid for two independent tools
 * (swagger-parser's schema validation, Redocly's recommended lint rules with no error),
 * every registered route documented and every documented operation registered.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/http/route-table.js';
import { startApi, type Api } from './api-harness.js';

interface Operation {
  summary?: string;
  security?: unknown[];
  requestBody?: { required?: boolean };
  responses: Record<string, unknown>;
}
type Document = { openapi: string; servers?: unknown[]; paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

describe('the OpenAPI document', () => {
  let api: Api;
  let document: Document;
  beforeAll(async () => {
    api = await startApi('sqlite');
    document = (await (await fetch(`${api.base}/v3/api-docs`)).json()) as Document;
  });
  afterAll(() => api?.close());

  it('is valid OpenAPI 3.0 for swagger-parser', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('has no error under Redocly’s recommended rules', async () => {
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'api-docs.json', config: await createConfig({ extends: ['recommended'] }) });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`);
    expect(errors).toEqual([]);
  });

  it('documents every registered route and nothing else', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((k) => METHODS.includes(k)).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const registered = registeredRoutes(api.server)
      .filter((r) => !r.hidden && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect([...new Set(documented)].sort()).toEqual([...new Set(registered)].sort());
  });

  it('says which operations are public, which body is optional, and every error an operation can give', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item).filter(([k]) => METHODS.includes(k))) {
        const label = `${method.toUpperCase()} ${path}`;
        expect(operation.summary, label).toBeTruthy();
        if (path.startsWith('/actuator')) {
          expect(operation.security, label).toEqual([]);
        } else {
          expect(operation.security, label).toEqual([{ bearerAuth: [] }]);
          expect(Object.keys(operation.responses), label).toEqual(expect.arrayContaining(['400', '401', '403', '500', '503']));
        }
        if (method === 'post') expect(Object.keys(operation.responses), label).toEqual(expect.arrayContaining(['413', '415']));
      }
    }
    expect(document.paths['/api/batch/jobs/{jobName}/run']?.post?.requestBody?.required).toBe(false);
    for (const path of ['/actuator/health', '/actuator/health/readiness']) expect(Object.keys(document.paths[path]!.get!.responses)).toContain('503');
  });
});
