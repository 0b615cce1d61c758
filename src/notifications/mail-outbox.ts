/**
 * Mails that must not be lost (`mail_outbox`): written in the batchdb transaction that
 * records the fact they tell, sent afterwards by whichever process gets to them first,
 * and marked SENT. At least once: a crash after the server accepted a mail and before
 * the mark sends it again, with the Message-ID fixed when the row was written, which
 * mail servers and clients use to drop the second copy.
 *
 * A process claims a row (`claimed_by`, `claimed_until`, compare-and-set) before sending
 * it and marks it only while it still holds the claim, so two replicas do not send one
 * row at once. Transient failures leave the row PENDING for a later round; a refusal for
 * good (5xx) marks it FAILED.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../db/sql-time.js';
import { isTransientMailError, type Mailer } from '../mail/mailer.js';

export interface OutgoingMail {
  /** The Message-ID every attempt sends (`<…@batch-service>`); unique in the outbox. */
  readonly messageId: string;
  /** What wrote it (`JOB_FAILURE`), for listings. */
  readonly kind: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

/** Writes a mail to the outbox in the caller's transaction; a row with its Message-ID already there is left as it is. */
export async function enqueueMail(tx: Kysely<BatchDb> | Transaction<BatchDb>, mail: OutgoingMail, now: Date): Promise<void> {
  const there = await tx.selectFrom('mail_outbox').select('id').where('message_id', '=', mail.messageId).executeTakeFirst();
  if (there) return;
  await tx
    .insertInto('mail_outbox')
    .values({
      message_id: mail.messageId,
      kind: mail.kind,
      recipients: JSON.stringify(mail.to),
      subject: mail.subject,
      body: mail.text,
      status: 'PENDING',
      attempts: 0,
      last_error: null,
      claimed_by: null,
      claimed_until: null,
      created_at: sqlTimestampMillis(now),
      sent_at: null,
    })
    .execute();
}

export interface MailOutboxOptions {
  /** Who claims rows: this process (`host:pid`). */
  readonly owner: string;
  /** How long a claim holds: longer than a send with its retries. */
  readonly claimMs?: number;
  readonly clock?: () => Date;
}

export class MailOutbox {
  private round: Promise<number> | undefined;
  private again = false;
  private readonly clock: () => Date;

  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly options: MailOutboxOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Sends every pending mail no one else holds; resolves with how many were sent. A call
   * made while a round runs makes that round go once more, and waits for it.
   */
  deliverPending(): Promise<number> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    const round = (async () => {
      let sent = 0;
      do {
        this.again = false;
        sent += await this.deliverOnce();
      } while (this.again);
      return sent;
    })().finally(() => (this.round = undefined));
    this.round = round;
    return round;
  }

  /** Waits for the round in progress, if any (before the databases close). */
  async settled(): Promise<void> {
    await this.round?.catch(() => undefined);
  }

  /** Sends pending mails every `intervalMs` (serve); returns the function that stops it. */
  every(intervalMs: number): () => void {
    const timer = setInterval(() => {
      this.deliverPending().catch((error: unknown) => this.logger.warn({ err: error }, 'mail outbox round failed; trying again later'));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async deliverOnce(): Promise<number> {
    const now = sqlTimestampMillis(this.clock());
    const pending = await this.db
      .selectFrom('mail_outbox')
      .selectAll()
      .where('status', '=', 'PENDING')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('id')
      .limit(50)
      .execute();
    let sent = 0;
    for (const row of pending) {
      if (!(await this.claim(row.id))) continue;
      const mine = () => this.db.updateTable('mail_outbox').where('id', '=', row.id).where('claimed_by', '=', this.options.owner).where('status', '=', 'PENDING');
      try {
        await this.mailer.send({ to: JSON.parse(row.recipients) as string[], subject: row.subject, text: row.body, messageId: row.message_id });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const refused = !isTransientMailError(error);
        await mine()
          .set({ status: refused ? 'FAILED' : 'PENDING', last_error: message, attempts: (eb) => eb('attempts', '+', 1), claimed_by: null, claimed_until: null })
          .execute();
        this.logger.error({ err: error, messageId: row.message_id, subject: row.subject }, refused ? 'mail refused for good; marked FAILED' : 'mail not sent; it stays pending');
        continue;
      }
      await mine()
        .set({ status: 'SENT', sent_at: sqlTimestampMillis(this.clock()), attempts: (eb) => eb('attempts', '+', 1), last_error: null, claimed_until: null })
        .execute();
      sent++;
    }
    return sent;
  }

  /** Takes the row for this process unless another holds it (compare-and-set on the claim). */
  private async claim(id: number): Promise<boolean> {
    const now = this.clock();
    const result = await this.db
      .updateTable('mail_outbox')
      .set({ claimed_by: this.options.owner, claimed_until: sqlTimestampMillis(new Date(now.getTime() + (this.options.claimMs ?? 120_000))) })
      .where('id', '=', id)
      .where('status', '=', 'PENDING')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', sqlTimestampMillis(now))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
