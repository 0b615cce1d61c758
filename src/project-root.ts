/**
 * The project's own files (package.json, assets/) from wherever this module runs: src/
 * under the tests, dist/ in production, dist-bench/src/ in the benchmarks sit at
 * different depths, so the root is the nearest folder above holding a package.json.
 */
import { existsSync } from 'node:fs';

export function projectFile(relative: string): URL {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    if (existsSync(new URL('package.json', dir))) return new URL(relative, dir);
    if (new URL('../', dir).href === dir.href) return new URL(relative, dir);
  }
}
