// Every benchmark at its --smoke size, one after the other: a bench that no longer starts
// or finishes fails this script (and CI, which runs it). The figures printed mean nothing
// at these sizes; bench/README.md has the real runs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const benches = ['token-cleanup', 'duration-alerts', 'monthly-report', 'archive', 'data-consistency', 'api'];
const failed: string[] = [];
for (const bench of benches) {
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--expose-gc', path.join(import.meta.dirname, `${bench}.js`), '--smoke'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (run.status === 0) console.log(`bench:smoke ${bench}: ok in ${seconds} s`);
  else {
    process.stdout.write(run.stdout ?? '');
    console.log(`bench:smoke ${bench}: FAILED (exit ${run.status ?? run.signal}) after ${seconds} s`);
    failed.push(bench);
  }
}
if (failed.length > 0) {
  console.log(`bench:smoke: ${failed.length} of ${benches.length} failed: ${failed.join(', ')}`);
  process.exit(1);
}
