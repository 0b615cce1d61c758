/**
 * Downloads a file the API streams (a report, an archive) in one click. A plain link
 * cannot carry the bearer token, so the file is fetched, handed to the browser as a
 * blob: URL with its name, and the URL released once the browser has it.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, useApi } from '../api.js';
import { ErrorBox } from './error-box.js';

export function DownloadButton({ path, fileName, label }: { path: string; fileName: string; label: string }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const url = URL.createObjectURL(await api.blob(path));
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, (failure as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class="button secondary" onClick=${download} disabled=${busy} aria-label=${label}>${busy ? 'Téléchargement…' : 'Télécharger'}</button>
    <${ErrorBox} error=${error} />`;
}
