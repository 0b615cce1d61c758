/**
 * The calendar rules of the duration bands, written again for the tests that recount a
 * job's figures on their own: deliberately not the service's src/doctorate/ code, so a
 * mistake there cannot hide in both the figure and its recount.
 */

/** Calendar months on `YYYY-MM-DD`, a missing day clamped to the month's last one. */
export function plusMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = index % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(d, last))).toISOString().slice(0, 10);
}

export type RecountBand = 'MOINS_3_ANS' | '3_ANS' | '6_ANS' | 'DEPASSEMENT';

/** The band of a doctorant first enrolled on `first`, on `day` (strings order like dates). */
export function recountBand(first: string, day: string, warningMonths = 6): RecountBand {
  const sixth = plusMonths(first, 72);
  if (day > sixth) return 'DEPASSEMENT';
  if (day >= plusMonths(sixth, -warningMonths)) return '6_ANS';
  if (day >= plusMonths(first, 36)) return '3_ANS';
  return 'MOINS_3_ANS';
}
