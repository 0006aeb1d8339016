import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPort } from '../../../test/support/net.js';
import { startFakeGit, type FakeGit } from '../../../test/support/fake-git.js';
import { getGitHubRelease, getGitLabRelease, GitProviderError, parseGitHubUrl, parseGitLabUrl, stripGitSuffix } from './index.js';

describe('repository URLs', () => {
  it('strips a .git suffix, not the characters g, i, t and . (the upstream trim bug)', () => {
    expect(stripGitSuffix('tool.git')).toBe('tool');
    for (const repo of ['digit', 'toolkit', 'widget', 'git', 'dot.', 'tig', 'gist']) expect(stripGitSuffix(repo)).toBe(repo);
    expect(parseGitHubUrl('https://github.com/acme/digit')).toEqual({ owner: 'acme', repo: 'digit', tag: null, asset: null });
    expect(parseGitHubUrl('https://github.com/acme/widget.git')?.repo).toBe('widget');
  });

  it('parses GitHub repository, release and asset URLs', () => {
    const cases: [string, ReturnType<typeof parseGitHubUrl>][] = [
      ['https://github.com/acme/tool', { owner: 'acme', repo: 'tool', tag: null, asset: null }],
      ['https://github.com/acme/tool.git', { owner: 'acme', repo: 'tool', tag: null, asset: null }],
      ['https://github.com/acme/tool/', { owner: 'acme', repo: 'tool', tag: null, asset: null }],
      ['https://github.com/acme/tool/releases/tag/v1.2.0', { owner: 'acme', repo: 'tool', tag: 'v1.2.0', asset: null }],
      ['https://github.com/acme/tool/releases/tag/release%2F2024', { owner: 'acme', repo: 'tool', tag: 'release/2024', asset: null }],
      ['https://github.com/acme/tool/releases/download/v1.2.0/tool-linux.tar.gz', { owner: 'acme', repo: 'tool', tag: 'v1.2.0', asset: 'tool-linux.tar.gz' }],
      ['https://github.com/acme/tool/releases/latest/download/tool.zip', { owner: 'acme', repo: 'tool', tag: null, asset: 'tool.zip' }],
      ['https://github.com/acme/tool/releases/latest', { owner: 'acme', repo: 'tool', tag: null, asset: null }],
      ['https://github.com/acme/tool/tree/main', { owner: 'acme', repo: 'tool', tag: null, asset: null }],
    ];
    for (const [url, expected] of cases) expect(parseGitHubUrl(url), url).toEqual(expected);
    for (const bad of ['https://github.com/acme', 'ftp://github.com/acme/tool', 'not a url', 'https://github.com/acme/.git', 'https://github.com/ac%20me/tool']) {
      expect(parseGitHubUrl(bad), bad).toBeNull();
    }
  });

  it('parses GitLab project URLs, nested groups included', () => {
    expect(parseGitLabUrl('https://gitlab.com/acme/tool')).toEqual({ project: 'acme/tool', tag: null, asset: null });
    expect(parseGitLabUrl('https://gitlab.com/acme/tools/cli.git')).toEqual({ project: 'acme/tools/cli', tag: null, asset: null });
    expect(parseGitLabUrl('https://gitlab.com/acme/tool/-/releases/v2.0')).toEqual({ project: 'acme/tool', tag: 'v2.0', asset: null });
    expect(parseGitLabUrl('https://gitlab.com/acme/tool/-/releases/v2.0/downloads/bin/tool.zip'))
      .toEqual({ project: 'acme/tool', tag: 'v2.0', asset: 'bin/tool.zip' });
    expect(parseGitLabUrl('https://gitlab.com/acme/tool/-/releases/permalink/latest')).toEqual({ project: 'acme/tool', tag: null, asset: null });
    expect(parseGitLabUrl('https://gitlab.com/acme')).toBeNull();
    expect(parseGitLabUrl('file:///etc/passwd')).toBeNull();
  });
});

