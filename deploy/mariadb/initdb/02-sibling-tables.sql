-- The sibling tables, as src/db/fixtures/sibling-ddl.ts creates them on MariaDB (the platform
-- fixes them; in production the sibling services own them). Here they exist before
-- 04-grants.sql because MariaDB grants privileges on a table only once it exists.
-- Generated: test/deploy/compose.test.ts compares this file with the fixtures, and
-- `npx vitest run test/deploy -u` rewrites it after a change there.
USE userdb;
create table if not exists `users` (`id` bigint primary key auto_increment, `email` varchar(255) not null unique, `nom` varchar(100), `prenom` varchar(100), `enabled` boolean default 1 not null, `created_at` datetime not null);
create table if not exists `user_roles` (`user_id` bigint not null, `role` varchar(50) not null, constraint `pk_user_roles` primary key (`user_id`, `role`));
create table if not exists `refresh_tokens` (`id` bigint primary key auto_increment, `token` varchar(255) not null unique, `user_id` bigint not null, `expiry_date` datetime not null, `created_at` datetime not null);
create index if not exists `ix_refresh_tokens_expiry_date` on `refresh_tokens` (`expiry_date`);
create table if not exists `password_reset_tokens` (`id` bigint primary key auto_increment, `token` varchar(255) not null unique, `user_id` bigint not null, `expiry_date` datetime not null, `created_at` datetime not null);
create index if not exists `ix_password_reset_tokens_expiry_date` on `password_reset_tokens` (`expiry_date`);
USE inscriptiondb;
create table if not exists `inscriptions` (`id` bigint primary key auto_increment, `doctorant_id` bigint not null, `directeur_id` bigint, `sujet_these` varchar(500), `annee_universitaire` varchar(9), `type` varchar(20), `date_inscription` date not null, `date_premiere_inscription` date not null, `statut` varchar(20) not null, `motif_suspension` varchar(255), `archived` boolean default 0 not null, `created_at` datetime not null, `updated_at` datetime not null);
create index if not exists `ix_inscriptions_doctorat` on `inscriptions` (`doctorant_id`, `date_inscription`, `statut`, `date_premiere_inscription`);
create table if not exists `documents` (`id` bigint primary key auto_increment, `inscription_id` bigint not null, `type` varchar(50), `nom_fichier` varchar(255), `chemin` varchar(500) not null, `taille` bigint, `created_at` datetime not null);
create index if not exists `ix_documents_inscription_id` on `documents` (`inscription_id`);
create index if not exists `ix_documents_chemin` on `documents` (`chemin`);
USE defensedb;
create table if not exists `soutenances` (`id` bigint primary key auto_increment, `doctorant_id` bigint not null, `inscription_id` bigint not null, `directeur_id` bigint, `titre_these` varchar(500), `statut` varchar(20) not null, `date_soutenance` date, `mention` varchar(50), `pv_signe` boolean default 0 not null, `motif_blocage` varchar(255), `archived` boolean default 0 not null, `created_at` datetime not null, `updated_at` datetime not null);
create index if not exists `ix_soutenances_doctorant_id` on `soutenances` (`doctorant_id`);
create index if not exists `ix_soutenances_inscription_id` on `soutenances` (`inscription_id`);
create table if not exists `soutenance_documents` (`id` bigint primary key auto_increment, `soutenance_id` bigint not null, `type` varchar(50), `nom_fichier` varchar(255), `chemin` varchar(500) not null, `taille` bigint, `created_at` datetime not null);
create index if not exists `ix_soutenance_documents_soutenance_id` on `soutenance_documents` (`soutenance_id`);
create index if not exists `ix_soutenance_documents_chemin` on `soutenance_documents` (`chemin`);
USE notificationdb;
create table if not exists `notifications` (`id` bigint primary key auto_increment, `user_id` bigint, `destinataire_email` varchar(255) not null, `type` varchar(50) not null, `sujet` varchar(255) not null, `contenu` text not null, `statut` varchar(20) not null, `tentatives` integer default 0 not null, `derniere_erreur` text, `created_at` datetime not null, `sent_at` datetime);
create index if not exists `ix_notifications_statut_id` on `notifications` (`statut`, `id`);
