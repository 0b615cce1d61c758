/**
 * What /actuator/info says about the build (8.7): the package's name and version, and the
 * commit — GIT_COMMIT when set (container builds without .git), else the one `npm run
 * build` recorded in dist/build-info.json, else null. Never throws: info must answer.
 */
import { readFileSync } from 'node:fs';
import { projectFile } from '../project-root.js';

export interface BuildInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly commit: string | null;
  readonly builtAt: string | null;
}

const RECORDED = new URL('../build-info.json', import.meta.url);

export function readBuildInfo(gitCommit?: string): BuildInfo {
  const pkg = readJson(projectFile('package.json')) as { name?: string; version?: string; description?: string } | undefined;
  const recorded = readJson(RECORDED) as { commit?: string | null; builtAt?: string } | undefined;
  return {
    name: pkg?.name ?? 'batch-service',
    version: pkg?.version ?? 'unknown',
    description: pkg?.description ?? '',
    commit: gitCommit ?? recorded?.commit ?? null,
    builtAt: recorded?.builtAt ?? null,
  };
}

function readJson(url: URL): unknown {
  try {
    return JSON.parse(readFileSync(url, 'utf8'));
  } catch {
    return undefined;
  }
}
