/** `alerte_duree_envoyee` (docs/databases.md, 2.7): the unique key makes every alert at most once, ever. */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('alerte_duree_envoyee')
    .addColumn('id', t.id, t.autoId)
    .addColumn('doctorant_id', t.bigint, (c) => c.notNull())
    .addColumn('inscription_id', t.bigint, (c) => c.notNull())
    .addColumn('type_alerte', t.varchar(20), (c) => c.notNull())
    .addColumn('date_envoi', t.timestamp, (c) => c.notNull())
    .addColumn('duree_jours', 'integer', (c) => c.notNull())
    .addColumn('job_execution_id', t.bigint)
    .addUniqueConstraint('uq_alerte_doctorant_type', ['doctorant_id', 'type_alerte'])
    .execute();
}
