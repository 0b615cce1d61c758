/**
 * What must hold after every scenario, read back with plain SQL and from the files and
 * mails, never through the service's own code:
 *
 * - one instance, one COMPLETED execution of it (its current one), nothing left running;
 * - an execution, once seen ended, never changes again (a zombie writes nothing);
 * - the side effects — sibling rows, batchdb's business rows and events, files, mails —
 *   equal an unfaulted run's on the same seeded data;
 * - every FAILED execution has its failure notice (JOB_FAILURE event and mail), and no
 *   other execution has one;
 * - counts add up: each step's read = written + would-write + filtered + skips, the
 *   per-job summary matches the executions, and the final figures equal the unfaulted
 *   run's unless the run says they are a lower bound.
 */
import type { ParsedMail } from 'mailparser';
import { fileRows, type Row, type Sql, type World } from './world.js';

export interface Violation {
  readonly kind: string;
  readonly detail: string;
}

/** A table of the side effects: rows as flat string maps. */
export type Snapshot = Map<string, Record<string, string>[]>;

/** batchdb's engine and bookkeeping tables: checked by the invariants, not compared as side effects. */
const ENGINE_TABLE = /^(batch_|kysely_|job_execution_history$|audit_log$|rate_limit_window$|event_relay_lease$)/;

function flat(row: Row): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) out[key] = 'null';
    else if (Buffer.isBuffer(value)) out[key] = `0x${value.toString('hex')}`;
    else if (typeof value === 'string' && /^[[{]/.test(value)) {
      try {
        const parsed = JSON.parse(value) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          for (const [k, v] of Object.entries(parsed)) out[`${key}.${k}`] = JSON.stringify(v);
          continue;
        }
      } catch {
        // not JSON: kept as text
      }
      out[key] = value;
    } else out[key] = String(value);
  }
  return out;
}

export function isFailureMail(mail: ParsedMail): boolean {
  return /^\[batch-service\] Échec de /.test(mail.subject ?? '');
}

function addresses(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((a) => a.value.map((v) => v.address ?? '')).sort().join(',');
}

async function tables(sql: Sql, world: World, db: 'batch' | 'user' | 'inscription' | 'defense' | 'notification'): Promise<string[]> {
  const rows =
    world.dialect === 'sqlite'
      ? await sql.all(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      : await sql.all(db, 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name');
  return rows.map((r) => String(r.name));
}

/** Every side effect a job can have, as comparable rows. */
export async function sideEffects(world: World, sql: Sql, mails: readonly ParsedMail[]): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  for (const db of ['user', 'inscription', 'defense', 'notification'] as const) {
    for (const table of await tables(sql, world, db)) {
      snapshot.set(`${db}.${table}`, (await sql.all(db, `SELECT * FROM ${table}`)).map(flat));
    }
  }
  for (const table of await tables(sql, world, 'batch')) {
    if (ENGINE_TABLE.test(table)) continue;
    let rows = await sql.all('batch', `SELECT * FROM ${table}`);
    // A failure notice is checked per execution below; the other events are side effects.
    if (table === 'event_outbox') rows = rows.filter((r) => r.event_type !== 'JOB_FAILURE');
    // The mail outbox holds failure mails only (the engine's notices, not a job's doing):
    // checked per execution below, with the mails the server received.
    if (table === 'mail_outbox') continue;
    snapshot.set(
      `batch.${table}`,
      rows.map((row) => {
        // Generated keys and execution ids differ from run to run by construction.
        const kept = Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'id' && !/execution_id$/.test(k)));
        return flat(kept);
      }),
    );
  }
  snapshot.set('files', fileRows(world.dataDir).map(flat));
  snapshot.set(
    'mails',
    delivered(mails.filter((m) => !isFailureMail(m))).map((m) => ({ to: addresses(m), subject: m.subject ?? '', text: m.text ?? '', attachments: String(m.attachments.length) })),
  );
  return snapshot;
}

/**
 * The messages, one per Message-ID. A job's mail is sent at least once: a crash (or a cut
 * link) after the SMTP server accepted it and before its row says so sends it again with
 * the same Message-ID, which receiving systems use to drop the copy. Such a copy is
 * counted apart (`resentCopies`), not as a side effect; a second mail under a different
 * Message-ID still is one.
 */
function delivered(mails: readonly ParsedMail[]): ParsedMail[] {
  const seen = new Set<string>();
  return mails.filter((m) => {
    if (m.messageId === undefined) return true;
    if (seen.has(m.messageId)) return false;
    seen.add(m.messageId);
    return true;
  });
}

