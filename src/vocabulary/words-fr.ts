/**
 * The service's codes in French, for every surface a person reads: the console (admin/
 * bundles this file), the PDFs and the mails. The API, the CLI's JSON and the logs keep
 * the codes; what a person reads says these words.
 *
 * Each map is a `Record<Code, string>` over a list of codes.ts: a code added there without
 * its label here does not compile (test/vocabulary/words-fr.test.ts checks the same at run
 * time over the exported lists). A code the service does not know (a newer service, an old
 * row) is shown as it is: the `…Label` functions never throw.
 *
 * Labels (one code → a few words):
 *   statusLabel('FAILED')                 « En échec »
 *   exitCodeLabel('ABANDONED')            « Abandonnée (processus perdu) »
 *   triggerLabel('SCHEDULED')             « planifiée »
 *   jobLabel('tokenCleanupJob')           « Nettoyage des jetons expirés »
 *   stepLabel('sendReportStep')           « Envoi du rapport »
 *   figureLabel('refreshTokensDeleted')   « Jetons de rafraîchissement supprimés »
 *   healthComponentLabel('diskSpace')     « Espace disque »
 *   auditActionLabel('JOB_RUN')           « Lancement d’une tâche »
 *   anomalyTypeLabel('INSCRIPTION_INVALIDE')  « Soutenance sans inscription validée »
 *   anomalyActionLabel('AUTO_CORRIGÉE')   « Corrigée automatiquement »
 *   anomalyStatusLabel('open')            « Ouverte »
 *
 * Sentences and label/value lists (never JSON):
 *   exitMessageText(message)              the engine's English exit messages in French
 *   figureValue(name, value)              « 100 Mo » for a size, « 4 minutes » for a duration, « 1 234 » otherwise
 *   figureFacts(metrics)                  [{ label, value }] of an execution's figures
 *   auditDescription(entry, timeZone)     { sentence, facts } of an audit entry
 *   anomalyDescription(anomaly, timeZone) { sentence, facts } of an anomaly
 *   healthFacts(component, details, timeZone)  [{ label, value }] of a health component's details
 */
export { plainValue, type Description, type Fact } from './words-common.js';
export * from './words-executions.js';
export * from './words-health.js';
export * from './words-anomalies.js';
export * from './words-audit.js';
/** « 3 archives vérifiées »-style counts, re-exported for the surfaces' sentences. */
export { countOf } from './format-fr.js';
