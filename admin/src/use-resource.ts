/**
 * Data from the API for a screen, optionally kept fresh by polling: live progress is a
 * request every second or two, which the API answers from the repository cheaply (its
 * job list is cached by version, bench/api measures it). Polling rather than server-sent
 * events: no long-lived connection to keep through proxies, and a missed tick costs
 * nothing. A failed refresh keeps the last data on screen with the error above it.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, useApi, type Api } from './api.js';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  readonly loading: boolean;
  /** Fetches again now (after an action changed something). */
  reload(): void;
}

/**
 * `pollMs`: a fixed period, or a function of the last answer (null: stop), e.g. poll an
 * execution while it runs:
 *
 *   const execution = useResource((api) => api.json<Detail>(`/api/batch/jobs/executions/${id}`), [id],
 *     (detail) => (isRunning(detail.status) ? 1000 : null));
 */
export function useResource<T>(load: (api: Api) => Promise<T>, deps: readonly unknown[], pollMs: number | ((data: T) => number | null) | null = null): Resource<T> {
  const api = useApi();
  // Data is kept with the request it answers: another execution's detail is never shown for this one.
  const key = JSON.stringify(deps);
  const [state, setState] = useState<{ key: string; data: T | undefined; error: ApiError | undefined; loading: boolean }>({ key, data: undefined, error: undefined, loading: true });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      let next: number | null = typeof pollMs === 'number' ? pollMs : null;
      try {
        const data = await load(api);
        if (cancelled) return;
        setState({ key, data, error: undefined, loading: false });
        if (typeof pollMs === 'function') next = pollMs(data);
      } catch (error) {
        if (cancelled) return;
        const failure = error instanceof ApiError ? error : new ApiError(0, `Erreur inattendue dans la page : ${(error as Error).message}`);
        setState((previous) => ({ key, data: previous.key === key ? previous.data : undefined, error: failure, loading: false }));
        // An endpoint that is not there will not appear by asking again every second.
        if (failure.absent || failure.status === 401 || failure.status === 403) next = null;
        else if (typeof pollMs === 'function') next = 5000;
      }
      if (next !== null && !cancelled) timer = setTimeout(run, next);
    };
    setState((previous) => (previous.key === key ? { ...previous, loading: true } : { key, data: undefined, error: undefined, loading: true }));
    void run();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, generation, ...deps]);

  const current = state.key === key ? state : { data: undefined, error: undefined, loading: true };
  return { data: current.data, error: current.error, loading: current.loading, reload: () => setGeneration((g) => g + 1) };
}
