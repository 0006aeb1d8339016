import { version } from '../../lib/version.js';

/** A Git provider's API said no, or could not be reached. The message is safe to show an admin: no URL, no token. */
export class GitProviderError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface GitClientOptions {
  /** API base, e.g. https://api.github.com or https://gitlab.com/api/v4 (a fake one in tests). */
  apiUrl: string;
  token?: string | null;
  timeoutMs?: number;
}

export const userAgent = `Mintreu/${version}`;

/** Base URL + path, without doubling or losing the slash between them. */
export function apiUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** GET a JSON document; a non-2xx answer becomes a GitProviderError through `describe`. */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  provider: string,
  describe: (response: Response) => string,
  timeoutMs = 10_000,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { 'user-agent': userAgent, ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new GitProviderError(`Could not reach the ${provider} API${timedOut ? ' (timed out)' : ''}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new GitProviderError(describe(response), response.status);
  }
  try {
    return await response.json();
  } catch {
    throw new GitProviderError(`The ${provider} API answered with something that is not JSON`, response.status);
  }
}
