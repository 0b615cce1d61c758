/**
 * The jobs in French for the page: the service describes them in English (API, CLI, logs),
 * the school's administrators read French. A job not listed here keeps the service's text.
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  tokenCleanupJob: 'Supprime les jetons de rafraîchissement et de réinitialisation de mot de passe expirés, puis l’historique des exécutions plus ancien que la durée de conservation.',
  dureeDoctoratAlertJob: 'Alerte les doctorants, leurs directeurs et les administrateurs aux seuils de 3 et 6 ans de thèse et au-delà.',
  monthlyReportJob: 'Produit le rapport mensuel en PDF de l’école doctorale et l’envoie aux administrateurs.',
  archiveJob: 'Archive et chiffre les inscriptions et soutenances closes depuis plus d’un an, puis nettoie journaux et notifications.',
  dataConsistencyJob: 'Vérifie chaque nuit la cohérence entre les bases, corrige ce qui peut l’être, déplace les fichiers orphelins et renvoie les notifications en attente.',
};

export function jobDescription(name: string, fromService: string): string {
  return DESCRIPTIONS[name] ?? fromService;
}

/**
 * Why a job cannot run, as the API says it (`unavailable`, in English for operators), in
 * French: the known reasons whole, any other after « raison donnée par le service ».
 */
export function unavailableText(reason: string): string {
  if (/no archive key configured/.test(reason)) {
    return 'aucune clé de chiffrement des archives n’est configurée ; l’équipe informatique doit définir ARCHIVE_KEYS ou ARCHIVE_KEY_FILE.';
  }
  return `raison donnée par le service : ${reason.replace(/^\w+Job: /, '')}`;
}
