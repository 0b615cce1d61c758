/**
 * The fault harness's comparison of figures (bench/faults/invariants.ts): what varies by
 * nature is never a violation, what two unfaulted runs agree on must come out the same.
 */
import { describe, expect, it } from 'vitest';
import { compareFigures, volatileFigures, type Figures } from '../../bench/faults/invariants.js';

const figures = (archiveBytes: string, archivedRecords: string): Figures => ({
  metrics: { 'm.archiveBytes': archiveBytes, 'm.archivedRecords': archivedRecords },
  steps: {},
  complete: true,
});

describe('the fault harness compares figures', () => {
  it('never compares archiveBytes, even when the two unfaulted runs happened to agree on it', () => {
    const volatile = volatileFigures(figures('143341', '10'), figures('143341', '10'));
    expect(compareFigures(figures('143341', '10'), volatile, figures('143334', '10'))).toEqual([]);
  });

  it('reports any other figure that moved', () => {
    const volatile = volatileFigures(figures('143341', '10'), figures('143341', '10'));
    expect(compareFigures(figures('143341', '10'), volatile, figures('143341', '9')).map((v) => v.detail)).toEqual([
      "job figure archivedRecords = 9, the unfaulted run's 10 (counts not flagged as a lower bound)",
    ]);
  });
});