/** Copies of a job's mails delivered again under a Message-ID already received. */
export function resentCopies(mails: readonly ParsedMail[]): number {
  const jobMails = mails.filter((m) => !isFailureMail(m));
  return jobMails.length - delivered(jobMails).length;
}

/** Per table, the columns whose values two unfaulted runs did not agree on (times of day, random ids). */
export type Volatile = Map<string, Set<string>>;

/**
 * Columns that vary by nature, whatever two runs happened to agree on: a PDF report holds
 * its time of generation (« Généré le … à … »), so its size and bytes, and the size its
 * event announces, depend on the minute it was made; an event's creation time too; an
 * archive's bytes (random nonces) and its size (its manifest's time, deflated).
 */
const ALWAYS_VOLATILE: Readonly<Record<string, readonly string[]>> = {
  'batch.event_outbox': ['created_at', 'payload.sizeBytes', 'payload.occurredAt'],
  // An archive holds its time in its deflated manifest: its size moves by a byte or so.
  'batch.inscription_archive': ['size_bytes', 'sha256', 'archived_at', 'completed_at'],
  'batch.defense_archive': ['size_bytes', 'sha256', 'archived_at', 'completed_at'],
  files: ['reportSize', 'reportSha', 'archiveSize', 'archiveSha'],
};

export function volatileColumns(a: Snapshot, b: Snapshot): Volatile {
  const result: Volatile = new Map(Object.entries(ALWAYS_VOLATILE).map(([t, c]) => [t, new Set(c)]));
  for (const [table, rowsA] of a) {
    const rowsB = b.get(table) ?? [];
    const columns = new Set([...rowsA, ...rowsB].flatMap((r) => Object.keys(r)));
    const unstable = result.get(table) ?? new Set<string>();
    for (const column of columns) {
      const va = rowsA.map((r) => r[column] ?? 'absent').sort();
      const vb = rowsB.map((r) => r[column] ?? 'absent').sort();
      if (va.length !== vb.length || va.some((v, i) => v !== vb[i])) unstable.add(column);
    }
    result.set(table, unstable);
  }
  return result;
}

function canonical(rows: readonly Record<string, string>[], skip: ReadonlySet<string>): string[] {
  return rows.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => !skip.has(k)).sort(([x], [y]) => (x < y ? -1 : 1)))).sort();
}

export function compareSideEffects(baseline: Snapshot, volatile: Volatile, actual: Snapshot): Violation[] {
  const violations: Violation[] = [];
  for (const [table, expectedRows] of baseline) {
    const skip = volatile.get(table) ?? new Set();
    const expected = canonical(expectedRows, skip);
    const got = canonical(actual.get(table) ?? [], skip);
    const left = new Map<string, number>();
    for (const r of expected) left.set(r, (left.get(r) ?? 0) + 1);
    const extra: string[] = [];
    for (const r of got) {
      const n = left.get(r) ?? 0;
      if (n > 0) left.set(r, n - 1);
      else extra.push(r);
    }
    const missing = [...left.entries()].flatMap(([r, n]) => Array<string>(n).fill(r));
    if (missing.length > 0 || extra.length > 0) {
      const example = missing[0] && extra[0] ? difference(missing[0], extra) : (missing[0] ?? extra[0] ?? '').slice(0, 400);
      violations.push({
        kind: table === 'mails' && missing.length === 0 ? 'duplicate mail' : 'side effects',
        detail: `${table}: ${missing.length} missing, ${extra.length} extra than the unfaulted run (${missing.length > 0 && extra.length > 0 ? 'e.g.' : missing.length > 0 ? 'missing e.g.' : 'extra e.g.'} ${example})`,
      });
    }
  }
  return violations;
}

