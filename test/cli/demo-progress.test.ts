/**
 * `demo-data`'s progress line and closing summary (issue 16, item 7): the line as a pure
 * function, and the display on a terminal keeping one line, redrawn through the phases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoDataSummary, demoProgressDisplay, demoProgressLine } from '../../src/cli/demo-progress.js';
import { DEMO_DATA_PHASES, type DemoDataSummary } from '../../src/db/fixtures/demo-data.js';

describe('demoProgressLine', () => {
  it('phase number, phase, bar, percentage, count of planned and time since the start', () => {
    expect(demoProgressLine({ phase: 'insert refresh_tokens', done: 125_000, planned: 500_000 }, 31_000)).toBe(
      ' 9/16 insert refresh_tokens [█████░░░░░░░░░░░░░░░]  25% 125000/500000 · 31s',
    );
  });

  it('numbers the first and last phases, and shows minutes once past one', () => {
    expect(demoProgressLine({ phase: 'plan users', done: 0, planned: 100_000 }, 0)).toBe(
      ' 1/16 plan users [░░░░░░░░░░░░░░░░░░░░]   0% 0/100000 · 0s',
    );
    expect(demoProgressLine({ phase: 'write files', done: 91_308, planned: 91_308 }, 65_646)).toBe(
      '16/16 write files [████████████████████] 100% 91308/91308 · 1m 06s',
    );
  });

  it('a phase with nothing to do is full', () => {
    expect(demoProgressLine({ phase: 'insert documents', done: 0, planned: 0 }, 1_000)).toMatch(/\[█{20}\] 100% 0\/0 · 1s$/);
  });

  it('the bar keeps its width, and its percentage stays within 0–100 and never goes back as rows are done', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DEMO_DATA_PHASES), fc.nat(1_000_000), fc.nat(1_000_000), fc.nat(1_000_000), (phase, a, b, planned) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const at = (done: number) => demoProgressLine({ phase, done, planned }, 1_000);
        const percent = (line: string) => Number(/\] +(\d+)%/.exec(line)?.[1]);
        for (const line of [at(low), at(high)]) {
          expect(/\[([█░]*)\]/.exec(line)?.[1]).toHaveLength(20);
          expect(percent(line)).toBeGreaterThanOrEqual(0);
          expect(percent(line)).toBeLessThanOrEqual(100);
        }
        expect(percent(at(high))).toBeGreaterThanOrEqual(percent(at(low)));
      }),
    );
  });
});

describe('demoDataSummary', () => {
  it('the rows per table, then the time it took', () => {
    const summary: DemoDataSummary = {
      users: 100_000,
      userRoles: 116_782,
      refreshTokens: 500_000,
      passwordResetTokens: 500_000,
      inscriptions: 75_000,
      documents: 51_224,
      soutenances: 25_000,
      soutenanceDocuments: 40_078,
      notifications: 500_000,
      files: 91_308,
      orphanFiles: 4,
    };
    const lines = demoDataSummary(summary, 65_646).split('\n');
    expect(lines[0]).toMatch(/^table\s+rows$/);
    expect(lines).toContain('refreshTokens        500000');
    expect(lines).toHaveLength(1 + Object.keys(summary).length + 1);
    expect(lines.at(-1)).toBe('generated in 65.65 s');
  });
});

describe('demoProgressDisplay on a terminal', () => {
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

  it('redraws one line through the phases and leaves the last one when closed', () => {
    const { stream, text } = terminal();
    let now = 0;
    const display = demoProgressDisplay(stream, () => now);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();

    display.update({ phase: 'plan users', done: 0, planned: 200 });
    expect(timers()).toBe(before + 1);
    now = 500;
    display.update({ phase: 'plan users', done: 200, planned: 200 });
    now = 2_000;
    display.update({ phase: 'insert refresh_tokens', done: 250, planned: 1_000 });
    now = 3_000;
    display.update({ phase: 'write files', done: 40, planned: 40 });
    display.close();

    expect(text()).toContain(' 1/16 plan users [░░░░░░░░░░░░░░░░░░░░]   0% 0/200 · 0s');
    expect(screen(text())).toEqual(['16/16 write files [████████████████████] 100% 40/40 · 3s', '']);
    expect(timers()).toBe(before);
  });

  it('draws nothing until told something', () => {
    const { stream, text } = terminal();
    demoProgressDisplay(stream, () => 0).close();
    expect(text()).toBe('');
  });
});
