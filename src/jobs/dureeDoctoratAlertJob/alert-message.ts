/** The French text of each alert (2.3): what the notification service shows the addressees. */
import type { TypeAlerte } from '../../events/event-types.js';
import { addYears, type PlainDate } from '../../doctorate/calendar.js';

const frenchDate = (date: PlainDate) => `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}`;

function duration(annees: number, mois: number): string {
  const years = `${annees} an${annees > 1 ? 's' : ''}`;
  return mois === 0 ? years : `${years} et ${mois} mois`;
}

export function alertMessage(input: {
  type: TypeAlerte;
  prenom: string | null;
  nom: string | null;
  datePremiereInscription: PlainDate;
  annees: number;
  mois: number;
}): string {
  const who = [input.prenom, input.nom].filter(Boolean).join(' ') || 'doctorant(e)';
  const since = `inscrit(e) en doctorat depuis le ${frenchDate(input.datePremiereInscription)}, soit ${duration(input.annees, input.mois)}`;
  switch (input.type) {
    case '3_ANS':
      return `${who}, ${since}, a atteint la troisième année de doctorat. Un point d'avancement avec la direction de thèse est recommandé.`;
    case '6_ANS':
      return `${who}, ${since}, approche de la durée maximale de 6 ans : la soutenance doit avoir lieu au plus tard le ${frenchDate(addYears(input.datePremiereInscription, 6))}.`;
    case 'DEPASSEMENT':
      return `${who}, ${since}, a dépassé la durée maximale de 6 ans. L'inscription est suspendue (motif DUREE_MAXIMALE_DEPASSEE) ; merci de contacter l'école doctorale.`;
  }
}
