/**
 * 10.7: every access to an archive (decryption for retrieval, by the API or the CLI) is
 * audited. The archive endpoints and commands call this before handing out any byte.
 */
import type { AuditEntry, AuditLog } from '../security/audit-log.js';

export interface ArchiveAccess {
  readonly actor: string | null;
  readonly clientAddress: string | null;
  /** The archive's file name in ARCHIVES_DIR. */
  readonly archive: string;
  /** What the archive holds: `inscription 42`, `soutenance 7`. */
  readonly record: string;
  readonly purpose: 'download' | 'decrypt';
}

export function recordArchiveAccess(audit: AuditLog, access: ArchiveAccess): Promise<AuditEntry> {
  return audit.append({
    action: 'ARCHIVE_ACCESS',
    actor: access.actor,
    clientAddress: access.clientAddress,
    target: access.archive,
    details: { record: access.record, purpose: access.purpose },
  });
}
