-- What each account may do. The README's Deployment section has the same table; the
-- compose test keeps the two equal.
--
-- batch: all of batchdb, which it owns and migrates (tables, indexes, and the triggers of
-- audit_log and batch_job_execution_version: with binary logging on, creating them also
-- needs log_bin_trust_function_creators=1, which compose.yaml sets on the server, or SUPER).
GRANT ALL PRIVILEGES ON batchdb.* TO 'batch'@'%';

-- batch, in the sibling databases: per table, the statements the jobs run (src/jobs).
-- userdb: tokenCleanupJob deletes expired tokens; dataConsistencyJob adds and removes
-- ROLE_DOCTORANT_ACTIF / ROLE_DOCTEUR; the alerts, the report and the admin mails read users.
GRANT SELECT ON userdb.users TO 'batch'@'%';
GRANT SELECT, INSERT, DELETE ON userdb.user_roles TO 'batch'@'%';
GRANT SELECT, DELETE ON userdb.refresh_tokens TO 'batch'@'%';
GRANT SELECT, DELETE ON userdb.password_reset_tokens TO 'batch'@'%';
-- inscriptiondb: the alerts and dataConsistencyJob suspend inscriptions, archiveJob flags
-- them archived; documents are only read (archiveJob deletes the files, never the rows).
GRANT SELECT, UPDATE ON inscriptiondb.inscriptions TO 'batch'@'%';
GRANT SELECT ON inscriptiondb.documents TO 'batch'@'%';
-- defensedb: dataConsistencyJob blocks soutenances, archiveJob flags them archived.
GRANT SELECT, UPDATE ON defensedb.soutenances TO 'batch'@'%';
GRANT SELECT ON defensedb.soutenance_documents TO 'batch'@'%';
-- notificationdb: dataConsistencyJob retries PENDING ones, archiveJob deletes old SENT ones.
GRANT SELECT, UPDATE, DELETE ON notificationdb.notifications TO 'batch'@'%';

-- batch, for archiveJob's optimizeDatabaseStep only (4.8): MariaDB runs ANALYZE TABLE and
-- OPTIMIZE TABLE only for an account with SELECT and INSERT on the table (CHECK TABLE needs
-- SELECT). No job inserts into these tables. Without these five lines the step skips ANALYZE
-- and OPTIMIZE there, with a warning in the execution's exit message; the job still completes.
GRANT INSERT ON inscriptiondb.inscriptions TO 'batch'@'%';
GRANT INSERT ON inscriptiondb.documents TO 'batch'@'%';
GRANT INSERT ON defensedb.soutenances TO 'batch'@'%';
GRANT INSERT ON defensedb.soutenance_documents TO 'batch'@'%';
GRANT INSERT ON notificationdb.notifications TO 'batch'@'%';

-- demo_seed: `batch-service demo-data` (the init-demo service) creates the sibling tables
-- if missing (CREATE TABLE / CREATE INDEX IF NOT EXISTS need CREATE and INDEX even when
-- they exist) and fills them; it reads userdb.users to refuse a database with data.
GRANT SELECT, INSERT, CREATE, INDEX ON userdb.* TO 'demo_seed'@'%';
GRANT SELECT, INSERT, CREATE, INDEX ON inscriptiondb.* TO 'demo_seed'@'%';
GRANT SELECT, INSERT, CREATE, INDEX ON defensedb.* TO 'demo_seed'@'%';
GRANT SELECT, INSERT, CREATE, INDEX ON notificationdb.* TO 'demo_seed'@'%';
