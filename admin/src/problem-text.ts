/**
 * The API's errors (application/problem+json) in French. The API writes its `detail` in
 * English for operators and logs; the page says what happened in French and keeps the
 * API's own words after it, so nothing the service said is lost in translation. The
 * frequent details are translated whole.
 */
import { jobLabel } from './format.js';

export interface ProblemBody {
  readonly status?: number;
  readonly title?: string;
  readonly detail?: string;
}

const TITLES: Readonly<Record<number, string>> = {
  0: 'Le service ne répond pas',
  400: 'Requête refusée',
  401: 'Authentification refusée',
  403: 'Accès refusé',
  404: 'Introuvable',
  409: 'Conflit',
  410: 'Supprimée définitivement',
  413: 'Requête trop volumineuse',
  414: 'Adresse trop longue',
  415: 'Format refusé',
  429: 'Trop de lancements',
  431: 'En-têtes trop volumineux',
  500: 'Erreur interne du service',
  503: 'Service indisponible',
};

/** Details the API gives often, said in French. */
const TRANSLATIONS: readonly (readonly [RegExp, (m: RegExpExecArray) => string])[] = [
  [/^(\S+) is already running \(execution (\d+)\)/, (m) => `« ${jobLabel(m[1]!)} » est déjà en cours (exécution n° ${m[2]}) ; attendez la fin ou arrêtez-la d'abord.`],
  [/already completed/, () => 'une exécution avec ces paramètres est déjà terminée ; changez les paramètres (runAt, par exemple) pour relancer.'],
  [/^(\S+) made more than (\d+) launches .*retry in (\d+) s/, (m) => `${m[1]} a fait plus de ${m[2]} lancements par minute ; réessayez dans ${m[3]} s.`],
  [/^no token/, () => 'aucun jeton fourni.'],
  [/^invalid token: it has expired/, () => 'le jeton a expiré ; demandez-en un nouveau.'],
  [/^invalid token: its signature does not verify/, () => 'la signature du jeton ne correspond pas à la clé du service.'],
  [/^invalid token: not a JWS compact serialization/, () => "ce n'est pas un jeton JWT (en-tête.contenu.signature)."],
  [/lacks the admin role/, () => "le jeton n'a pas le rôle administrateur (ROLE_ADMIN)."],
  [/no token verifier configured/, () => "le service n'a pas de vérification de jeton configurée (JWT_SECRET ou JWT_JWKS_URL)."],
  [/^no job execution with id (\d+)/, (m) => `aucune exécution n° ${m[1]}.`],
  [/^unknown job "([^"]+)"/, (m) => `tâche inconnue : ${m[1]}.`],
  [/^execution (\d+) is \w+; only a running execution can be stopped/, (m) => `l'exécution n° ${m[1]} n'est plus en cours.`],
  [/^execution (\d+) was already restarted as execution (\d+)/, (m) => `l'exécution n° ${m[1]} a déjà été relancée (n° ${m[2]}) ; relancez celle-ci.`],
  [/^execution (\d+) of \S+ is (\w+); only FAILED or STOPPED/, (m) => `l'exécution n° ${m[1]} est ${m[2]} ; seules les exécutions en échec ou arrêtées se relancent.`],
  [/is unavailable/, () => 'une base de données est indisponible ; rien n’a été modifié, réessayez plus tard.'],
  [
    /^the archive of (inscription|defense) (\d+) was shredded on (\S+) \(an erasure request\)/,
    (m) => `l’archive ${m[1] === 'inscription' ? 'de l’inscription' : 'de la soutenance'} n° ${m[2]} a été détruite le ${m[3]!.slice(0, 10).split('-').reverse().join('/')} (demande d’effacement) : ses documents et sa ligne sont effacés et ne peuvent plus être lus.`,
  ],
  [/^the archive file of (inscription|defense) (\d+) /, (m) => `le fichier de l’archive ${m[1] === 'inscription' ? 'de l’inscription' : 'de la soutenance'} n° ${m[2]} est absent ou n’est pas un fichier ordinaire ; lancez batch-service archive verify.`],
];

/** « Conflit : « Nettoyage des jetons expirés » est déjà en cours (exécution n° 12) … » */
export function problemInFrench(status: number, body: ProblemBody | null): { readonly summary: string; readonly detail: string | null } {
  const title = TITLES[status] ?? (status >= 500 ? 'Erreur du service' : 'Requête refusée');
  const detail = typeof body?.detail === 'string' && body.detail !== '' ? body.detail : null;
  if (detail === null) return { summary: status === 0 ? title : `${title} (HTTP ${status}).`, detail: null };
  for (const [pattern, say] of TRANSLATIONS) {
    const match = pattern.exec(detail);
    if (match) return { summary: `${title} : ${say(match)}`, detail };
  }
  return { summary: `${title} : ${detail}`, detail: null };
}
