/**
 * The page's only way to the service: every call carries the token as a bearer header,
 * every failure becomes an ApiError whose message is the problem in French
 * (problem-text.ts). A 401 or 403 ends the session: the page goes back to the login
 * screen with the reason.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { problemInFrench, type ProblemBody } from './problem-text.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The API's own words, when the message above is a translation of them. */
    readonly original: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The endpoint does not exist on this service (yet): the feature it serves is hidden. */
  get absent(): boolean {
    return this.status === 404;
  }
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  /** Statuses that carry a normal answer besides 2xx (health answers 503 with its document). */
  readonly accept?: readonly number[];
}

export interface Api {
  json<T>(path: string, options?: RequestOptions): Promise<T>;
  text(path: string): Promise<string>;
  blob(path: string): Promise<Blob>;
}

export function createApi(token: string, onAuthFailure: (error: ApiError) => void): Api {
  const send = async (path: string, options: RequestOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json, application/problem+json, */*' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (error) {
      throw new ApiError(0, `Le service ne répond pas (${(error as Error).message}) ; vérifiez qu'il tourne, puis réessayez.`);
    }
    if (response.ok || options.accept?.includes(response.status)) return response;
    const failure = await apiError(response);
    if (response.status === 401 || response.status === 403) onAuthFailure(failure);
    throw failure;
  };
  return {
    async json<T>(path: string, options?: RequestOptions) {
      return (await (await send(path, options)).json()) as T;
    },
    async text(path: string) {
      return (await send(path)).text();
    },
    async blob(path: string) {
      return (await send(path)).blob();
    },
  };
}

async function apiError(response: Response): Promise<ApiError> {
  let body: ProblemBody | null = null;
  if (/json/.test(response.headers.get('content-type') ?? '')) body = (await response.json().catch(() => null)) as ProblemBody | null;
  const { summary, detail } = problemInFrench(response.status, body);
  return new ApiError(response.status, summary, detail);
}

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside of an ApiContext provider');
  return api;
}
