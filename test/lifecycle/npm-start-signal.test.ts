/**
 * `npm start`, the README's first command, stops cleanly on SIGTERM and SIGINT sent to npm
 * (what a terminal's Ctrl-C or a supervisor does). npm forwards the signal to its child; the
 * script `exec`s node so that child is the service itself, not a shell that would die and
 * leave the service running (issue: the service outlived `npm start`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const answers = (port: number) => fetch(`http://127.0.0.1:${port}/actuator/health/liveness`).then((r) => r.ok, () => false);

describe('npm start and signals', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each(['SIGTERM', 'SIGINT'] as const)('%s to npm start shuts the service down; nothing keeps running', async (signal) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'batch-npm-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    // --ignore-scripts skips prestart (the build: the test command has built already), not start itself.
    const npm = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), LOG_FORMAT: 'json', SCHEDULER_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => npm.on('close', (code) => resolve(code)));
    for (let i = 0; i < 300 && !(await answers(port)); i++) await sleep(100);
    expect(await answers(port), output).toBe(true);

    npm.kill(signal);
    await exited;
    for (let i = 0; i < 100 && (await answers(port)); i++) await sleep(100);
    expect(await answers(port), `the service still answers after ${signal} to npm start:\n${output}`).toBe(false);
    expect(output).toMatch(/shutdown complete/);
  }, 60_000);
});
