/**
 * Disk space of the data directories (8.5; Spring's `diskSpace`): DOWN when one of them
 * has less free space than the threshold, since a full disk fails archives, reports,
 * logs and SQLite commits alike; DOWN too when a directory that existed at start is gone
 * (deleted or unmounted under the running service), naming the variable that points at it.
 */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { HealthIndicator } from './health.js';

/** `[variable, directory]`, e.g. `['DATA_DIR', '/srv/batch']`. */
export type NamedDirectory = readonly [string, string];

export function diskSpaceIndicator(directories: readonly NamedDirectory[], thresholdBytes: number): HealthIndicator {
  const named = directories.map(([variable, dir]) => [variable, path.resolve(dir)] as const);
  const existedAtStart = named.filter(([, dir]) => existsSync(dir));
  return {
    name: 'diskSpace',
    async check() {
      const paths = [...new Set(named.map(([, dir]) => dir))];
      const measured = await Promise.all(paths.map(async (dir) => [dir, await freeSpace(dir)] as const));
      const low = measured.filter(([, s]) => s.free < thresholdBytes).map(([dir]) => dir);
      const gone = existedAtStart.filter(([, dir]) => !existsSync(dir)).map(([variable, dir]) => `${variable} ${dir}`);
      const errors = [
        ...(gone.length > 0 ? [`no longer exists (deleted or unmounted while the service runs): ${gone.join(', ')}`] : []),
        ...(low.length > 0 ? [`less than ${thresholdBytes} bytes free in ${low.join(', ')}`] : []),
      ];
      return {
        status: errors.length === 0 ? 'UP' : 'DOWN',
        details: {
          threshold: thresholdBytes,
          ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
          paths: Object.fromEntries(measured),
        },
      };
    },
  };
}

/** A directory not created yet is measured on its nearest existing parent: the disk it will use. */
async function freeSpace(dir: string): Promise<{ total: number; free: number }> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      const stats = await statfs(current);
      return { total: stats.blocks * stats.bsize, free: stats.bavail * stats.bsize };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) throw error;
    }
  }
}
