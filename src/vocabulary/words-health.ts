/** Health in French: components, statuses, their details. Conventions: words-fr.ts. */
import type { EventBrokerMode, HealthComponent, HealthDetailKey, HealthStatus } from './codes.js';
import { formatBytes, formatDateTime, formatList, formatNumber } from './format-fr.js';
import { type Fact, lookup, plainValue } from './words-common.js';

export const HEALTH_COMPONENT_LABELS: Readonly<Record<HealthComponent, string>> = {
  batchDb: 'Base batchdb (historique des tâches)',
  userDb: 'Base des utilisateurs',
  inscriptionDb: 'Base des inscriptions',
  defenseDb: 'Base des soutenances',
  notificationDb: 'Base des notifications',
  diskSpace: 'Espace disque',
  mail: 'Courrier',
  eventBroker: 'Événements (Kafka)',
  contract: 'Structure des bases partagées',
};
export const healthComponentLabel = (name: string) => lookup(HEALTH_COMPONENT_LABELS, name);

export const HEALTH_STATUS_LABELS: Readonly<Record<HealthStatus, string>> = { UP: 'En service', DOWN: 'Hors service', OUT_OF_SERVICE: 'Arrêté', UNKNOWN: 'Inconnu' };
export const healthStatusLabel = (code: string) => lookup(HEALTH_STATUS_LABELS, code);

export const HEALTH_DETAIL_LABELS: Readonly<Record<HealthDetailKey, string>> = {
  database: 'Moteur',
  url: 'Adresse',
  probe: 'Vérification',
  latencyMs: 'Temps de réponse',
  error: 'Problème',
  threshold: 'Seuil d’alerte',
  paths: 'Espace libre',
  transport: 'Envoi',
  directory: 'Dossier',
  server: 'Serveur',
  mode: 'Mode',
  brokers: 'Serveurs Kafka',
  topic: 'Sujet',
  broker: 'État du serveur',
  lastError: 'Dernière erreur',
  lastDeliveryAt: 'Dernière livraison',
  pending: 'En attente',
  delivered: 'Livrés',
  failed: 'En échec',
  checked: 'Bases vérifiées',
  missing: 'Éléments manquants',
};

export const EVENT_BROKER_MODE_LABELS: Readonly<Record<EventBrokerMode, string>> = {
  outbox: 'boîte d’envoi seule : aucun serveur Kafka configuré, les événements attendent dans la base',
  kafka: 'envoi à Kafka',
};

const PROBES: Readonly<Record<string, string>> = { read: 'lecture', write: 'écriture' };
const TRANSPORTS: Readonly<Record<string, string>> = { eml: 'fichiers .eml (pas de serveur SMTP)', smtp: 'serveur SMTP' };
const DATABASE_ENGINES: Readonly<Record<string, string>> = { mysql: 'MariaDB', mariadb: 'MariaDB', sqlite: 'SQLite' };

/** The eventBroker's `mode` (« outbox only (KAFKA_BROKERS not set) » or « kafka ») in French. */
export function eventBrokerModeText(mode: string): string {
  if (mode.startsWith('outbox')) return EVENT_BROKER_MODE_LABELS.outbox;
  return lookup(EVENT_BROKER_MODE_LABELS, mode);
}

/** A health component's details as a list: sizes in Mo/Go, free space per folder, dates in words. */
export function healthFacts(component: string, details: Readonly<Record<string, unknown>> | undefined, timeZone?: string): Fact[] {
  const facts: Fact[] = [];
  for (const [key, value] of Object.entries(details ?? {})) {
    const label = lookup(HEALTH_DETAIL_LABELS, key);
    if (value === null || value === undefined) continue;
    switch (key as HealthDetailKey) {
      case 'threshold':
        facts.push({ label, value: typeof value === 'number' ? `alerte sous ${formatBytes(value)} libres` : plainValue(value) });
        break;
      case 'paths':
        for (const [dir, space] of Object.entries((value ?? {}) as Record<string, unknown>)) {
          const s = space as { free?: unknown; total?: unknown };
          facts.push({
            label: `Espace libre dans ${dir}`,
            value: typeof s.free === 'number' && typeof s.total === 'number' ? `${formatBytes(s.free)} sur ${formatBytes(s.total)}` : plainValue(space),
          });
        }
        break;
      case 'latencyMs':
        facts.push({ label, value: typeof value === 'number' ? `${formatNumber(value, 1)} ms` : plainValue(value) });
        break;
      case 'lastDeliveryAt':
        facts.push({ label, value: formatDateTime(String(value), timeZone, 'second') });
        break;
      case 'mode':
        facts.push({ label, value: eventBrokerModeText(String(value)) });
        break;
      case 'probe':
        facts.push({ label, value: lookup(PROBES, String(value)) });
        break;
      case 'transport':
        facts.push({ label, value: lookup(TRANSPORTS, String(value)) });
        break;
      case 'database':
        facts.push({ label, value: lookup(DATABASE_ENGINES, String(value)) });
        break;
      case 'broker':
        facts.push({ label, value: healthStatusLabel(String(value)).toLowerCase() });
        break;
      case 'pending':
      case 'delivered':
      case 'failed':
        facts.push({ label: `Événements ${label.toLowerCase()}`, value: plainValue(value) });
        break;
      case 'checked':
        facts.push({ label, value: Array.isArray(value) ? formatList(value.map((db) => databaseName(String(db)))) : plainValue(value) });
        break;
      case 'missing':
        for (const [db, gap] of Object.entries((value ?? {}) as Record<string, unknown>)) facts.push({ label: `Manque dans ${databaseName(db)}`, value: plainValue(gap) });
        break;
      default:
        facts.push({ label, value: plainValue(value) });
    }
  }
  void component;
  return facts;
}

const DATABASE_NAMES: Readonly<Record<string, string>> = {
  userdb: 'la base des utilisateurs',
  inscriptiondb: 'la base des inscriptions',
  defensedb: 'la base des soutenances',
  notificationdb: 'la base des notifications',
};
const databaseName = (db: string) => lookup(DATABASE_NAMES, db);
