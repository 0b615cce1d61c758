/** The console says each job's Quartz schedule in French words (Tâches screen). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cronInWords } from '../../admin/src/cron-words.js';
import { loadConfig } from '../../src/config.js';
import { schedules } from '../../src/jobs/registry.js';

describe('cron in French words', () => {
  it('says the five default schedules as an admin would', () => {
    const said = Object.fromEntries(schedules(loadConfig({})).map((s) => [s.jobName, cronInWords(s.cron)]));
    expect(said).toEqual({
      tokenCleanupJob: 'tous les jours à 02:00',
      dureeDoctoratAlertJob: 'tous les lundis à 08:00',
      monthlyReportJob: 'le 1er de chaque mois à 09:00',
      archiveJob: 'le 1er janvier, avril, juillet et octobre à 03:00',
      dataConsistencyJob: 'tous les jours à 23:00',
    });
  });

  it.each([
    ['* * * * * ?', 'toutes les secondes'],
    ['*/10 * * * * ?', 'toutes les 10 secondes'],
    ['0 * * * * ?', 'toutes les minutes'],
    ['0 */15 * * * ?', 'toutes les 15 minutes'],
    ['0 0 * * * ?', 'toutes les heures'],
    ['0 30 * * * ?', 'toutes les heures à 30 min'],
    ['0 0 */6 * * ?', 'toutes les 6 heures'],
    ['0 0 8-18 ? * MON-FRI', 'toutes les heures de 08:00 à 18:00, du lundi au vendredi'],
    ['0 0 8 ? * MON-FRI', 'du lundi au vendredi à 08:00'],
    ['0 30 7 ? * 2,5', 'tous les lundis et jeudis à 07:30'],
    ['0 0 8,12,18 * * ?', 'tous les jours à 08:00, 12:00 et 18:00'],
    ['15 45 6 * * ?', 'tous les jours à 06:45:15'],
    ['0 0 12 L * ?', 'le dernier jour de chaque mois à 12:00'],
    ['0 0 9 ? * MON#1', 'le premier lundi du mois à 09:00'],
    ['0 0 9 ? * 6#3', 'le 3e vendredi du mois à 09:00'],
    ['0 0 17 ? * FRIL', 'le dernier vendredi du mois à 17:00'],
    ['0 0 6 1,15 * ?', 'les 1er et 15 de chaque mois à 06:00'],
    ['0 0 6 1-7 * ?', 'du 1er au 7 de chaque mois à 06:00'],
    ['0 0 6 15 AUG ?', 'le 15 août à 06:00'],
    ['0 0 6 * 1,7 ?', 'tous les jours en janvier et juillet à 06:00'],
    ['0 0 6 1,15 4 ?', "les 1er et 15 d'avril à 06:00"],
    ['0 0 3 1 1 ? 2027', 'le 1er janvier à 03:00 en 2027'],
  ])('%s → « %s »', (cron, words) => {
    expect(cronInWords(cron)).toBe(words);
  });

  it.each(['', 'every day', '0 0 2 * *', '0 0 25 * * ?', '0 61 2 * * ?', '0 0 2 5 * MON', '0 0 2 LW * ?', '0 0 2 ? * MON-SUN-TUE', '0 0 2 * * ? 2027-2030', '0 0 2 1/3 * ?'])(
    'says nothing rather than something wrong: %j',
    (cron) => {
      expect(cronInWords(cron)).toBeNull();
    },
  );

  it('property: a daily time reads « tous les jours à HH:MM » with that hour and minute', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (hour, minute) => {
        const hh = String(hour).padStart(2, '0');
        const mm = String(minute).padStart(2, '0');
        expect(cronInWords(`0 ${minute} ${hour} * * ?`)).toBe(`tous les jours à ${hh}:${mm}`);
      }),
    );
  });

  it('property: any text gives words or null, never an exception', () => {
    const field = fc.oneof(fc.constantFrom('*', '?', 'L', 'MON', 'JAN', 'MON#2', '5L', '*/5', '0/15', '1-5', '1,2,3', '99', '-1', 'X'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(field, { minLength: 0, maxLength: 8 }), (fields) => {
        const words = cronInWords(fields.join(' '));
        expect(words === null || (typeof words === 'string' && words.length > 0)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
