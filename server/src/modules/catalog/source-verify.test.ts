import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, type TestApp } from '../../../test/helpers.js';
import { startFakeGit, type FakeGit } from '../../../test/support/fake-git.js';
import { createProduct } from '../../../test/support/uploads.js';

describe('verifying sources', () => {
  let dir: string;
  let git: FakeGit;
  let files: Server;
  let filesUrl: string;
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let product: { id: string; slug: string };

  const create = async (body: Record<string, unknown>) => {
    const response = await t.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/sources`, headers: admin.headers, payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string };
  };
  const verify = (sourceId: string) =>
    t.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/sources/${sourceId}/verify`, headers: admin.headers });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mintreu-verify-'));
    git = await startFakeGit();
    git.github.set('acme/tool', [
      { tag: 'v2.0.0', assets: [{ id: 20, name: 'tool-2.0.0-linux.tar.gz', size: 30_000 }, { id: 21, name: 'tool-2.0.0.zip', size: 31_000 }] },
      { tag: 'v1.0.0', assets: [{ id: 10, name: 'tool-1.0.0.zip', size: 10_000 }] },
    ]);
    git.github.set('acme/private', [{ tag: 'v1', assets: [{ id: 1, name: 'p.zip', size: 777 }] }]);
    git.privateRepos.set('acme/private', 'ghp_private_token');
    git.github.set('acme/bare', [{ tag: 'v0.1', assets: [] }]);
    git.gitlab.set('acme/tools/cli', [{ tag: 'v3.1', links: [{ name: 'cli-linux', url: 'https://gitlab.example/cli-linux' }] }]);
    git.gitlab.set('42', [{ tag: 'v9', links: [{ name: 'by-id', url: 'https://gitlab.example/by-id' }] }]);
    git.privateRepos.set('acme/tools/cli', 'glpat-cli-token');

    files = createServer((req, res) => {
      if (req.url === '/tool.zip') {
        res.writeHead(200, { 'content-length': '4321', 'content-type': 'application/zip' });
        return res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(4321));
      }
      if (req.url === '/moved') {
        res.writeHead(301, { location: '/tool.zip' });
        return res.end();
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;

    // Private hosts are allowed here only because the test's file server is on 127.0.0.1.
    t = await createTestApp({
      env: { STORAGE_DIR: dir, ALLOW_PRIVATE_SOURCE_HOSTS: 'true', GITHUB_API_URL: git.githubUrl, GITLAB_API_URL: git.gitlabUrl },
    });
    admin = await asAdmin(t.app);
    product = await createProduct(t.app, admin.headers);
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
    await git.close();
    files.closeAllConnections();
    await new Promise<void>((resolve) => files.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    git.requests.length = 0;
  });

  it('local: records the stored size; a missing file is a recorded failure, not an HTTP error', async () => {
    await t.app.storage.put('catalog/verify/app.zip', Readable.from(['1234567']));
    const source = await create({ provider: 'local', name: 'Stored', sourceUrl: 'catalog/verify/app.zip' });
    const ok = await verify(source.id);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ fileSize: 7, lastVerifiedAt: expect.any(String), lastVerifyError: null });
    const verifiedAt = ok.json().lastVerifiedAt;

    await t.app.storage.delete('catalog/verify/app.zip');
    const failed = await verify(source.id);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ lastVerifyError: 'The stored file is missing', lastVerifiedAt: verifiedAt, fileSize: 7 });

    const audit = await t.app.inject({ method: 'GET', url: `/api/admin/audit?action=source.verify&entityId=${source.id}`, headers: admin.headers });
    expect(audit.json().data.map((e: { after: unknown }) => e.after)).toEqual([
      { ok: false, error: 'The stored file is missing' },
      { ok: true, fileSize: 7, version: null },
    ]);
  });

  it('direct URL: HEAD for the size, through redirects; a failure is recorded and a later success clears it', async () => {
    const source = await create({ provider: 'direct_url', name: 'Mirror', sourceUrl: `${filesUrl}/moved` });
    expect((await verify(source.id)).json()).toMatchObject({ fileSize: 4321, lastVerifyError: null, lastVerifiedAt: expect.any(String) });

    const broken = await create({ provider: 'direct_url', name: 'Broken', sourceUrl: `${filesUrl}/gone.zip` });
    expect((await verify(broken.id)).json()).toMatchObject({ lastVerifyError: 'The server answered 404', lastVerifiedAt: null });
    await t.app.inject({ method: 'PATCH', url: `/api/admin/products/${product.id}/sources/${broken.id}`, headers: admin.headers, payload: { sourceUrl: `${filesUrl}/tool.zip` } });
    expect((await verify(broken.id)).json()).toMatchObject({ lastVerifyError: null, fileSize: 4321 });
  });

  it('GitHub: the tagged release asset named by fileName, with the stored token and the API headers', async () => {
    const source = await create({
      provider: 'github', name: 'Windows', sourceUrl: 'https://github.com/acme/private/releases/tag/v1', token: 'ghp_private_token', fileName: 'p.zip',
    });
    const response = await verify(source.id);
    expect(response.json()).toMatchObject({ fileSize: 777, version: 'v1', lastVerifyError: null, lastVerifiedAt: expect.any(String) });
    expect(response.body).not.toContain('ghp_private_token');
    expect(git.requests).toHaveLength(1);
    expect(git.requests[0]!.url).toBe('/github/repos/acme/private/releases/tags/v1');
    expect(git.requests[0]!.headers).toMatchObject({
      authorization: 'Bearer ghp_private_token', accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28',
    });
  });

  it('GitHub: the latest release and its first asset when nothing is pinned; an asset named in the URL', async () => {
    const latest = await create({ provider: 'github', name: 'Latest', sourceUrl: 'https://github.com/acme/tool.git' });
    expect((await verify(latest.id)).json()).toMatchObject({ version: 'v2.0.0', fileSize: 30_000, fileName: 'tool-2.0.0-linux.tar.gz' });
    expect(git.requests[0]!.url).toBe('/github/repos/acme/tool/releases/latest');
    expect(git.requests[0]!.headers.authorization).toBeUndefined();

    const named = await create({ provider: 'github', name: 'Zip', sourceUrl: 'https://github.com/acme/tool/releases/download/v2.0.0/tool-2.0.0.zip' });
    expect((await verify(named.id)).json()).toMatchObject({ version: 'v2.0.0', fileSize: 31_000 });
  });

  it('GitHub: a source following the latest release follows it to new asset names; a chosen name stays chosen', async () => {
    git.github.set('acme/moving', [{ tag: 'v1', assets: [{ id: 1, name: 'moving-v1.zip', size: 100 }] }]);
    const following = await create({ provider: 'github', name: 'Following', sourceUrl: 'https://github.com/acme/moving' });
    const pinned = await create({ provider: 'github', name: 'Pinned', sourceUrl: 'https://github.com/acme/moving', fileName: 'moving-v1.zip' });
    expect((await verify(following.id)).json()).toMatchObject({ version: 'v1', fileName: 'moving-v1.zip', fileSize: 100 });
    expect((await verify(pinned.id)).json()).toMatchObject({ version: 'v1', fileName: 'moving-v1.zip' });

    git.github.set('acme/moving', [{ tag: 'v2', assets: [{ id: 2, name: 'moving-v2.zip', size: 200 }] }]);
    expect((await verify(following.id)).json()).toMatchObject({ version: 'v2', fileName: 'moving-v2.zip', fileSize: 200, lastVerifyError: null });
    expect((await verify(pinned.id)).json()).toMatchObject({
      lastVerifyError: 'Release v2 has no asset named moving-v1.zip (it has: moving-v2.zip)', fileName: 'moving-v1.zip', version: 'v1',
    });
  });

  it('GitHub: says what is wrong — a missing asset, no assets, a private repository without a token', async () => {
    const wrongName = await create({ provider: 'github', name: 'Mac', sourceUrl: 'https://github.com/acme/tool/releases/tag/v1.0.0', fileName: 'tool-mac.dmg' });
    expect((await verify(wrongName.id)).json().lastVerifyError).toBe('Release v1.0.0 has no asset named tool-mac.dmg (it has: tool-1.0.0.zip)');
    const bare = await create({ provider: 'github', name: 'Bare', sourceUrl: 'https://github.com/acme/bare' });
    expect((await verify(bare.id)).json().lastVerifyError).toBe('Release v0.1 has no assets');
    const privateNoToken = await create({ provider: 'github', name: 'Private', sourceUrl: 'https://github.com/acme/private/releases/tag/v1' });
    expect((await verify(privateNoToken.id)).json()).toMatchObject({
      lastVerifyError: 'Release v1 was not found (if the repository is private, store a token that can read it)', lastVerifiedAt: null,
    });
    git.failWith = { status: 403, headers: { 'x-ratelimit-remaining': '0' } };
    try {
      expect((await verify(bare.id)).json().lastVerifyError).toBe('GitHub rate limit reached; try again later');
    } finally {
      git.failWith = null;
    }
  });

  it('GitLab: the release by tag with PRIVATE-TOKEN; a numeric project id from metadata', async () => {
    const source = await create({ provider: 'gitlab', name: 'CLI', sourceUrl: 'https://gitlab.com/acme/tools/cli/-/releases/v3.1', token: 'glpat-cli-token' });
    expect((await verify(source.id)).json()).toMatchObject({ version: 'v3.1', lastVerifyError: null, fileName: 'cli-linux' });
    expect(git.requests[0]!.url).toBe('/gitlab/api/v4/projects/acme%2Ftools%2Fcli/releases/v3.1');
    expect(git.requests[0]!.headers['private-token']).toBe('glpat-cli-token');

    const byId = await create({ provider: 'gitlab', name: 'By id', sourceUrl: 'https://gitlab.com/acme/renamed', metadata: { projectId: 42, tag: 'v9' } });
    expect((await verify(byId.id)).json()).toMatchObject({ version: 'v9', lastVerifyError: null });
    expect(git.requests.at(-1)!.url).toBe('/gitlab/api/v4/projects/42/releases/v9');

    const noToken = await create({ provider: 'gitlab', name: 'No token', sourceUrl: 'https://gitlab.com/acme/tools/cli' });
    expect((await verify(noToken.id)).json().lastVerifyError).toBe('The project was not found (if the project is private, store a token that can read it)');
  });
});
