/**
 * What `demo-data` shows while it works (issue 16, item 7): one line on a terminal,
 * redrawn in place, with the phase, its bar and the time since the start; at the end,
 * the table of rows written and how long it all took. As for `run` (step-progress.ts),
 * cli-progress redraws the line, `demoProgressLine` says what it holds, and the CLI adds
 * the display only when stderr is a terminal: in a pipe or a log file nothing is drawn.
 */
import type { SingleBar } from 'cli-progress';
import { DEMO_DATA_PHASES, type DemoDataProgress, type DemoDataSummary } from '../db/fixtures/demo-data.js';
import { formatSeconds, table } from './format.js';
import { formatDuration, progressBar } from './step-progress.js';

const BAR_WIDTH = 20;

/**
 * The progress line of a generation.
 *
 * @example
 * demoProgressLine({ phase: 'insert refresh_tokens', done: 125_000, planned: 500_000 }, 31_000);
 * // ' 9/16 insert refresh_tokens [█████░░░░░░░░░░░░░░░]  25% 125000/500000 · 31s'
 */
export function demoProgressLine(progress: DemoDataProgress, elapsedMs: number): string {
  const { phase, done: count, planned } = progress;
  const done = planned === 0 ? 1 : Math.min(1, count / planned);
  const filled = Math.round(done * BAR_WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  const percent = `${String(Math.floor(done * 100)).padStart(3)}%`;
  const position = `${String(DEMO_DATA_PHASES.indexOf(phase) + 1).padStart(2)}/${DEMO_DATA_PHASES.length}`;
  return `${position} ${phase} [${bar}] ${percent} ${count}/${planned} · ${formatDuration(elapsedMs)}`;
}

/**
 * What `demo-data` prints on stdout at the end: rows and files per table, then the time.
 *
 * @example
 * console.log(demoDataSummary(summary, 65_646));
 * // table       rows
 * // users     100000
 * // …
 * // generated in 65.65 s
 */
export function demoDataSummary(summary: DemoDataSummary, elapsedMs: number): string {
  const rows = Object.entries(summary).map(([name, count]) => [name, String(count)]);
  return [...table([['table', 'rows'], ...rows]), `generated in ${formatSeconds(elapsedMs)}`].join('\n');
}

export interface DemoProgressDisplay {
  /** Give it to `generateDemoData` as `onProgress`. */
  readonly update: (progress: DemoDataProgress) => void;
  /** Leaves the last line drawn and stops redrawing (whose timer would keep the process alive). */
  close(): void;
}

/**
 * The progress display of `demo-data`, on a terminal stream.
 *
 * @example
 * const progress = process.stderr.isTTY ? demoProgressDisplay(process.stderr) : undefined;
 * try { await generateDemoData(databases, { uploadsDir, onProgress: progress?.update }); } finally { progress?.close(); }
 */
export function demoProgressDisplay(stream: NodeJS.WriteStream, clock: () => number = Date.now): DemoProgressDisplay {
  const started = clock();
  let shown: DemoDataProgress | undefined;
  let bar: SingleBar | undefined;
  return {
    update(progress) {
      shown = progress;
      if (bar) {
        bar.setTotal(progress.planned);
        bar.update(progress.done);
        return;
      }
      bar = progressBar(stream, () => (shown ? demoProgressLine(shown, clock() - started) : ''));
      bar.start(progress.planned, progress.done);
    },
    close() {
      bar?.stop();
      bar = undefined;
    },
  };
}
