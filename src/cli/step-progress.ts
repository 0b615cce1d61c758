/**
 * What `run` and `restart` show on a terminal while a job runs (issue 14): one line per
 * chunk step, redrawn in place and left behind when the step ends. A step that gave an
 * estimate (`estimatedTotal`) gets a bar with its percentage, rate and ETA; one without
 * keeps the counter it always had. cli-progress redraws the line (throttled, also between
 * slow chunks, so the ETA keeps moving); what the line says is `stepProgressLine`, a pure
 * function. The CLI adds the display only when stderr is a terminal: in a pipe or a log
 * file nothing is drawn.
 */
import { SingleBar } from 'cli-progress';
import type { BatchListener, JobExecution, StepExecution } from '../engine/types.js';
import { formatSeconds } from './format.js';

export interface StepProgress {
  readonly jobName: string;
  readonly stepName: string;
  readonly read: number;
  readonly written: number;
  /** A dry run's would-write count: shown instead of `written`, which is 0 there. */
  readonly wouldWrite?: number;
  /** What the step had read before this run of it (restored on a restart): not part of its rate. */
  readonly readBefore: number;
  readonly estimatedTotal: number | null;
  /** Since this run of the step started. */
  readonly elapsedMs: number;
  /** The step has ended: its duration replaces the ETA. */
  readonly ended?: boolean;
}

const BAR_WIDTH = 24;

/**
 * The progress line of a step.
 *
 * @example
 * stepProgressLine({ jobName: 'tokenCleanupJob', stepName: 'cleanupRefreshTokensStep', read: 50_000, written: 50_000,
 *   readBefore: 0, estimatedTotal: 200_000, elapsedMs: 2_000 });
 * // 'tokenCleanupJob › cleanupRefreshTokensStep [██████░░░░░░░░░░░░░░░░░░]  25% 50000/200000 · 25000/s · ETA 6s'
 */
export function stepProgressLine(progress: StepProgress): string {
  const { jobName, stepName, read, written, readBefore, estimatedTotal: total, elapsedMs } = progress;
  const perSecond = (read - readBefore) / Math.max(0.001, elapsedMs / 1000);
  const rate = `${Math.round(perSecond)}/s`;
  const output = progress.wouldWrite ? `would write ${progress.wouldWrite}` : `written ${written}`;
  if (total === null) return `${jobName} › ${stepName}: read ${read}, ${output} (${rate})`;
  // Rows added after the count can take `read` past the estimate: the bar stops full.
  const done = total === 0 ? 1 : Math.min(1, read / total);
  const filled = Math.round(done * BAR_WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  const percent = `${String(Math.floor(done * 100)).padStart(3)}%`;
  const remaining = Math.max(0, total - read);
  const tail = progress.ended
    ? `in ${formatSeconds(elapsedMs)}`
    : `ETA ${remaining === 0 ? '0s' : perSecond > 0 ? formatDuration((remaining / perSecond) * 1000) : '—'}`;
  return `${jobName} › ${stepName} [${bar}] ${percent} ${read}/${total} · ${rate} · ${tail}`;
}

/** 42s, 3m 05s, 2h 07m: as precise as an estimate deserves. */
export function formatDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export interface StepProgressDisplay {
  readonly listener: BatchListener;
  /**
   * Ends the line being drawn, if any. The listener ends each step's line itself; this is
   * for a run that ended without telling its listeners (lease lost, batchdb gone), whose
   * redraw timer would otherwise keep the command from exiting.
   */
  close(): void;
}

/**
 * The progress display of the `run` and `restart` commands, on a terminal stream.
 *
 * @example
 * const progress = stepProgressDisplay(process.stderr);
 * const app = await createApp(cfg, logger, { listeners: [progress.listener] });
 * try { … } finally { progress.close(); }
 */
export function stepProgressDisplay(stream: NodeJS.WriteStream, clock: () => number = Date.now): StepProgressDisplay {
  let bar: SingleBar | undefined;
  let shown: Omit<StepProgress, 'elapsedMs'> | undefined;
  let stepStart = clock();
  let readBefore = 0;

  const show = (execution: JobExecution, step: StepExecution, ended: boolean) => {
    shown = { jobName: execution.jobName, stepName: step.stepName, read: step.counts.read, written: step.counts.write, wouldWrite: step.counts.wouldWrite, readBefore, estimatedTotal: step.estimatedTotal, ended };
    if (bar) {
      bar.update(step.counts.read);
      return;
    }
    bar = progressBar(stream, () => (shown ? stepProgressLine({ ...shown, elapsedMs: clock() - stepStart }) : ''));
    bar.start(step.estimatedTotal ?? 0, step.counts.read);
  };
  const close = () => {
    bar?.stop();
    bar = undefined;
  };

  return {
    listener: {
      beforeStep(_execution, step) {
        stepStart = clock();
        readBefore = step.counts.read;
      },
      afterChunk(execution, step) {
        show(execution, step, false);
      },
      afterStep(execution, step) {
        // Only a step that drew a line ends one: a tasklet or an empty step shows nothing.
        if (bar) show(execution, step, true);
        close();
      },
      afterJob() {
        close();
      },
    },
    close,
  };
}

/** One progress line on a terminal, redrawn four times a second with the given text. */
export function progressBar(stream: NodeJS.WriteStream, format: () => string): SingleBar {
  return new SingleBar({
    stream,
    fps: 4,
    // Drawn cut to the terminal's width rather than with wrapping switched off: a
    // process killed mid-bar would leave the terminal without it.
    linewrap: true,
    gracefulExit: false,
    format,
  });
}
