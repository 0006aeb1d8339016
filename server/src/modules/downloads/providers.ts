import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import {
  getGitHubRelease, getGitLabRelease, gitHubHeaders, GitProviderError, parseGitHubUrl, parseGitLabUrl,
} from '../../adapters/git/index.js';
import { userAgent } from '../../adapters/git/http.js';
import type { Storage } from '../../adapters/storage/index.js';
import type { KeyRing } from '../../lib/crypto.js';
import type { SourceRow } from '../catalog/sources.js';
import { assertAllowedUrl, ForbiddenHostError, guardedLookup, type HostPolicy } from '../catalog/source-net.js';

/** What the platform needs to reach a source's provider. */
export interface ProviderContext {
  storage: Storage;
  keyRing: KeyRing;
  hostPolicy: HostPolicy;
  githubApiUrl: string;
  gitlabApiUrl: string;
  redirectTtlSeconds: number;
}

/**
 * Where a remote source's bytes are: a short-lived URL to send the client to, or an upstream response to pass
 * through (a provider that answers the authenticated request with the file itself; the token stays here).
 */
export type RemoteDelivery = { kind: 'redirect'; url: string } | { kind: 'proxy'; response: IncomingMessage };

/** The source cannot be delivered now (missing file, provider refusal): 502, logged as failed, link not used. */
export class SourceUnavailableError extends Error {
  constructor(message: string, readonly reason: string) {
    super(message);
  }
}

function storedToken(ctx: ProviderContext, row: SourceRow): string | null {
  if (!row.encryptedToken) return null;
  try {
    return ctx.keyRing.decrypt(row.encryptedToken);
  } catch {
    throw new SourceUnavailableError('The source token cannot be decrypted', 'TOKEN_UNREADABLE');
  }
}

/** One GET that does not follow redirects, to a host the policy allows (every hop is the caller's decision). */
function upstreamGet(url: URL, headers: Record<string, string>, policy: HostPolicy, timeoutMs = 15_000): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'GET',
      lookup: guardedLookup(policy) as never,
      headers: { 'user-agent': userAgent, ...headers },
      timeout: timeoutMs,
    });
    request.on('response', (response) => {
      request.setTimeout(0);
      resolve(response);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => reject(new SourceUnavailableError('The provider could not be reached', 'PROVIDER_UNREACHABLE')));
    request.end();
  });
}

async function allowed(url: string, policy: HostPolicy): Promise<URL> {
  try {
    return await assertAllowedUrl(url, policy);
  } catch (error) {
    if (error instanceof ForbiddenHostError) throw new SourceUnavailableError('The provider URL is not allowed', 'FORBIDDEN_HOST');
    throw error;
  }
}

/**
 * Asks for the file with the stored credentials and reads the answer: a redirect to a short-lived URL is passed
 * on (its Location, never the request's URL or token), a 200 is streamed through, anything else is a failure.
 */
async function fetchAsset(url: URL, headers: Record<string, string>, policy: HostPolicy, forward: Record<string, string>, provider: string): Promise<RemoteDelivery> {
  const response = await upstreamGet(url, { ...headers, ...forward }, policy);
  const status = response.statusCode ?? 0;
  if (status >= 300 && status < 400 && response.headers.location) {
    response.resume();
    const location = new URL(response.headers.location, url);
    if (location.protocol !== 'https:' && location.protocol !== 'http:') {
      throw new SourceUnavailableError(`${provider} redirected to an unusable URL`, 'PROVIDER_FAILED');
    }
    return { kind: 'redirect', url: location.toString() };
  }
  if (status === 200 || status === 206) return { kind: 'proxy', response };
  response.resume();
  if (status === 404) throw new SourceUnavailableError(`${provider} no longer has this file (404)`, 'SOURCE_MISSING');
  throw new SourceUnavailableError(`${provider} answered ${status}`, 'PROVIDER_FAILED');
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : null);

