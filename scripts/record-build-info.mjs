// Records the commit being built in dist/build-info.json for /actuator/info. Never fails
// the build: outside a git checkout (a tarball, a container context) the commit is null.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

function currentCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}
const commit = currentCommit();
mkdirSync('dist', { recursive: true });
writeFileSync('dist/build-info.json', `${JSON.stringify({ commit, builtAt: new Date().toISOString() })}\n`);