describe('GitHub and GitLab release clients (against a fake API)', () => {
  let git: FakeGit;

  beforeAll(async () => {
    git = await startFakeGit();
    git.github.set('acme/tool', [
      { tag: 'v2.0.0', assets: [{ id: 20, name: 'tool-2.0.0.zip', size: 2048 }, { id: 21, name: 'tool-2.0.0.tar.gz', size: 1900 }] },
      { tag: 'v1.0.0', assets: [{ id: 10, name: 'tool-1.0.0.zip', size: 1024, contentType: 'application/x-zip' }] },
    ]);
    git.github.set('acme/private-tool', [{ tag: 'v1', assets: [{ id: 5, name: 'p.zip', size: 5 }] }]);
    git.privateRepos.set('acme/private-tool', 'ghp_secret');
    git.gitlab.set('acme/tools/cli', [
      { tag: 'v3.1', links: [{ name: 'cli-linux', url: 'https://gitlab.example/acme/tools/cli/-/releases/v3.1/downloads/cli-linux' }] },
      { tag: 'v3.0', links: [] },
    ]);
    git.gitlab.set('acme/secret', [{ tag: 'v1', links: [{ name: 's', url: 'https://gitlab.example/s' }] }]);
    git.privateRepos.set('acme/secret', 'glpat-secret');
  });
  afterAll(async () => {
    await git.close();
  });
  beforeEach(() => {
    git.requests.length = 0;
    git.failWith = null;
  });

  const gh = (token?: string) => ({ apiUrl: git.githubUrl, token });
  const gl = (token?: string) => ({ apiUrl: git.gitlabUrl, token });

  it('GitHub: fetches a release by tag with the REST API headers', async () => {
    const release = await getGitHubRelease(gh('ghp_abc'), { owner: 'acme', repo: 'tool', tag: 'v1.0.0' });
    expect(release).toEqual({
      tag: 'v1.0.0',
      name: 'Release v1.0.0',
      assets: [{
        id: 10, name: 'tool-1.0.0.zip', size: 1024, contentType: 'application/x-zip',
        apiUrl: `${git.githubUrl}/repos/acme/tool/releases/assets/10`,
        downloadUrl: 'https://github.com/acme/tool/releases/download/v1.0.0/tool-1.0.0.zip',
      }],
    });
    const [request] = git.requests;
    expect(request!.method).toBe('GET');
    expect(request!.url).toBe('/github/repos/acme/tool/releases/tags/v1.0.0');
    expect(request!.headers).toMatchObject({
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      authorization: 'Bearer ghp_abc',
      'user-agent': expect.stringMatching(/^Mintreu\//),
    });
  });

  it('GitHub: the latest release without a tag, and no Authorization header without a token', async () => {
    const release = await getGitHubRelease(gh(), { owner: 'acme', repo: 'tool' });
    expect(release.tag).toBe('v2.0.0');
    expect(release.assets.map((a) => a.name)).toEqual(['tool-2.0.0.zip', 'tool-2.0.0.tar.gz']);
    expect(git.requests[0]!.url).toBe('/github/repos/acme/tool/releases/latest');
    expect(git.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('GitHub: encodes tags, and a trailing slash on the API base does not double up', async () => {
    await getGitHubRelease({ apiUrl: `${git.githubUrl}/` }, { owner: 'acme', repo: 'tool', tag: 'release/2024 final' }).catch(() => {});
    expect(git.requests[0]!.url).toBe('/github/repos/acme/tool/releases/tags/release%2F2024%20final');
  });

  it('GitHub: a private repository needs its token; failures say why without the token', async () => {
    await expect(getGitHubRelease(gh(), { owner: 'acme', repo: 'private-tool', tag: 'v1' }))
      .rejects.toThrow('Release v1 was not found (if the repository is private, store a token that can read it)');
    expect((await getGitHubRelease(gh('ghp_secret'), { owner: 'acme', repo: 'private-tool', tag: 'v1' })).assets[0]!.size).toBe(5);

    const failures: [{ status: number; headers?: Record<string, string> }, string][] = [
      [{ status: 401 }, 'GitHub rejected the stored token (401)'],
      [{ status: 403, headers: { 'x-ratelimit-remaining': '0' } }, 'GitHub rate limit reached; try again later'],
      [{ status: 403 }, 'GitHub refused access to the repository (403)'],
      [{ status: 502 }, 'GitHub answered 502'],
    ];
    for (const [failWith, message] of failures) {
      git.failWith = failWith;
      const error = await getGitHubRelease(gh('ghp_secret'), { owner: 'acme', repo: 'tool' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitProviderError);
      expect((error as Error).message).toBe(message);
      expect((error as Error).message).not.toContain('ghp_secret');
    }
  });

  it('GitHub: an unreachable API is a clear error, not a crash', async () => {
    const port = await closedPort();
    await expect(getGitHubRelease({ apiUrl: `http://127.0.0.1:${port}` }, { owner: 'a', repo: 'b' }))
      .rejects.toThrow('Could not reach the GitHub API');
  });

  it('GitLab: fetches a release by tag with PRIVATE-TOKEN, the project path URL-encoded', async () => {
    const release = await getGitLabRelease(gl('glpat-abc'), { project: 'acme/tools/cli', tag: 'v3.1' });
    expect(release).toEqual({
      tag: 'v3.1',
      name: 'Release v3.1',
      links: [{ name: 'cli-linux', url: 'https://gitlab.example/acme/tools/cli/-/releases/v3.1/downloads/cli-linux' }],
    });
    expect(git.requests[0]!.url).toBe('/gitlab/api/v4/projects/acme%2Ftools%2Fcli/releases/v3.1');
    expect(git.requests[0]!.headers).toMatchObject({ 'private-token': 'glpat-abc', accept: 'application/json' });
    expect(git.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('GitLab: the most recent release without a tag', async () => {
    expect((await getGitLabRelease(gl(), { project: 'acme/tools/cli' })).tag).toBe('v3.1');
    expect(git.requests[0]!.url).toBe('/gitlab/api/v4/projects/acme%2Ftools%2Fcli/releases?order_by=released_at&sort=desc&per_page=1');
    expect(git.requests[0]!.headers['private-token']).toBeUndefined();
  });

  it('GitLab: private projects, missing releases and refusals', async () => {
    await expect(getGitLabRelease(gl(), { project: 'acme/secret', tag: 'v1' }))
      .rejects.toThrow('Release v1 was not found (if the project is private, store a token that can read it)');
    expect((await getGitLabRelease(gl('glpat-secret'), { project: 'acme/secret', tag: 'v1' })).links).toHaveLength(1);
    git.gitlab.set('acme/empty', []);
    await expect(getGitLabRelease(gl(), { project: 'acme/empty' })).rejects.toThrow('The project has no releases');
    git.failWith = { status: 401 };
    await expect(getGitLabRelease(gl('glpat-bad'), { project: 'acme/secret' })).rejects.toThrow('GitLab rejected the stored token (401)');
  });
});
