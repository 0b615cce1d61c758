/**
 * Disk space of the data directories (8.5; Spring's `diskSpace`): DOWN when one of them
 * has less free space than the threshold, since a full disk fails archives, reports,
 * logs and SQLite commits alike.
 */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { HealthIndicator } from './health.js';

export function diskSpaceIndicator(directories: readonly string[], thresholdBytes: number): HealthIndicator {
  return {
    name: 'diskSpace',
    async check() {
      const paths = [...new Set(directories.map((d) => path.resolve(d)))];
      const measured = await Promise.all(paths.map(async (dir) => [dir, await freeSpace(dir)] as const));
      const low = measured.filter(([, s]) => s.free < thresholdBytes).map(([dir]) => dir);
      return {
        status: low.length === 0 ? 'UP' : 'DOWN',
        details: {
          threshold: thresholdBytes,
          ...(low.length > 0 ? { error: `less than ${thresholdBytes} bytes free in ${low.join(', ')}` } : {}),
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