/** The columns where a missing row and the closest extra row differ. */
function difference(missing: string, extra: readonly string[]): string {
  const a = new Map(JSON.parse(missing) as [string, string][]);
  let best: Map<string, string> | undefined;
  let bestSame = -1;
  for (const candidate of extra.slice(0, 200)) {
    const b = new Map(JSON.parse(candidate) as [string, string][]);
    const same = [...a].filter(([k, v]) => b.get(k) === v).length;
    if (same > bestSame) [best, bestSame] = [b, same];
  }
  const keys = [...new Set([...a.keys(), ...best!.keys()])].filter((k) => a.get(k) !== best!.get(k));
  const key = [...a].filter(([k]) => /^(id|path|to|subject|message_key|event_type|month|doctorant_id|type)$/.test(k)).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${key}: ${keys.map((k) => `${k} ${String(a.get(k)).slice(0, 120)} → ${String(best!.get(k)).slice(0, 120)}`).join('; ')}`.slice(0, 700);
}

/** An ended execution and its steps, as first seen: it must never change afterwards. */
export async function endedExecutions(sql: Sql, jobName: string): Promise<Map<number, string>> {
  const executions = await sql.all('batch', "SELECT * FROM batch_job_execution WHERE job_name = ? AND status IN ('COMPLETED', 'FAILED', 'STOPPED') ORDER BY id", [jobName]);
  const result = new Map<number, string>();
  if (executions.length === 0) return result;
  const ids = executions.map((e) => Number(e.id));
  const steps = await sql.all('batch', `SELECT * FROM batch_step_execution WHERE job_execution_id IN (${ids.join(',')}) ORDER BY id`);
  for (const e of executions) {
    // details_purged_at is the retention's and end_audited_at the audit log's (set after
    // the end, by the run or by serve's catch-up), never a run's record.
    const row = Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'details_purged_at' && k !== 'end_audited_at'));
    result.set(Number(e.id), JSON.stringify({ execution: row, steps: steps.filter((s) => Number(s.job_execution_id) === Number(e.id)) }));
  }
  return result;
}

export interface Figures {
  /** Flattened job metrics of the completed execution. */
  readonly metrics: Record<string, string>;
  /** Per step name, the latest step execution's counts. */
  readonly steps: Record<string, string>;
  readonly complete: boolean;
}

export interface FinalState {
  readonly violations: Violation[];
  readonly figures: Figures | undefined;
  readonly executions: number;
  readonly failed: number;
}

const COUNT_COLUMNS = ['read_count', 'write_count', 'would_write_count', 'filter_count', 'read_skip_count', 'process_skip_count', 'write_skip_count'] as const;

export async function checkFinalState(sql: Sql, jobName: string, mails: readonly ParsedMail[]): Promise<FinalState> {
  const violations: Violation[] = [];
  const instances = await sql.all('batch', 'SELECT id, current_execution_id FROM batch_job_instance WHERE job_name = ?', [jobName]);
  if (instances.length !== 1) violations.push({ kind: 'instances', detail: `${instances.length} instances of ${jobName}, expected 1` });
  const executions = await sql.all('batch', 'SELECT id, job_instance_id, status, exit_code, exit_message, metrics FROM batch_job_execution WHERE job_name = ? ORDER BY id', [jobName]);
  let figures: Figures | undefined;
  for (const instance of instances) {
    const mine = executions.filter((e) => Number(e.job_instance_id) === Number(instance.id));
    const completed = mine.filter((e) => e.status === 'COMPLETED');
    if (completed.length !== 1) violations.push({ kind: 'completed', detail: `instance ${instance.id}: ${completed.length} COMPLETED executions (${mine.map((e) => `${e.id}:${e.status}/${e.exit_code}`).join(' ')})` });
    else if (Number(instance.current_execution_id) !== Number(completed[0]!.id))
      violations.push({ kind: 'completed', detail: `instance ${instance.id}: current execution ${instance.current_execution_id}, the COMPLETED one is ${completed[0]!.id}` });
    const done = completed[completed.length - 1];
    if (done) {
      const ids = mine.map((e) => Number(e.id));
      const steps = await sql.all('batch', `SELECT * FROM batch_step_execution WHERE job_execution_id IN (${ids.join(',')}) ORDER BY id`);
      const latest: Record<string, string> = {};
      for (const s of steps) if (s.status === 'COMPLETED') latest[String(s.step_name)] = COUNT_COLUMNS.map((c) => `${c}=${s[c]}`).join(' ');
      const metrics = flat({ m: String(done.metrics) });
      figures = { metrics, steps: latest, complete: metrics['m.stepCountsComplete'] !== 'false' };
    }
  }
  for (const e of executions) {
    if (e.status === 'STARTED' || e.status === 'STOPPING') violations.push({ kind: 'left running', detail: `execution ${e.id} is ${e.status} at the end` });
  }
  const steps = executions.length === 0 ? [] : await sql.all('batch', `SELECT * FROM batch_step_execution WHERE job_execution_id IN (${executions.map((e) => Number(e.id)).join(',')})`);
  for (const s of steps) {
    const read = Number(s.read_count);
    const accounted = Number(s.write_count) + Number(s.would_write_count) + Number(s.filter_count) + Number(s.process_skip_count) + Number(s.write_skip_count);
    if (read !== accounted) violations.push({ kind: 'counts', detail: `step ${s.step_name} of execution ${s.job_execution_id}: read ${read} ≠ written+would-write+filtered+skips ${accounted}` });
  }
  const summary = await sql.all('batch', 'SELECT status, executions FROM batch_job_summary WHERE job_name = ?', [jobName]);
  for (const status of ['COMPLETED', 'FAILED', 'STOPPED']) {
    const recorded = Number(summary.find((r) => r.status === status)?.executions ?? 0);
    const counted = executions.filter((e) => e.status === status).length;
    if (recorded !== counted) violations.push({ kind: 'counts', detail: `batch_job_summary says ${recorded} ${status} executions of ${jobName}, batch_job_execution holds ${counted}` });
  }
  const notices = await sql.all('batch', "SELECT payload FROM event_outbox WHERE event_type = 'JOB_FAILURE'");
  const noticed = new Map<number, number>();
  for (const n of notices) {
    const id = Number((JSON.parse(String(n.payload)) as { executionId?: number }).executionId);
    noticed.set(id, (noticed.get(id) ?? 0) + 1);
  }
  // « (exécution n° 1 234) »: the id written as French numbers are, spaces included.
  const executionOf = (subject: string) => Number(/\(exécution (?:n° )?([\d\s\u00a0\u202f]+)\)/.exec(subject)?.[1]?.replace(/\D/g, ''));
  const mailed = new Map<number, number>();
  for (const m of mails.filter(isFailureMail)) {
    const id = executionOf(m.subject ?? '');
    mailed.set(id, (mailed.get(id) ?? 0) + 1);
  }
  // Not yet delivered but durable: the outbox sends it at its next round (a process that
  // died holding its claim delays it by the claim's length), so the notice is not lost.
  const queued = new Set((await sql.all('batch', "SELECT subject FROM mail_outbox WHERE kind = 'JOB_FAILURE' AND status <> 'SENT'")).map((r) => executionOf(String(r.subject))));
  for (const e of executions) {
    const id = Number(e.id);
    if (e.status === 'FAILED') {
      if (!noticed.has(id)) violations.push({ kind: 'failure notice lost', detail: `execution ${id} ended FAILED/${e.exit_code} without a JOB_FAILURE event` });
      if (!mailed.has(id) && !queued.has(id)) violations.push({ kind: 'failure notice lost', detail: `execution ${id} ended FAILED/${e.exit_code}: the technical team got no mail and none waits in mail_outbox` });
    } else if (noticed.has(id) || mailed.has(id)) {
      violations.push({ kind: 'failure notice spurious', detail: `execution ${id} ended ${e.status}, yet a failure notice was sent (${noticed.get(id) ?? 0} events, ${mailed.get(id) ?? 0} mails)` });
    }
  }
  return { violations, figures, executions: executions.length, failed: executions.filter((e) => e.status === 'FAILED').length };
}

/** Figures that two unfaulted runs agree on must come out the same after faults, unless flagged as a lower bound. */
export function compareFigures(baseline: Figures, volatile: ReadonlySet<string>, actual: Figures | undefined): Violation[] {
  if (!actual || !actual.complete) return [];
  const violations: Violation[] = [];
  for (const [key, value] of Object.entries(baseline.metrics)) {
    // A PDF's size holds the minute it was generated (« Généré le … à … »), as for its file.
    if (volatile.has(`m:${key}`) || key === 'm.stepCountsComplete' || /pdf/i.test(key)) continue;
    if (actual.metrics[key] !== value) violations.push({ kind: 'counts', detail: `job figure ${key.slice(2)} = ${actual.metrics[key]}, the unfaulted run's ${value} (counts not flagged as a lower bound)` });
  }
  for (const [step, value] of Object.entries(baseline.steps)) {
    if (volatile.has(`s:${step}`)) continue;
    if (actual.steps[step] !== value) violations.push({ kind: 'counts', detail: `step ${step}: ${actual.steps[step]}, the unfaulted run's ${value} (counts not flagged as a lower bound)` });
  }
  return violations;
}

/**
 * Figures that vary by nature: the bytes of the archives written (each holds its time in
 * its deflated manifest). Keyed as `volatileFigures` keys them: `m:` and the flattened
 * metric's path, `m.archiveBytes` (written `m:archiveBytes` at first, which matched
 * nothing: the harness's round 7 still compared it, see bench/README.md).
 */
const ALWAYS_VOLATILE_FIGURES = ['m:m.archiveBytes'];

export function volatileFigures(a: Figures, b: Figures): Set<string> {
  const result = new Set<string>(ALWAYS_VOLATILE_FIGURES);
  for (const key of new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])) if (a.metrics[key] !== b.metrics[key]) result.add(`m:${key}`);
  for (const key of new Set([...Object.keys(a.steps), ...Object.keys(b.steps)])) if (a.steps[key] !== b.steps[key]) result.add(`s:${key}`);
  return result;
}
