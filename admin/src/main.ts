/** Entry point of the console (bundled by scripts/build-admin.mjs into app.js). */
import { render } from 'preact';
import { html } from 'htm/preact';
import { App } from './app.js';
import { adoptTokenFromFragment } from './session.js';

// Before the first render: the token leaves the address bar at once.
adoptTokenFromFragment();
render(html`<${App} />`, document.getElementById('app')!);
