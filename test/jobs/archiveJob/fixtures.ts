/** Records, documents and files for archiveJob tests: two to archive, six that must stay as they are. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readArchive } from '../../../src/archives/record-archive.js';
import type { MasterKeys } from '../../../src/archives/archive-envelope.js';
import type { TestEnvironment } from '../../support/databases.js';

export const KEY = randomBytes(32);
export const RUN_AT = '2027-01-01T02:00:00Z';
const OLD = '2025-06-01 10:00:00';
const RECENT = '2026-06-01 10:00:00';

export interface Planted {
  readonly files: Map<string, Buffer>;
}

export async function plant(env: TestEnvironment): Promise<Planted> {
  const at = '2024-01-01 00:00:00';
  const inscription = (id: number, statut: string, updated: string, archived = 0) => ({
    id, doctorant_id: 100 + id, directeur_id: null, sujet_these: `Sujet ${id} — thèse`, annee_universitaire: '2023-2024', type: 'PREMIERE',
    date_inscription: '2023-10-01', date_premiere_inscription: '2023-10-01', statut, motif_suspension: null, archived, created_at: at, updated_at: updated,
  });
  await env.databases.inscription.db
    .insertInto('inscriptions')
    .values([
      inscription(1, 'VALIDÉ', OLD), // archived
      inscription(2, 'REJETÉ', OLD), // archived
      inscription(3, 'VALIDÉ', RECENT), // too recent
      inscription(4, 'EN_ATTENTE', OLD), // not closed
      inscription(5, 'VALIDÉ', OLD, 1), // already archived
      inscription(6, 'VALIDÉ', OLD), // a document escapes UPLOADS_DIR: skipped
      inscription(7, 'VALIDÉ', OLD), // a document is a symlink: skipped
      inscription(8, 'VALIDÉ', OLD), // a document is missing: skipped
    ])
    .execute();
  const files = new Map<string, Buffer>();
  const documents: { inscription_id: number; type: string; nom_fichier: string; chemin: string; taille: number; created_at: string }[] = [];
  const file = (inscriptionId: number, chemin: string, bytes: Buffer | null) => {
    if (bytes) {
      mkdirSync(path.dirname(path.join(env.config.uploadsDir, chemin)), { recursive: true });
      writeFileSync(path.join(env.config.uploadsDir, chemin), bytes);
      files.set(chemin, bytes);
    }
    documents.push({ inscription_id: inscriptionId, type: 'PIECE', nom_fichier: path.basename(chemin), chemin, taille: bytes?.length ?? 0, created_at: at });
  };
  file(1, 'inscriptions/1/these.pdf', randomBytes(150_000));
  file(1, 'inscriptions/1/notes é.txt', Buffer.from('Compte rendu de réunion\n'.repeat(500)));
  file(2, 'inscriptions/2/refus.pdf', randomBytes(70_000));
  file(3, 'inscriptions/3/recent.pdf', randomBytes(100));
  file(6, 'inscriptions/6/ok.pdf', randomBytes(100));
  file(6, '../outside.txt', null);
  file(7, 'inscriptions/7/ok.pdf', randomBytes(100));
  mkdirSync(path.join(env.config.uploadsDir, 'inscriptions/7'), { recursive: true });
  symlinkSync('/etc/hostname', path.join(env.config.uploadsDir, 'inscriptions/7/lien.pdf'));
  documents.push({ inscription_id: 7, type: 'PIECE', nom_fichier: 'lien.pdf', chemin: 'inscriptions/7/lien.pdf', taille: 0, created_at: at });
  file(8, 'inscriptions/8/absent.pdf', null);
  await env.databases.inscription.db.insertInto('documents').values(documents).execute();
  // One defense to archive (held in 2025, minutes signed) and one whose minutes are not signed.
  const soutenance = (id: number, pvSigne: number) => ({
    id, doctorant_id: 101, inscription_id: 1, directeur_id: null, titre_these: `Thèse ${id}`, statut: 'SOUTENUE', date_soutenance: '2025-11-20', mention: 'TRES_HONORABLE',
    pv_signe: pvSigne, motif_blocage: null, archived: 0, created_at: at, updated_at: at,
  });
  await env.databases.defense.db.insertInto('soutenances').values([soutenance(1, 1), soutenance(2, 0)]).execute();
  const pv = randomBytes(40_000);
  mkdirSync(path.join(env.config.uploadsDir, 'soutenances/1'), { recursive: true });
  writeFileSync(path.join(env.config.uploadsDir, 'soutenances/1/pv.pdf'), pv);
  files.set('soutenances/1/pv.pdf', pv);
  await env.databases.defense.db.insertInto('soutenance_documents').values({ soutenance_id: 1, type: 'PV', nom_fichier: 'pv.pdf', chemin: 'soutenances/1/pv.pdf', taille: pv.length, created_at: at }).execute();
  return { files };
}


/**
 * A small archive's documents and record, read into memory for comparison: through the
 * service's own reading path (verified first), against the file's hash as it is now.
 */
export async function openArchive(file: string, keys: MasterKeys): Promise<{ documents: Map<string, Buffer>; record: Record<string, unknown> }> {
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  return readArchive(file, keys, { sha256 }, async (archive) => {
    const documents = new Map<string, Buffer>();
    for (const name of archive.contents.entries.filter((n) => n !== 'manifest.json' && n !== 'record.json')) {
      const parts: Buffer[] = [];
      for await (const part of await archive.entry(name)) parts.push(part as Buffer);
      documents.set(name, Buffer.concat(parts));
    }
    return { documents, record: archive.contents.record };
  });
}
