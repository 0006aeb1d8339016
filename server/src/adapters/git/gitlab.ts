import { z } from 'zod';
import { apiUrl, getJson, GitProviderError, type GitClientOptions } from './http.js';

const releaseSchema = z.object({
  tag_name: z.string(),
  name: z.string().nullable().optional(),
  assets: z
    .object({
      links: z
        .array(z.object({ id: z.number().optional(), name: z.string(), url: z.string(), direct_asset_url: z.string().optional() }))
        .default([]),
    })
    .default({ links: [] }),
});

export interface GitLabLink {
  name: string;
  url: string;
}

export interface GitLabRelease {
  tag: string;
  name: string;
  /** Release asset links. GitLab's API gives no sizes for them. */
  links: GitLabLink[];
}

export function gitLabHeaders(token?: string | null): Record<string, string> {
  return { accept: 'application/json', ...(token ? { 'private-token': token } : {}) };
}

/**
 * `GET /projects/{id or url-encoded path}/releases/{tag}`, or the most recently released one
 * (`/releases?order_by=released_at&sort=desc&per_page=1`) without a tag.
 */
export async function getGitLabRelease(
  options: GitClientOptions,
  ref: { project: string; tag?: string | null },
): Promise<GitLabRelease> {
  const base = `/projects/${encodeURIComponent(ref.project)}/releases`;
  const path = ref.tag ? `${base}/${encodeURIComponent(ref.tag)}` : `${base}?order_by=released_at&sort=desc&per_page=1`;
  const body = await getJson(
    apiUrl(options.apiUrl, path),
    gitLabHeaders(options.token),
    'GitLab',
    (response) => describe(response, ref.tag ?? null, Boolean(options.token)),
    options.timeoutMs,
  );
  const found = ref.tag ? body : Array.isArray(body) ? body[0] : undefined;
  if (found === undefined) throw new GitProviderError('The project has no releases');
  const parsed = releaseSchema.safeParse(found);
  if (!parsed.success) throw new GitProviderError('GitLab answered with a release in an unexpected shape');
  const release = parsed.data;
  return {
    tag: release.tag_name,
    name: release.name || release.tag_name,
    links: release.assets.links.map((link) => ({ name: link.name, url: link.direct_asset_url ?? link.url })),
  };
}

function describe(response: Response, tag: string | null, hasToken: boolean): string {
  if (response.status === 404) {
    const what = tag ? `Release ${tag}` : 'The project';
    return `${what} was not found${hasToken ? '' : ' (if the project is private, store a token that can read it)'}`;
  }
  if (response.status === 401) return 'GitLab rejected the stored token (401)';
  if (response.status === 403) return 'GitLab refused access to the project (403)';
  if (response.status === 429) return 'GitLab rate limit reached; try again later';
  return `GitLab answered ${response.status}`;
}
