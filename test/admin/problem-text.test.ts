/** The API's problems (application/problem+json) as the console says them, in French, the API's words kept. */
import { describe, expect, it } from 'vitest';
import { problemInFrench } from '../../admin/src/problem-text.js';

describe('problems in French', () => {
  it('translates the frequent details whole and keeps the original beside', () => {
    expect(problemInFrench(409, { detail: 'tokenCleanupJob is already running (execution 12); wait for it to end or stop it first' })).toEqual({
      summary: "Conflit : « Nettoyage des jetons expirés » est déjà en cours (exécution n° 12) ; attendez la fin ou arrêtez-la d'abord.",
      detail: 'tokenCleanupJob is already running (execution 12); wait for it to end or stop it first',
    });
    expect(problemInFrench(401, { detail: 'invalid token: it has expired (`exp`); get a new one' }).summary).toBe('Authentification refusée : le jeton a expiré ; demandez-en un nouveau.');
    expect(problemInFrench(403, { detail: 'bob lacks the admin role (ROLE_ADMIN or ADMIN) that this API requires' }).summary).toBe(
      "Accès refusé : le jeton n'a pas le rôle administrateur (ROLE_ADMIN).",
    );
  });

  it('says a shredded archive is erased, with its date', () => {
    const detail = 'the archive of inscription 8 was shredded on 2027-02-01T10:00:00.000Z (an erasure request): its documents and its row are erased and can never be read again';
    expect(problemInFrench(410, { detail })).toEqual({
      summary: 'Supprimée définitivement : l’archive de l’inscription n° 8 a été détruite le 01/02/2027 (demande d’effacement) : ses documents et sa ligne sont effacés et ne peuvent plus être lus.',
      detail,
    });
  });

  it('frames any other detail with a French title, and says something when there is no body', () => {
    expect(problemInFrench(400, { detail: 'runAt="x" is not an ISO-8601 instant' })).toEqual({ summary: 'Requête refusée : runAt="x" is not an ISO-8601 instant', detail: null });
    expect(problemInFrench(502, null)).toEqual({ summary: 'Erreur du service (HTTP 502).', detail: null });
    expect(problemInFrench(503, { detail: '' }).summary).toBe('Service indisponible (HTTP 503).');
  });
});
