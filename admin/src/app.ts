/**
 * The console: the login screen until the API accepts the token, then the navigation
 * and the screen the URL fragment names. Every value from the API is rendered as text by
 * Preact (escaped), never as HTML: no code here hands markup to the DOM (a test checks).
 */
import { html } from 'htm/preact';
import { Component, type ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiContext, ApiError, createApi } from './api.js';
import type { JobView } from './api-types.js';
import { probeFeatures } from './features.js';
import { DEFAULT_SCREEN, href, parseRoute, type Route } from './route.js';
import { SCREENS } from './screens.js';
import { LoginScreen } from './screens/login.js';
import { ServiceContext, type Service } from './service-context.js';
import { adoptTokenFromFragment, forgetToken, storeToken, storedToken, tokenClaims } from './session.js';

export function App() {
  const [token, setToken] = useState<string | null>(storedToken);
  const [reason, setReason] = useState<string | null>(null);
  const [service, setService] = useState<Service | null>(null);
  // Bumped by « Réessayer » when the service could not be reached at login.
  const [attempt, setAttempt] = useState(0);

  const signOut = (why: string | null) => {
    forgetToken();
    setToken(null);
    setService(null);
    setReason(why);
  };
  // A link with a token opened while the console is already open (#token=… typed or pasted).
  useEffect(() => {
    const adopt = () => {
      const brought = adoptTokenFromFragment();
      if (brought === null) return;
      setService(null);
      setReason(null);
      setToken(brought);
    };
    addEventListener('hashchange', adopt);
    adopt();
    return () => removeEventListener('hashchange', adopt);
  }, []);
  const api = useMemo(() => (token === null ? null : createApi(token, (error) => signOut(error.message))), [token]);

  // The first call says whether the token is good; it also brings the time zone and the job names.
  useEffect(() => {
    if (!api) return;
    let cancelled = false;
    Promise.all([api.json<JobView[]>('/api/batch/jobs'), probeFeatures(api)])
      .then(([jobs, features]) => {
        if (!cancelled) setService({ timeZone: jobs[0]?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone, jobNames: jobs.map((j) => j.name), features });
      })
      .catch((error: unknown) => {
        // 401 and 403 have signed out already; anything else leaves the session and says why.
        if (!cancelled && !(error instanceof ApiError && (error.status === 401 || error.status === 403))) {
          setReason(error instanceof Error ? error.message : String(error));
        }
      });
    return () => {
      cancelled = true;
    };
  }, [api, attempt]);

  if (token === null || api === null) {
    return html`<${LoginScreen}
      reason=${reason}
      onToken=${(candidate: string) => {
        storeToken(candidate);
        setReason(null);
        setToken(candidate);
      }}
    />`;
  }
  const claims = tokenClaims(token);
  const retry = () => {
    setReason(null);
    setAttempt((n) => n + 1);
  };
  return html`<${ApiContext.Provider} value=${api}>
    <a class="skip-link" href="#main" onClick=${skipToMain}>Aller au contenu</a>
    <header class="top">
      <p class="brand"><a href=${href(DEFAULT_SCREEN)}>Console batch</a></p>
      <p class="who">
        ${claims.subject ? html`<span>Connecté : <strong>${claims.subject}</strong></span>` : null}
        <button type="button" class="button link" onClick=${() => signOut(null)}>Se déconnecter</button>
      </p>
    </header>
    ${service === null
      ? html`<main id="main" tabindex="-1">
          ${reason
            ? html`<div class="error" role="alert"><p>${reason}</p></div>
                <button type="button" class="button" onClick=${retry}>Réessayer</button>`
            : html`<p class="muted">Connexion au service…</p>`}
        </main>`
      : html`<${ServiceContext.Provider} value=${service}><${Shell} features=${service.features} /><//>`}
  <//>`;
}

function skipToMain(event: Event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function Shell({ features }: { features: ReadonlySet<string> }) {
  const route = useHashRoute();
  const available = SCREENS.filter((s) => s.feature === undefined || features.has(s.feature));
  const screen = available.find((s) => s.id === route.screen) ?? available[0]!;
  const title = route.id !== null && screen.item ? screen.item.title(route.id) : screen.label;
  const View = route.id !== null && screen.item ? screen.item.view : screen.view;
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  useEffect(() => {
    document.title = `${title} — Console batch`;
    // After a navigation (not the first render), focus goes to the new screen's heading, as a page load would.
    if (!first.current) heading.current?.focus();
    first.current = false;
  }, [title]);

  return html`<nav class="screens" aria-label="Écrans">
      <ul>
        ${available.map((s) => html`<li><a href=${href(s.id)} aria-current=${s.id === screen.id ? 'page' : undefined}>${s.label}</a></li>`)}
      </ul>
    </nav>
    <main id="main" tabindex="-1">
      <h1 ref=${heading} tabindex="-1">${title}</h1>
      <${ErrorBoundary} key=${`${screen.id}/${route.id ?? ''}`}>
        <${View} query=${route.query} id=${route.id ?? 0} />
      <//>
    </main>`;
}

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    // Effects run after the first paint: a change in between fired no event this listener heard.
    changed();
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** A bug in a screen shows as a message on that screen, never as a blank page. */
class ErrorBoundary extends Component<{ children: ComponentChildren }, { error: Error | null }> {
  override state = { error: null as Error | null };

  override componentDidCatch(error: Error) {
    this.setState({ error });
  }

  override render() {
    if (this.state.error) {
      return html`<div class="error" role="alert"><p>Erreur inattendue dans la page : ${this.state.error.message}. Rechargez la page ; si elle revient, signalez-la.</p></div>`;
    }
    return this.props.children;
  }
}
