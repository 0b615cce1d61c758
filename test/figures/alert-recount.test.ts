/**
 * dureeDoctoratAlertJob against an independent recount: on demo data at scale 3 (more
 * doctorants than the job's pages of 50) plus hand-made careers, the alerts it records and
 * the inscriptions it suspends are recomputed here with plain SQL — the latest row of each
 * doctorant by the date, the defenses by the date, the bands as first-enrollment cut-offs
 * worked out by hand for this one date — and compared.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { generateDemoData } from '../../src/db/fixtures/demo-data.js';
import type { JobExecution } from '../../src/engine/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const RUN_AT = '2026-11-30T08:00:00Z';
/** The run's date in UTC (BATCH_TIMEZONE below). */
const D = '2026-11-30';
/**
 * The bands at D, by hand from the calendar rules: past six years when the sixth
 * anniversary is before D (first < 2020-11-30); in the warning window when the sixth
 * anniversary moved back six months is on or before D (2021-05-31 → 2027-05-31 → 2026-11-30,
 * the 31st clamped to November's 30th); three years when the third anniversary is on or
 * before D (first ≤ 2023-11-30).
 */
const BAND_SQL = sql<string>`case
  when first < '2020-11-30' then 'DEPASSEMENT'
  when first <= '2021-05-31' then '6_ANS'
  when first <= '2023-11-30' then '3_ANS'
end`;

/** Hand-made careers, ids far from the demo's. */
const CASE = {
  severalYears: 700_001, // 2019 → 2026, every year VALIDÉ: past six years, its 2026 row is suspended
  suspendedReenrolment: 700_002, // VALIDÉ, then SUSPENDU in 2021: not active, no alert
  suspendedThenBack: 700_003, // SUSPENDU in 2022, VALIDÉ again in 2023: active, past six years, its 2023 row suspended
  defended: 700_004, // every row VALIDÉ, defended 2024-01-25: not active
  archivedFirstYear: 700_005, // first row archived, still active: warning window
  warningWindow: 700_006, // first enrollment 2021-05-31: the window's last day
  futureRow: 700_007, // a REJETÉ row dated after D does not count yet: active, three years
  defendedAfter: 700_008, // defended after D: active at D, past six years
} as const;

