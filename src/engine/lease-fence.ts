/**
 * The fence every run-protocol write carries: it lands only while the lease that
 * presents it still owns a running execution row, checked in the same statement.
 */
import type { ExpressionBuilder } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { LeaseLostError } from './errors.js';
import type { BatchStatus } from './types.js';

export const RUNNING: readonly BatchStatus[] = ['STARTED', 'STOPPING'];

/** What a process holds while it runs an execution; every run-protocol write presents it. */
export interface ExecutionLease {
  readonly id: number;
  readonly owner: string;
}

/** The execution row, while this lease still owns it and it runs. */
export function owned(eb: ExpressionBuilder<BatchDb, 'batch_job_execution'>, lease: ExecutionLease) {
  return eb.and([eb('id', '=', lease.id), eb('owner', '=', lease.owner), eb('status', 'in', RUNNING)]);
}

export function expectOwned(changed: bigint | number, lease: ExecutionLease, what: string): void {
  if (Number(changed) === 0) throw new LeaseLostError(lease.id, what);
}
