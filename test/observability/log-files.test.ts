/** Log files: app and error lines apart, in dated files that roll over at midnight UTC. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeLogFiles, createLogger } from '../../src/observability/logger.js';

describe('log files', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every line to app-DAY.log, errors also to error-DAY.log, and starts new files at midnight', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'batch-logs-'));
    let now = Date.parse('2026-03-28T23:59:59.900Z');
    const logger = createLogger({ level: 'info', logDir: dir, console: 'none', clock: () => now });
    logger.info('before midnight');
    logger.error({ password: 'hunter2' }, 'failure before midnight');
    now = Date.parse('2026-03-29T00:00:00.100Z');
    logger.info('after midnight');
    logger.debug('below the level');
    await closeLogFiles(logger);
    logger.info('after close: dropped from the files, no crash');

    expect(readdirSync(dir).sort()).toEqual(['app-2026-03-28.log', 'app-2026-03-29.log', 'error-2026-03-28.log']);
    const lines = (file: string) => readFileSync(path.join(dir, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; time: number; password?: string });
    expect(lines('app-2026-03-28.log').map((l) => l.msg)).toEqual(['before midnight', 'failure before midnight']);
    expect(lines('app-2026-03-29.log').map((l) => l.msg)).toEqual(['after midnight']);
    expect(lines('error-2026-03-28.log').map((l) => l.msg)).toEqual(['failure before midnight']);
    expect(lines('app-2026-03-29.log')[0]?.time).toBe(now);
    expect(readFileSync(path.join(dir, 'error-2026-03-28.log'), 'utf8')).not.toContain('hunter2');
  });
});