/** GitHub: the release asset's API URL (`Accept: application/octet-stream`), which answers with a short-lived URL. */
async function gitHub(ctx: ProviderContext, row: SourceRow, forward: Record<string, string>): Promise<RemoteDelivery> {
  const ref = parseGitHubUrl(row.sourceUrl);
  if (!ref) throw new SourceUnavailableError('The source is not a GitHub repository URL', 'SOURCE_INVALID');
  const token = storedToken(ctx, row);
  const base = ctx.githubApiUrl.replace(/\/+$/, '');
  const repoPath = `/repos/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}`;
  const resolved = row.metadata.resolved as { owner?: string; repo?: string; assetId?: number; tag?: string } | undefined;
  let assetId = resolved?.owner === ref.owner && resolved.repo === ref.repo && !ref.asset ? resolved.assetId : undefined;
  if (typeof assetId !== 'number') {
    // Never verified (or the URL names the asset): look the release up now.
    const release = await getGitHubRelease({ apiUrl: ctx.githubApiUrl, token }, { owner: ref.owner, repo: ref.repo, tag: ref.tag ?? text(row.metadata.tag) })
      .catch((error: unknown) => {
        throw new SourceUnavailableError(error instanceof GitProviderError ? error.message : 'GitHub could not be asked', 'PROVIDER_FAILED');
      });
    const wanted = ref.asset ?? row.fileName;
    const asset = release.assets.find((a) => a.name === wanted) ?? (ref.asset ? undefined : release.assets[0]);
    if (!asset) throw new SourceUnavailableError(`Release ${release.tag} has no such asset`, 'SOURCE_MISSING');
    assetId = asset.id;
  }
  const url = await allowed(`${base}${repoPath}/releases/assets/${assetId}`, ctx.hostPolicy);
  const headers = { ...gitHubHeaders(token), accept: 'application/octet-stream' };
  return fetchAsset(url, headers, ctx.hostPolicy, forward, 'GitHub');
}

/**
 * GitLab: the release link's URL, asked with the token in the `PRIVATE-TOKEN` header — and only when the link is
 * on the GitLab instance itself; a link elsewhere never sees the token. GitLab answers with a redirect to the
 * file or the file itself. (The upstream put `private_token=` in the client's URL; that is not done here.)
 */
async function gitLab(ctx: ProviderContext, row: SourceRow, forward: Record<string, string>): Promise<RemoteDelivery> {
  const ref = parseGitLabUrl(row.sourceUrl);
  if (!ref) throw new SourceUnavailableError('The source is not a GitLab project URL', 'SOURCE_INVALID');
  const token = storedToken(ctx, row);
  const projectId = row.metadata.projectId;
  const project = typeof projectId === 'number' ? String(projectId) : (text(projectId) ?? ref.project);
  const release = await getGitLabRelease({ apiUrl: ctx.gitlabApiUrl, token }, { project, tag: ref.tag ?? text(row.metadata.tag) })
    .catch((error: unknown) => {
      throw new SourceUnavailableError(error instanceof GitProviderError ? error.message : 'GitLab could not be asked', 'PROVIDER_FAILED');
    });
  const wanted = ref.asset ?? row.fileName;
  const link = wanted ? release.links.find((l) => l.name === wanted || l.url.endsWith(`/${wanted}`)) : release.links[0];
  if (!link) throw new SourceUnavailableError(`Release ${release.tag} has no such asset`, 'SOURCE_MISSING');
  const url = await allowed(link.url, ctx.hostPolicy);
  const sameInstance = url.origin === new URL(ctx.gitlabApiUrl).origin;
  const headers: Record<string, string> = token && sameInstance ? { 'private-token': token } : {};
  return fetchAsset(url, headers, ctx.hostPolicy, forward, 'GitLab');
}

/** S3: a presigned GET of short life, after checking the object is there (a missing one must not use the link). */
async function s3(ctx: ProviderContext, row: SourceRow, fileName: string): Promise<RemoteDelivery> {
  if (ctx.storage.driver !== 's3' || !ctx.storage.signedUrl) {
    throw new SourceUnavailableError('The file was stored on S3, but this instance uses local storage', 'STORAGE_MISMATCH');
  }
  const info = await ctx.storage.stat(row.sourceUrl).catch(() => {
    throw new SourceUnavailableError('The object store could not be reached', 'PROVIDER_UNREACHABLE');
  });
  if (!info) throw new SourceUnavailableError('The stored file is missing', 'SOURCE_MISSING');
  return { kind: 'redirect', url: await ctx.storage.signedUrl(row.sourceUrl, ctx.redirectTtlSeconds, fileName) };
}

/** Where a non-local source's file is served from. `forward`: the client's Range/If-Range, for pass-through. */
export async function resolveRemote(ctx: ProviderContext, row: SourceRow, fileName: string, forward: Record<string, string>): Promise<RemoteDelivery> {
  switch (row.provider) {
    case 's3':
      return s3(ctx, row, fileName);
    case 'github':
      return gitHub(ctx, row, forward);
    case 'gitlab':
      return gitLab(ctx, row, forward);
    case 'direct_url':
      // The seller's own URL, as entered: only a redeemed link ever sees it.
      return { kind: 'redirect', url: (await allowed(row.sourceUrl, ctx.hostPolicy)).toString() };
    default:
      throw new SourceUnavailableError(`Provider ${row.provider} cannot be delivered`, 'SOURCE_INVALID');
  }
}
