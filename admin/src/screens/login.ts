/**
 * The login screen: a token pasted here (or brought by the link printed at the first
 * start, `/admin/#token=…`) is kept in this tab's sessionStorage. Shown again, with the
 * reason, whenever the API refuses the token (401, 403).
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export function LoginScreen({ reason, onToken }: { reason: string | null; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = 'Connexion — Console batch';
    heading.current?.focus();
  }, [reason]);
  const submit = (event: Event) => {
    event.preventDefault();
    const token = value.trim().replace(/^Bearer\s+/i, '');
    if (token !== '') onToken(token);
  };
  return html`<main id="main" class="login">
    <h1 ref=${heading} tabindex="-1">Console batch — connexion</h1>
    ${reason ? html`<div class="error" role="alert" data-reason><p>${reason}</p></div>` : null}
    <form onSubmit=${submit} class="card">
      <div class="form-field">
        <label for="token">Jeton d'accès (JWT administrateur)</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck=${false} required value=${value} onInput=${(e: Event) => setValue((e.currentTarget as HTMLInputElement).value)} aria-describedby="token-hint" />
        <p id="token-hint" class="hint">
          Gardé dans cet onglet seulement, jusqu'à sa fermeture. Sur l'installation par défaut, le lien affiché au démarrage du service
          connecte directement ; sinon : <code>batch-service token --sub votre-nom --role ROLE_ADMIN</code>.
        </p>
      </div>
      <div class="actions"><button type="submit" class="button">Se connecter</button></div>
    </form>
  </main>`;
}
