import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';

export interface GitRequest {
  method: string;
  /** The raw request path with its query, exactly as sent (percent-encoding kept). */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface FakeGitRelease {
  tag: string;
  assets?: { id: number; name: string; size: number; contentType?: string }[];
  links?: { name: string; url: string }[];
}

export interface FakeGit {
  /** The server's origin: `/gitlab-files/{path}` serves GitLab release files, `/objects/…` stands for signed object URLs. */
  baseUrl: string;
  /** Point GITHUB_API_URL here. */
  githubUrl: string;
  /** Point GITLAB_API_URL here. */
  gitlabUrl: string;
  requests: GitRequest[];
  /** `owner/repo` → releases, newest first. */
  github: Map<string, FakeGitRelease[]>;
  /** project path or id → releases, newest first. */
  gitlab: Map<string, FakeGitRelease[]>;
  /** Tokens that may read private repositories (`private: true`); others get 404 like the real APIs. */
  privateRepos: Map<string, string>;
  /** Answer every request with this status instead (e.g. 401, 403 + rate limit, 500). */
  failWith: { status: number; headers?: Record<string, string> } | null;
  /**
   * How GitHub's asset endpoint (`/repos/{o}/{r}/releases/assets/{id}`, `Accept: application/octet-stream`) answers:
   * a 302 to a short-lived object URL on this server (as github.com does), or the bytes themselves.
   */
  githubAssetMode: 'redirect' | 'stream';
  /** Asset bytes by GitHub asset id, or by GitLab file path (under `/gitlab-files/`). */
  assetBodies: Map<string, Buffer>;
  /** GitLab release files (`/gitlab-files/{path}`) that need a `PRIVATE-TOKEN` header, with the token. */
  privateFiles: Map<string, string>;
  close(): Promise<void>;
}

/** The JSON the real GitHub REST API returns for a release (only the fields we read, plus a few). */
function gitHubRelease(base: string, repo: string, release: FakeGitRelease) {
  return {
    id: 1,
    tag_name: release.tag,
    name: `Release ${release.tag}`,
    draft: false,
    prerelease: false,
    assets: (release.assets ?? []).map((asset) => ({
      id: asset.id,
      name: asset.name,
      size: asset.size,
      content_type: asset.contentType ?? 'application/zip',
      url: `${base}/repos/${repo}/releases/assets/${asset.id}`,
      browser_download_url: `https://github.com/${repo}/releases/download/${release.tag}/${asset.name}`,
    })),
  };
}

function gitLabRelease(release: FakeGitRelease) {
  return {
    tag_name: release.tag,
    name: `Release ${release.tag}`,
    released_at: new Date().toISOString(),
    assets: {
      count: (release.links ?? []).length,
      sources: [{ format: 'zip', url: 'https://gitlab.example/archive.zip' }],
      links: (release.links ?? []).map((link, i) => ({ id: i + 1, name: link.name, url: link.url, direct_asset_url: link.url, link_type: 'package' })),
    },
  };
}

/**
 * One HTTP server speaking the slices of GitHub's REST API (`/github/repos/{o}/{r}/releases/…`)
 * and GitLab's API v4 (`/gitlab/api/v4/projects/{id}/releases…`) that source verification uses,
 * recording each request with its headers.
 */
export async function startFakeGit(): Promise<FakeGit> {
  const state: Omit<FakeGit, 'baseUrl' | 'githubUrl' | 'gitlabUrl' | 'close'> = {
    requests: [],
    github: new Map(),
    gitlab: new Map(),
    privateRepos: new Map(),
    failWith: null,
    githubAssetMode: 'redirect',
    assetBodies: new Map(),
    privateFiles: new Map(),
  };
  let base = '';

  const json = (res: Parameters<RequestListener>[1], status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const allowed = (repo: string, headers: IncomingHttpHeaders, header: 'authorization' | 'private-token') => {
    const token = state.privateRepos.get(repo);
    if (!token) return true;
    return header === 'authorization' ? headers.authorization === `Bearer ${token}` : headers['private-token'] === token;
  };

  const server: Server = createServer((req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (state.failWith) return json(res, state.failWith.status, { message: 'failure' }, state.failWith.headers);
    const url = new URL(req.url ?? '/', 'http://fake');
    const github = /^\/github\/repos\/([^/]+)\/([^/]+)\/releases\/(latest|tags\/(.+))$/.exec(url.pathname);
    if (github) {
      const repo = `${decodeURIComponent(github[1]!)}/${decodeURIComponent(github[2]!)}`;
      const releases = state.github.get(repo);
      if (!releases || !allowed(repo, req.headers, 'authorization')) {
        return json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      }
      const release = github[3] === 'latest' ? releases[0] : releases.find((r) => r.tag === decodeURIComponent(github[4]!));
      if (!release) return json(res, 404, { message: 'Not Found' });
      return json(res, 200, gitHubRelease(`${base}/github`, repo, release));
    }
    const gitlab = /^\/gitlab\/api\/v4\/projects\/([^/]+)\/releases(?:\/([^/]+))?$/.exec(url.pathname);
    if (gitlab) {
      const project = decodeURIComponent(gitlab[1]!);
      const releases = state.gitlab.get(project);
      if (!releases || !allowed(project, req.headers, 'private-token')) return json(res, 404, { message: '404 Project Not Found' });
      if (gitlab[2] === undefined) return json(res, 200, releases.slice(0, Number(url.searchParams.get('per_page') ?? 20)).map(gitLabRelease));
      const release = releases.find((r) => r.tag === decodeURIComponent(gitlab[2]!));
      return release ? json(res, 200, gitLabRelease(release)) : json(res, 404, { message: '404 Not found' });
    }
    const asset = /^\/github\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/.exec(url.pathname);
    if (asset) {
      const repo = `${decodeURIComponent(asset[1]!)}/${decodeURIComponent(asset[2]!)}`;
      const known = (state.github.get(repo) ?? []).some((r) => (r.assets ?? []).some((a) => String(a.id) === asset[3]));
      if (!known || !allowed(repo, req.headers, 'authorization')) return json(res, 404, { message: 'Not Found' });
      if (req.headers.accept !== 'application/octet-stream') return json(res, 200, { id: Number(asset[3]) });
      if (state.githubAssetMode === 'redirect') {
        res.writeHead(302, { location: `${base}/objects/github/${asset[3]}?X-Amz-Expires=300&X-Amz-Signature=fake` });
        return res.end();
      }
      const body = state.assetBodies.get(asset[3]!) ?? Buffer.from(`asset ${asset[3]}`);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      return res.end(body);
    }
    const file = /^\/gitlab-files\/(.+)$/.exec(url.pathname);
    if (file) {
      const path = decodeURIComponent(file[1]!);
      const token = state.privateFiles.get(path);
      if (token && req.headers['private-token'] !== token) return json(res, 404, { message: '404 Not Found' });
      if (!state.assetBodies.has(path)) return json(res, 404, { message: '404 Not Found' });
      res.writeHead(302, { location: `${base}/objects/gitlab/${encodeURIComponent(path)}?expires=300&signature=fake` });
      return res.end();
    }
    return json(res, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    baseUrl: base,
    githubUrl: `${base}/github`,
    gitlabUrl: `${base}/gitlab/api/v4`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
