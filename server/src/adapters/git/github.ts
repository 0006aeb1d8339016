import { z } from 'zod';
import { apiUrl, getJson, GitProviderError, type GitClientOptions } from './http.js';

const releaseSchema = z.object({
  tag_name: z.string(),
  name: z.string().nullable().optional(),
  assets: z
    .array(
      z.object({
        id: z.number(),
        name: z.string(),
        size: z.number().int().nonnegative(),
        content_type: z.string().nullable().optional(),
        /** The API URL that streams the asset (`Accept: application/octet-stream`), private repositories included. */
        url: z.string(),
        browser_download_url: z.string(),
      }),
    )
    .default([]),
});

export interface GitHubAsset {
  id: number;
  name: string;
  size: number;
  contentType: string | null;
  apiUrl: string;
  downloadUrl: string;
}

export interface GitHubRelease {
  tag: string;
  name: string;
  assets: GitHubAsset[];
}

/** The headers GitHub's REST API asks for, plus the token when there is one. */
export function gitHubHeaders(token?: string | null): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

/**
 * `GET /repos/{owner}/{repo}/releases/tags/{tag}`, or `/releases/latest` without a tag.
 * Failures are GitProviderErrors whose message says what went wrong, without the token.
 */
export async function getGitHubRelease(
  options: GitClientOptions,
  ref: { owner: string; repo: string; tag?: string | null },
): Promise<GitHubRelease> {
  const base = `/repos/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/releases`;
  const path = ref.tag ? `${base}/tags/${encodeURIComponent(ref.tag)}` : `${base}/latest`;
  const body = await getJson(
    apiUrl(options.apiUrl, path),
    gitHubHeaders(options.token),
    'GitHub',
    (response) => describe(response, ref.tag ?? null, Boolean(options.token)),
    options.timeoutMs,
  );
  const parsed = releaseSchema.safeParse(body);
  if (!parsed.success) throw new GitProviderError('GitHub answered with a release in an unexpected shape');
  const release = parsed.data;
  return {
    tag: release.tag_name,
    name: release.name || release.tag_name,
    assets: release.assets.map((asset) => ({
      id: asset.id,
      name: asset.name,
      size: asset.size,
      contentType: asset.content_type ?? null,
      apiUrl: asset.url,
      downloadUrl: asset.browser_download_url,
    })),
  };
}

function describe(response: Response, tag: string | null, hasToken: boolean): string {
  const release = tag ? `Release ${tag}` : 'A latest release';
  if (response.status === 404) {
    return `${release} was not found${hasToken ? '' : ' (if the repository is private, store a token that can read it)'}`;
  }
  if (response.status === 401) return 'GitHub rejected the stored token (401)';
  if ((response.status === 403 || response.status === 429) && response.headers.get('x-ratelimit-remaining') === '0') {
    return 'GitHub rate limit reached; try again later';
  }
  if (response.status === 403) return 'GitHub refused access to the repository (403)';
  return `GitHub answered ${response.status}`;
}
