import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSqlTimestamp, sqlTimestamp, sqlTimestampMillis } from '../../src/db/sql-time.js';

const instant = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });

describe('SQL timestamps', () => {
  it('text comparison of a stored value with the parameter is the comparison of the instants', () => {
    fc.assert(
      fc.property(instant, fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.constantFrom(-2000, -1000, 0, 1000, 2000)), fc.boolean(), fc.boolean(), (runAt, offsetMs, wholeSeconds, secondsForm) => {
        const reference = wholeSeconds ? new Date(Math.floor(runAt.getTime() / 1000) * 1000) : runAt;
        const value = new Date(reference.getTime() + offsetMs);
        // Rows hold either contract form; the seconds form only exists for whole seconds.
        const text = secondsForm && value.getUTCMilliseconds() === 0 ? sqlTimestamp(value) : sqlTimestampMillis(value);
        expect(text < sqlTimestamp(reference)).toBe(value.getTime() < reference.getTime());
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back both stored forms and ISO text', () => {
    fc.assert(
      fc.property(instant, (date) => {
        expect(parseSqlTimestamp(sqlTimestampMillis(date)).getTime()).toBe(date.getTime());
        expect(parseSqlTimestamp(sqlTimestamp(date)).getTime()).toBe(date.getTime());
        expect(parseSqlTimestamp(date.toISOString()).getTime()).toBe(date.getTime());
      }),
    );
  });

  it('rejects text that is no timestamp', () => {
    expect(() => parseSqlTimestamp('yesterday')).toThrow(/not a timestamp/);
  });
});
