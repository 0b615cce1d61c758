import type { JobFailureEvent } from '../../src/events/event-types.js';
import { listEvents } from '../../src/events/outbox.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';

describe.each(dialects)('failure notification for every job (%s)', (dialect) => {
  test.override({ dialect, settings: { TECH_ADMIN_EMAILS: 'tech1@univ-exemple.fr, tech2@univ-exemple.fr' } });

  test('a failed run publishes a JobFailureEvent and mails the technical team how to restart it', async ({ app, smtp }) => {
    await app.databases.user.db.schema.dropTable('password_reset_tokens').execute();
    const failed = await (await app.operator.start('tokenCleanupJob', { trigger: 'CLI' })).done;
    expect(failed.status).toBe('FAILED');

    const [record] = await listEvents(app.databases.batch.db, 'PENDING', 10);
    expect(record?.key).toBe('tokenCleanupJob');
    const event = JSON.parse(record!.payload) as JobFailureEvent;
    expect(event).toMatchObject({
      type: 'JOB_FAILURE',
      jobName: 'tokenCleanupJob',
      executionId: failed.id,
      failedStep: 'cleanupPasswordResetTokensStep',
      restartCommand: `batch-service restart ${failed.id}`,
    });
    expect(event.error).toMatch(/password_reset_tokens/);

    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect((mail.to as { text: string }).text).toBe('tech1@univ-exemple.fr, tech2@univ-exemple.fr');
    // Words for people (issue 24): « tâche », the tâche's and the step's French names, then the codes the commands use.
    expect(mail.subject).toBe(`[batch-service] Échec de la tâche « Nettoyage des jetons expirés » (exécution n° ${failed.id})`);
    expect(mail.text).toContain('La tâche « Nettoyage des jetons expirés » (tokenCleanupJob) a échoué.');
    expect(mail.text).toContain('Étape en échec : « Suppression des jetons de réinitialisation de mot de passe expirés » (cleanupPasswordResetTokensStep)');
    expect(mail.text).toMatch(/Erreur : Échec de l’étape « Suppression des jetons de réinitialisation de mot de passe expirés » : .*password_reset_tokens/);
    expect(mail.text).toMatch(/Date : \d{1,2}(er)? \S+ \d{4} à \d\d:\d\d:\d\d/);
    expect(mail.text).not.toMatch(/\bjob\b/);
    expect(mail.text).toContain(`batch-service restart ${failed.id}`);
  });

  test('a completed run notifies nobody', async ({ app, smtp }) => {
    const done = await (await app.operator.start('tokenCleanupJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(await listEvents(app.databases.batch.db, undefined, 10)).toEqual([]);
    expect(smtp.received).toEqual([]);
  });
});
