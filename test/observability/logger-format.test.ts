/**
 * What `serve` prints (issue 14): JSON lines when stdout is not a terminal or
 * LOG_FORMAT=json; pino-pretty's human lines and a start banner with LOG_FORMAT=pretty
 * (the default on a terminal) — while the files under LOG_DIR stay JSON either way.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Env } from '../../src/config.js';
import { startChild, type RunningChild } from '../support/child.js';

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describe('LOG_FORMAT setting', () => {
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  afterEach(() => {
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  });
  const withStdoutTty = (isTTY: boolean) => Object.defineProperty(process.stdout, 'isTTY', { value: isTTY, configurable: true });

  it('defaults to pretty on a terminal and to json otherwise; an explicit value wins', () => {
    withStdoutTty(true);
    expect(loadConfig({}).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    withStdoutTty(false);
    expect(loadConfig({}).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });

  it('refuses anything but json or pretty, naming the variable', () => {
    expect(() => loadConfig({ LOG_FORMAT: 'text' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_FORMAT: 'text' })).toThrow('LOG_FORMAT="text": expected json or pretty');
  });
});

describe('serve output (real process)', () => {
  let dataDir: string;
  let child: RunningChild | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-log-format-'));
  });
  afterEach(async () => {
    if (child && child.process.exitCode === null) child.process.kill('SIGKILL');
    await child?.exited;
    child = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts serve, waits until it is fully up, stops it with SIGTERM; its output and log files. */
  async function serveOnce(extra: Env, readyLine: RegExp) {
    child = startChild(
      ['src/cli.ts', 'serve'],
      { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', DEMO_DATA: 'never', SCHEDULER_ENABLED: 'false', ...extra },
      { tsx: true },
    );
    await child.waitForLine(readyLine);
    child.process.kill('SIGTERM');
    const ended = await child.exited;
    expect(ended.code).toBe(0);
    const logDir = path.join(dataDir, 'logs');
    const fileLines = readdirSync(logDir)
      .filter((f) => f.startsWith('app-'))
      .flatMap((f) => readFileSync(path.join(logDir, f), 'utf8').split('\n'))
      .filter((l) => l !== '');
    return { stdoutLines: ended.stdout.split('\n').filter((l) => l.trim() !== ''), fileLines };
  }

  it.each([
    ['LOG_FORMAT=json', { LOG_FORMAT: 'json' }],
    ['no LOG_FORMAT and stdout a pipe', {}],
  ])('%s: every stdout line is a JSON log line, no banner', async (_, env) => {
    const { stdoutLines } = await serveOnce(env, /"msg":"admin console \(embedded default\): http:\/\/localhost:\d+\/admin\/#token=/);
    expect(stdoutLines.length).toBeGreaterThan(3);
    expect(stdoutLines.filter((l) => !isJson(l))).toEqual([]);
    const messages = stdoutLines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toContainEqual(expect.stringMatching(/^batch-service listening on port \d+$/));
    expect(messages).toContainEqual(expect.stringMatching(/^batch-service \d+\.\d+\.\d+ ready at http:\/\/localhost:\d+$/));
    expect(messages).toContain('shutdown complete');
  }, 60_000);

  it('LOG_FORMAT=pretty: human lines and the start banner on stdout, JSON lines in LOG_DIR', async () => {
    const { stdoutLines, fileLines } = await serveOnce({ LOG_FORMAT: 'pretty' }, /^ {2}console {4}http:\/\/localhost:\d+\/admin\/#token=\S+$/m);
    expect(stdoutLines.filter(isJson)).toEqual([]);
    expect(stdoutLines).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: batch-service listening on port \d+/));
    expect(stdoutLines).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: shutdown complete$/));
    const banner = stdoutLines.findIndex((l) => /^batch-service \d+\.\d+\.\d+ — http:\/\/localhost:\d+$/.test(l));
    expect(banner).toBeGreaterThan(-1);
    expect(stdoutLines.slice(banner + 1, banner + 8).map((l) => l.trim().split(/\s+/)[0])).toEqual(['data', 'databases', 'mail', 'events', 'zone', 'archives', 'console']);
    expect(stdoutLines[banner + 1]).toContain(dataDir);
    expect(stdoutLines[banner + 2]).toContain('embedded SQLite');
    expect(stdoutLines[banner + 3]).toContain(`.eml files in ${path.join(dataDir, 'mail')}`);
    expect(stdoutLines[banner + 4]).toContain('outbox only');
    expect(stdoutLines[banner + 5]).toContain(Intl.DateTimeFormat().resolvedOptions().timeZone);
    // The embedded default's own key, made by this first start.
    expect(stdoutLines[banner + 6]).toContain(`key local (${path.join(dataDir, 'archive-keys')})`);

    expect(fileLines.length).toBeGreaterThan(2);
    expect(fileLines.filter((l) => !isJson(l))).toEqual([]);
    expect(fileLines.join('\n')).toContain('listening on port');
  }, 60_000);
});
