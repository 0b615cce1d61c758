/**
 * The sibling services' tables as this service sees them (docs/databases.md). Timestamps are
 * UTC text, dates `YYYY-MM-DD`, booleans 0/1 on both engines (see db/connect.ts).
 */
import type { Generated } from 'kysely';

type Bool = number;

export interface UserDb {
  users: {
    id: Generated<number>;
    email: string;
    nom: string | null;
    prenom: string | null;
    enabled: Bool;
    created_at: string;
  };
  user_roles: { user_id: number; role: string };
  refresh_tokens: TokenTable;
  password_reset_tokens: TokenTable;
}

export interface TokenTable {
  id: Generated<number>;
  token: string;
  user_id: number;
  expiry_date: string;
  created_at: string;
}

export interface InscriptionDb {
  inscriptions: {
    id: Generated<number>;
    doctorant_id: number;
    directeur_id: number | null;
    sujet_these: string | null;
    annee_universitaire: string | null;
    type: string | null;
    date_inscription: string;
    date_premiere_inscription: string;
    statut: string;
    motif_suspension: string | null;
    archived: Bool;
    created_at: string;
    updated_at: string;
  };
  documents: DocumentTable & { inscription_id: number };
}

interface DocumentTable {
  id: Generated<number>;
  type: string | null;
  nom_fichier: string | null;
  chemin: string;
  taille: number | null;
  created_at: string;
}

export interface DefenseDb {
  soutenances: {
    id: Generated<number>;
    doctorant_id: number;
    inscription_id: number;
    directeur_id: number | null;
    titre_these: string | null;
    statut: string;
    date_soutenance: string | null;
    mention: string | null;
    pv_signe: Bool;
    motif_blocage: string | null;
    archived: Bool;
    created_at: string;
    updated_at: string;
  };
  soutenance_documents: DocumentTable & { soutenance_id: number };
}

export interface NotificationDb {
  notifications: {
    id: Generated<number>;
    user_id: number | null;
    destinataire_email: string;
    type: string;
    sujet: string;
    contenu: string;
    statut: string;
    tentatives: number;
    derniere_erreur: string | null;
    created_at: string;
    sent_at: string | null;
  };
}
