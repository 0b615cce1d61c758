/**
 * faker (megabytes of locale data) is for the demo data only: the service — its app,
 * HTTP server and every job — never loads it; `demo-data` does. Watched with Node's
 * module resolution hooks in a child process running the built service (dist/).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';

const run = promisify(execFile);

/** A child that records every specifier resolved, does `work`, then prints those naming faker. */
async function fakerImports(work: string): Promise<string[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'faker-loading-'));
  const dist = (file: string) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', file)).href);
  const program = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
    const { loadConfig } = await import(${dist('config.js')});
    const { createApp } = await import(${dist('app.js')});
    const { buildServer } = await import(${dist('http/server.js')});
    const { silentLogger } = await import(${dist('observability/logger.js')});
    const { generateDemoData } = await import(${dist('db/fixtures/demo-data.js')});
    const config = loadConfig({ DATA_DIR: process.env.PROBE_DATA_DIR, DEMO_DATA: 'never', SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'error' });
    const app = await createApp(config, silentLogger);
    const server = await buildServer(app);
    ${work}
    await server.close();
    await app.close();
    console.log(JSON.stringify(seen.filter((s) => s.includes('@faker-js/faker'))));
  `;
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, env: { ...process.env, PROBE_DATA_DIR: dataDir } });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Synchronous resolution hooks came with Node 22.15; the service runs on 24.
describe.skipIf(!('registerHooks' in module))('faker is loaded by demo-data only', () => {
  it('the app, its HTTP server and a job run never load it; generating demo data does', async () => {
    expect(await fakerImports(`await (await app.operator.start('tokenCleanupJob', { trigger: 'CLI' })).done;`)).toEqual([]);
    expect(await fakerImports(`await generateDemoData(app.databases, { scale: 0.01, uploadsDir: config.uploadsDir });`)).toEqual(['@faker-js/faker']);
  }, 60_000);
});
