/**
 * The `run` command's progress line (issue 14): a bar with percentage, rate and ETA for a
 * step with an estimate, the old counter without one; drawn on a terminal by cli-progress,
 * one line left per step, nothing left running once the step ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, stepProgressDisplay, stepProgressLine, type StepProgress } from '../../src/cli/step-progress.js';
import { ZERO_COUNTS, type JobExecution, type StepExecution } from '../../src/engine/types.js';

const base: StepProgress = { jobName: 'tokenCleanupJob', stepName: 'cleanupRefreshTokensStep', read: 0, written: 0, readBefore: 0, estimatedTotal: null, elapsedMs: 0 };

describe('stepProgressLine', () => {
  it('with an estimate: bar, percentage, read of total, rate and ETA', () => {
    const line = stepProgressLine({ ...base, read: 50_000, written: 49_990, estimatedTotal: 200_000, elapsedMs: 2_000 });
    expect(line).toBe('tokenCleanupJob › cleanupRefreshTokensStep [██████░░░░░░░░░░░░░░░░░░]  25% 50000/200000 · 25000/s · ETA 6s');
  });

  it('without an estimate: the counter the CLI always showed', () => {
    const line = stepProgressLine({ ...base, read: 108_300, written: 108_300, elapsedMs: 4_303 });
    expect(line).toBe('tokenCleanupJob › cleanupRefreshTokensStep: read 108300, written 108300 (25168/s)');
  });

  it('a restarted step rates only what this run read, and its ETA follows', () => {
    // 150,000 read in all, 100,000 of them before the restart: 50,000 in 2 s.
    const line = stepProgressLine({ ...base, read: 150_000, written: 150_000, readBefore: 100_000, estimatedTotal: 200_000, elapsedMs: 2_000 });
    expect(line).toContain(' 75% 150000/200000 · 25000/s · ETA 2s');
  });

  it('minutes and hours once the ETA is long', () => {
    expect(stepProgressLine({ ...base, read: 1_000, estimatedTotal: 186_000, elapsedMs: 1_000 })).toMatch(/· 1000\/s · ETA 3m 05s$/);
    expect(stepProgressLine({ ...base, read: 10, estimatedTotal: 76_210, elapsedMs: 1_000 })).toMatch(/ETA 2h 07m$/);
  });

  it('no rate yet: no ETA to guess', () => {
    expect(stepProgressLine({ ...base, read: 0, estimatedTotal: 500, elapsedMs: 0 })).toMatch(/\[░{24}\] {3}0% 0\/500 · 0\/s · ETA —$/);
  });

  it('read past the estimate (rows added meanwhile): full bar, 100%, ETA 0s', () => {
    expect(stepProgressLine({ ...base, read: 530, estimatedTotal: 500, elapsedMs: 1_000 })).toMatch(/\[█{24}\] 100% 530\/500 · 530\/s · ETA 0s$/);
    expect(stepProgressLine({ ...base, read: 0, estimatedTotal: 0, elapsedMs: 10 })).toMatch(/\[█{24}\] 100% 0\/0 · 0\/s · ETA 0s$/);
  });

  it('an ended step shows its duration instead of an ETA', () => {
    expect(stepProgressLine({ ...base, read: 500, estimatedTotal: 500, elapsedMs: 4_800, ended: true })).toMatch(/100% 500\/500 · 104\/s · in 4\.80 s$/);
  });

  it('the bar keeps its width, and its percentage stays within 0–100 and never goes back as reads grow', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.nat(1_000_000), fc.nat(1_000_000), fc.integer({ min: 1, max: 10_000_000 }), (a, b, total, elapsedMs) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const at = (read: number) => stepProgressLine({ ...base, read, estimatedTotal: total, elapsedMs });
        const percent = (line: string) => Number(/\] +(\d+)%/.exec(line)?.[1]);
        for (const line of [at(low), at(high)]) {
          expect(/\[([█░]*)\]/.exec(line)?.[1]).toHaveLength(24);
          expect(percent(line)).toBeGreaterThanOrEqual(0);
          expect(percent(line)).toBeLessThanOrEqual(100);
        }
        expect(percent(at(high))).toBeGreaterThanOrEqual(percent(at(low)));
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [400, '1s'],
    [59_000, '59s'],
    [59_200, '1m 00s'],
    [3_599_000, '59m 59s'],
    [3_600_000, '1h 00m'],
    [7_620_000, '2h 07m'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('stepProgressDisplay on a terminal', () => {
  const execution = { id: 7, jobName: 'tokenCleanupJob' } as JobExecution;
  const step = (read: number, estimatedTotal: number | null, stepName = 'cleanupRefreshTokensStep'): StepExecution => ({
    id: 1, jobExecutionId: 7, stepName, status: 'STARTED', exitCode: 'EXECUTING', exitMessage: null,
    counts: { ...ZERO_COUNTS, read, write: read }, estimatedTotal, context: {}, startTime: new Date(0), endTime: null,
  });
  const terminal = () => {
    const written: string[] = [];
    const stream = { isTTY: true, columns: 200, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream;
    return { stream, text: () => written.join('') };
  };
  /** What stays on screen: each line as its last redraw (from column 1) left it. */
  const screen = (text: string) =>
    text
      .split('\n')
      .map((line) => line.replaceAll('\x1b7', '').replaceAll('\x1b8', '').replaceAll('\x1b[0K', '').split('\x1b[1G').at(-1) ?? '');

  it('draws a bar per step with an estimate, a counter for one without, each left on its own line', async () => {
    const { stream, text } = terminal();
    let now = 0;
    const { listener } = stepProgressDisplay(stream, () => now);

    void listener.beforeStep!(execution, step(0, null));
    now = 1_000;
    void listener.afterChunk!(execution, step(100, 400), { read: 100, written: 100, durationMs: 10 });
    now = 4_000;
    void listener.afterStep!(execution, step(400, 400));
    void listener.beforeStep!(execution, step(0, null, 'cleanupPasswordResetTokensStep'));
    now = 6_000;
    void listener.afterChunk!(execution, step(50, null, 'cleanupPasswordResetTokensStep'), { read: 50, written: 50, durationMs: 10 });
    void listener.afterStep!(execution, step(50, null, 'cleanupPasswordResetTokensStep'));

    expect(text()).toContain('tokenCleanupJob › cleanupRefreshTokensStep [██████░░░░░░░░░░░░░░░░░░]  25% 100/400 · 100/s · ETA 3s');
    expect(screen(text())).toEqual([
      'tokenCleanupJob › cleanupRefreshTokensStep [████████████████████████] 100% 400/400 · 100/s · in 4.00 s',
      'tokenCleanupJob › cleanupPasswordResetTokensStep: read 50, written 50 (25/s)',
      '',
    ]);
  });

  it('close() ends a line the run never ended, so the command can exit', () => {
    const { stream, text } = terminal();
    const display = stepProgressDisplay(stream, () => 0);
    void display.listener.beforeStep!(execution, step(0, null));
    void display.listener.afterChunk!(execution, step(10, 100), { read: 10, written: 10, durationMs: 1 });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

    display.close();

    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before - 1);
    expect(text().endsWith('\n')).toBe(true);
  });
});