async function addCareers(env: TestEnvironment): Promise<void> {
  const stamp = '2020-01-01 00:00:00';
  const ids = Object.values(CASE);
  await env.databases.user.db
    .insertInto('users')
    .values(ids.map((id) => ({ id, email: `cas${id}@univ-exemple.fr`, nom: `Cas${id}`, prenom: 'Jeanne', enabled: 1, created_at: stamp })))
    .execute();
  let next = 800_001;
  const row = (doctorant: number, date: string, first: string, statut: string, archived = 0) => ({
    id: next++,
    doctorant_id: doctorant,
    directeur_id: null,
    sujet_these: 'Sujet',
    annee_universitaire: null,
    type: date === first ? 'PREMIERE' : 'REINSCRIPTION',
    date_inscription: date,
    date_premiere_inscription: first,
    statut,
    motif_suspension: null,
    archived,
    created_at: stamp,
    updated_at: stamp,
  });
  const years = (doctorant: number, first: string, statuts: readonly string[], archivedFirst = 0) =>
    statuts.map((statut, i) => row(doctorant, `${Number(first.slice(0, 4)) + i}${first.slice(4)}`, first, statut, i === 0 ? archivedFirst : 0));
  await env.databases.inscription.db
    .insertInto('inscriptions')
    .values([
      ...years(CASE.severalYears, '2019-10-01', ['VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'VALIDÉ']),
      ...years(CASE.suspendedReenrolment, '2019-10-01', ['VALIDÉ', 'VALIDÉ', 'SUSPENDU']),
      ...years(CASE.suspendedThenBack, '2020-10-01', ['VALIDÉ', 'VALIDÉ', 'SUSPENDU', 'VALIDÉ']),
      ...years(CASE.defended, '2019-10-01', ['VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'VALIDÉ']),
      ...years(CASE.archivedFirstYear, '2020-12-15', ['VALIDÉ', 'VALIDÉ', 'VALIDÉ'], 1),
      ...years(CASE.warningWindow, '2021-05-31', ['VALIDÉ', 'VALIDÉ']),
      row(CASE.futureRow, '2023-10-01', '2023-10-01', 'VALIDÉ'),
      row(CASE.futureRow, '2026-12-15', '2023-10-01', 'REJETÉ'),
      ...years(CASE.defendedAfter, '2019-10-01', ['VALIDÉ', 'VALIDÉ']),
    ])
    .execute();
  const soutenance = (doctorant: number, date: string) => ({
    doctorant_id: doctorant,
    inscription_id: 800_001,
    directeur_id: null,
    titre_these: 'Thèse',
    statut: 'SOUTENUE',
    date_soutenance: date,
    mention: 'HONORABLE',
    pv_signe: 1,
    motif_blocage: null,
    archived: 0,
    created_at: stamp,
    updated_at: stamp,
  });
  await env.databases.defense.db.insertInto('soutenances').values([soutenance(CASE.defended, '2024-01-25'), soutenance(CASE.defendedAfter, '2027-01-15')]).execute();
}

interface Expected {
  readonly alerts: ReadonlyMap<number, string>;
  /** Latest inscription of each doctorant past six years: the one to suspend. */
  readonly latest: ReadonlyMap<number, number>;
}

/** The recount: plain SQL on each database, combined here (no query spans two databases). */
async function recount(env: TestEnvironment): Promise<Expected> {
  const inscription = env.databases.inscription.db as unknown as Kysely<unknown>;
  const defense = env.databases.defense.db as unknown as Kysely<unknown>;
  const latest = await sql<{ doctorant_id: number; id: number; first: string; band: string | null }>`
    select doctorant_id, id, first, ${BAND_SQL} as band from (
      select i.doctorant_id, i.id,
        (select min(f.date_premiere_inscription) from inscriptions f where f.doctorant_id = i.doctorant_id and f.date_inscription <= ${D}) as first
      from inscriptions i
      where i.date_inscription <= ${D}
        and i.statut = 'VALIDÉ'
        and not exists (
          select 1 from inscriptions j
          where j.doctorant_id = i.doctorant_id and j.date_inscription <= ${D}
            and (j.date_inscription > i.date_inscription or (j.date_inscription = i.date_inscription and j.id > i.id)))
    ) t`.execute(inscription);
  const defended = await sql<{ doctorant_id: number }>`
    select distinct doctorant_id from soutenances
    where statut = 'SOUTENUE' and (date_soutenance <= ${D} or (date_soutenance is null and updated_at < ${'2026-12-01 00:00:00'}))`.execute(defense);
  const gone = new Set(defended.rows.map((r) => Number(r.doctorant_id)));
  const active = latest.rows.filter((r) => !gone.has(Number(r.doctorant_id)) && r.band !== null);
  return {
    alerts: new Map(active.map((r) => [Number(r.doctorant_id), r.band!])),
    latest: new Map(active.filter((r) => r.band === 'DEPASSEMENT').map((r) => [Number(r.doctorant_id), Number(r.id)])),
  };
}

describe.each(dialects)('dureeDoctoratAlertJob against a recount in SQL (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App;
  let expected: Expected;
  let done: JobExecution;

  beforeAll(async () => {
    env = await createTestEnvironment(dialect, { BATCH_TIMEZONE: 'UTC' });
    await generateDemoData(env.databases, { uploadsDir: env.config.uploadsDir, scale: 3, referenceDate: new Date(RUN_AT) });
    await addCareers(env);
    expected = await recount(env);
    app = await createApp(env.config, silentLogger);
    done = await (await app.operator.start('dureeDoctoratAlertJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('alerts exactly the active doctorants of each band, once each, more of them than a page', async () => {
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    const recorded = await env.databases.batch.db.selectFrom('alerte_duree_envoyee').select(['doctorant_id', 'type_alerte']).execute();
    const got = new Map(recorded.map((r) => [Number(r.doctorant_id), r.type_alerte]));
    expect(recorded.length).toBe(got.size);
    expect(Object.fromEntries([...got].sort((a, b) => a[0] - b[0]))).toEqual(Object.fromEntries([...expected.alerts].sort((a, b) => a[0] - b[0])));
    expect(expected.alerts.size).toBeGreaterThan(50);
    expect(done.metrics).toMatchObject({
      totalAlertes: expected.alerts.size,
      alertesDepassement: expected.latest.size,
      inscriptionsSuspendues: expected.latest.size,
    });
  });

  it('suspends the latest inscription of each doctorant past six years, and no other', async () => {
    const suspended = await env.databases.inscription.db.selectFrom('inscriptions').select(['id', 'doctorant_id']).where('motif_suspension', '=', 'DUREE_MAXIMALE_DEPASSEE').execute();
    expect(new Map(suspended.map((r) => [Number(r.doctorant_id), Number(r.id)]))).toEqual(expected.latest);
    expect(suspended.length).toBe(expected.latest.size);
  });

  it('treats each hand-made career by the definition', () => {
    expect(Object.fromEntries(Object.entries(CASE).map(([name, id]) => [name, expected.alerts.get(id) ?? null]))).toEqual({
      severalYears: 'DEPASSEMENT',
      suspendedReenrolment: null,
      suspendedThenBack: 'DEPASSEMENT',
      defended: null,
      archivedFirstYear: '6_ANS',
      warningWindow: '6_ANS',
      futureRow: '3_ANS',
      defendedAfter: 'DEPASSEMENT',
    });
  });

  it('a simulation right after the real run announces nothing', async () => {
    const dry = await (await app.operator.start('dureeDoctoratAlertJob', { parameters: { runAt: RUN_AT }, dryRun: true, trigger: 'CLI' })).done;
    expect(dry.metrics).toEqual({ dryRun: { alertes3Ans: 0, alertes6Ans: 0, alertesDepassement: 0, totalAlertes: 0, inscriptionsSuspendues: 0 } });
  });
});
