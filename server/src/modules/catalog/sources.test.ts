import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../../test/helpers.js';
import { closedPort } from '../../../test/support/net.js';
import { createProduct } from '../../../test/support/uploads.js';
import { productSources } from './tables.js';

const publicFields = ['id', 'provider', 'name', 'description', 'version', 'fileName', 'fileSize', 'sha256', 'isPrimary', 'isActive', 'lastVerifiedAt'];
const adminFields = [...publicFields, 'lastVerifyError', 'hasToken', 'createdAt', 'updatedAt'];

describe('product sources', () => {
  let dir: string;
  let t: TestApp & { dropDatabase(): Promise<void> };
  /** A second instance on the same database with the production host rules (no private hosts). */
  let strict: TestApp;
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let product: { id: string; slug: string };

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, app = t.app) =>
    app.inject({ method, url, headers: admin.headers, ...(payload ? { payload } : {}) });
  const create = (productId: string, body: Record<string, unknown>, app = t.app) =>
    call('POST', `/api/admin/products/${productId}/sources`, body, app);
  const github = (overrides: Record<string, unknown> = {}) => ({
    provider: 'github', name: 'Release', sourceUrl: 'https://github.com/acme/tool/releases/tag/v1.0.0', ...overrides,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mintreu-sources-'));
    // Nothing here may reach the real GitHub or GitLab: their APIs point at a closed local port.
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const apis = { GITHUB_API_URL: nowhere, GITLAB_API_URL: nowhere };
    t = await createTestApp({ env: { STORAGE_DIR: dir, ALLOW_PRIVATE_SOURCE_HOSTS: 'true', ...apis } });
    strict = await createTestApp({ url: t.database.url, env: { STORAGE_DIR: dir, ...apis } });
    admin = await asAdmin(t.app);
    product = await createProduct(t.app, admin.headers);
  });
  afterAll(async () => {
    await strict.close();
    await t.close();
    await t.dropDatabase();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a source of every provider, answering exactly the contract fields', async () => {
    const p = await createProduct(t.app, admin.headers);
    await t.app.storage.put(`catalog/${p.id}/tool-1.0.zip`, Readable.from(['0123456789']));
    const bodies = [
      github({ token: 'ghp_token', fileName: 'tool.zip', version: 'v1.0.0', description: 'Windows build', metadata: { note: 'x' } }),
      { provider: 'gitlab', name: 'GitLab', sourceUrl: 'https://gitlab.com/acme/tools/cli/-/releases/v3', token: 'glpat-token' },
      { provider: 'direct_url', name: 'Mirror', sourceUrl: 'https://downloads.example.com/tool.zip', fileSize: 2048 },
      { provider: 'local', name: 'Stored', sourceUrl: `catalog/${p.id}/tool-1.0.zip`, fileSize: 999 },
    ];
    const created = [];
    for (const body of bodies) {
      const response = await create(p.id, body);
      expect(response.statusCode, response.body).toBe(201);
      expect(Object.keys(response.json()).sort()).toEqual([...adminFields].sort());
      created.push(response.json());
    }
    expect(created[0]).toMatchObject({
      id: expect.stringMatching(/^src_/), provider: 'github', name: 'Release', description: 'Windows build', version: 'v1.0.0',
      fileName: 'tool.zip', hasToken: true, isPrimary: true, isActive: true, lastVerifiedAt: null, lastVerifyError: null, sha256: null,
    });
    expect(created[1]).toMatchObject({ provider: 'gitlab', hasToken: true, isPrimary: false });
    expect(created[2]).toMatchObject({ provider: 'direct_url', fileSize: 2048, hasToken: false });
    // A stored file's size comes from storage, not from what was typed.
    expect(created[3]).toMatchObject({ provider: 'local', fileSize: 10, fileName: 'tool-1.0.zip' });
  });

  it('stores the token encrypted with the key ring', async () => {
    const created = (await create(product.id, github({ name: 'Encrypted', token: 'ghp_plaintext_value' }))).json();
    const [row] = await t.app.db.select().from(productSources).where(eq(productSources.id, created.id));
    expect(row!.encryptedToken).not.toContain('ghp_plaintext_value');
    expect(t.app.keyRing.decrypt(row!.encryptedToken!)).toBe('ghp_plaintext_value');
  });

  it('keeps one primary: the first source becomes primary, a new primary takes the mark over', async () => {
    const p = await createProduct(t.app, admin.headers);
    const first = (await create(p.id, github({ name: 'B first' }))).json();
    expect(first.isPrimary).toBe(true);
    const second = (await create(p.id, github({ name: 'A second' }))).json();
    expect(second.isPrimary).toBe(false);
    const third = (await create(p.id, github({ name: 'C third', isPrimary: true }))).json();
    expect(third.isPrimary).toBe(true);
    let list = (await call('GET', `/api/admin/products/${p.id}/sources`)).json().data;
    expect(list.map((s: { name: string; isPrimary: boolean }) => [s.name, s.isPrimary])).toEqual([
      ['C third', true], ['A second', false], ['B first', false],
    ]);
    const patched = await call('PATCH', `/api/admin/products/${p.id}/sources/${second.id}`, { isPrimary: true });
    expect(patched.json().isPrimary).toBe(true);
    list = (await call('GET', `/api/admin/products/${p.id}/sources`)).json().data;
    expect(list.filter((s: { isPrimary: boolean }) => s.isPrimary).map((s: { id: string }) => s.id)).toEqual([second.id]);
  });

  it('ends with exactly one primary when many primaries are created at once', async () => {
    const p = await createProduct(t.app, admin.headers);
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => create(p.id, github({ name: `Race ${i}`, isPrimary: true }))));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    const list = (await call('GET', `/api/admin/products/${p.id}/sources`)).json().data;
    expect(list).toHaveLength(12);
    expect(list.filter((s: { isPrimary: boolean }) => s.isPrimary)).toHaveLength(1);
  });

  it('refuses bodies that do not fit the provider, naming the field', async () => {
    await t.app.storage.put('catalog/exists.bin', Readable.from(['x']));
    const cases: [Record<string, unknown>, string][] = [
      [{ provider: 'direct_url', name: 'x', sourceUrl: 'ftp://files.example.com/a.zip' }, 'body.sourceUrl'],
      [{ provider: 'direct_url', name: 'x', sourceUrl: 'not a url' }, 'body.sourceUrl'],
      [{ provider: 'github', name: 'x', sourceUrl: 'https://github.com/only-owner' }, 'body.sourceUrl'],
      [{ provider: 'gitlab', name: 'x', sourceUrl: 'https://gitlab.com/group' }, 'body.sourceUrl'],
      [{ provider: 'direct_url', name: 'x', sourceUrl: 'https://example.com/a.zip', token: 'tok' }, 'body.token'],
      [{ provider: 'local', name: 'x', sourceUrl: 'catalog/missing.bin' }, 'body.sourceUrl'],
      [{ provider: 'local', name: 'x', sourceUrl: '../../etc/passwd' }, 'body.sourceUrl'],
      [{ provider: 's3', name: 'x', sourceUrl: 'catalog/exists.bin' }, 'body.provider'],
      [{ provider: 'dropbox', name: 'x', sourceUrl: 'https://example.com/a' }, 'body.provider'],
      [{ provider: 'github', sourceUrl: 'https://github.com/a/b' }, 'body.name'],
      [{ ...github(), fileName: '../evil.sh' }, 'body.fileName'],
      [{ ...github(), fileSize: -1 }, 'body.fileSize'],
    ];
    for (const [body, path] of cases) {
      const response = await create(product.id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
      expect(response.json().error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(path);
    }
    const unknown = await create(product.id, { ...github(), downloadUrl: 'https://x' });
    expect(unknown.statusCode).toBe(400);
  });

  it('refuses source URLs on private, loopback and link-local hosts (production rules)', async () => {
    const urls = [
      'http://127.0.0.1:8080/tool.zip', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/tool.zip',
      'http://localhost:3000/api/admin', 'http://10.0.0.8/tool.zip', 'http://[::ffff:192.168.0.1]/x', 'http://2130706433/x',
    ];
    for (const sourceUrl of urls) {
      const response = await create(product.id, { provider: 'direct_url', name: 'internal', sourceUrl }, strict.app);
      expect(response.statusCode, sourceUrl).toBe(400);
      expect(response.json().error.details).toEqual([{ path: 'body.sourceUrl', message: expect.stringMatching(/must not point at (a private|localhost)/) }]);
    }
    const repo = await create(product.id, { provider: 'github', name: 'internal', sourceUrl: 'http://192.168.1.10/acme/tool' }, strict.app);
    expect(repo.statusCode).toBe(400);
    const existing = (await create(product.id, github({ name: 'To be moved' }))).json();
    const moved = await call('PATCH', `/api/admin/products/${product.id}/sources/${existing.id}`, { provider: 'direct_url', sourceUrl: 'http://172.16.0.1/x' }, strict.app);
    expect(moved.statusCode).toBe(400);
  });

  it('updates fields, sets and removes the token, and forgets verification when the target changes', async () => {
    const created = (await create(product.id, github({ name: 'Editable' }))).json();
    const url = `/api/admin/products/${product.id}/sources/${created.id}`;
    await t.app.db.update(productSources).set({ lastVerifiedAt: new Date(), sha256: 'a'.repeat(64) }).where(eq(productSources.id, created.id));

    const renamed = await call('PATCH', url, { name: 'Renamed', description: 'Now described', isActive: false, token: 'ghp_new' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Renamed', description: 'Now described', isActive: false, hasToken: true, lastVerifiedAt: expect.any(String) });

    const noToken = await call('PATCH', url, { token: null });
    expect(noToken.json().hasToken).toBe(false);

    const retargeted = await call('PATCH', url, { sourceUrl: 'https://github.com/acme/other' });
    expect(retargeted.json()).toMatchObject({ lastVerifiedAt: null, sha256: null });

    expect((await call('PATCH', url, {})).statusCode).toBe(400);
    expect((await call('PATCH', url, { provider: 'direct_url', sourceUrl: 'https://x.example.com/a', token: 'tok' })).statusCode).toBe(400);
  });

  it('audits every change without the URL or token', async () => {
    const created = (await create(product.id, github({ name: 'Audited', token: 'ghp_audit_token', sourceUrl: 'https://github.com/acme/audit-repo' }))).json();
    await call('PATCH', `/api/admin/products/${product.id}/sources/${created.id}`, { token: 'ghp_audit_token_2', name: 'Audited 2' });
    await call('DELETE', `/api/admin/products/${product.id}/sources/${created.id}`);
    const audit = await call('GET', `/api/admin/audit?entityType=source&entityId=${created.id}`);
    const events = audit.json().data;
    expect(events.map((e: { action: string }) => e.action).sort()).toEqual(['source.create', 'source.delete', 'source.update']);
    const update = events.find((e: { action: string }) => e.action === 'source.update');
    expect(update).toMatchObject({ actor: { id: admin.userId }, before: { name: 'Audited' }, after: { name: 'Audited 2', hasToken: true, secretsChanged: ['token'] } });
    expect(audit.body).not.toContain('ghp_audit_token');
    expect(audit.body).not.toContain('audit-repo');
  });

  it('deletes a source', async () => {
    const created = (await create(product.id, github({ name: 'Doomed' }))).json();
    const url = `/api/admin/products/${product.id}/sources/${created.id}`;
    expect((await call('DELETE', url)).statusCode).toBe(204);
    expect((await call('GET', url)).statusCode).toBe(404);
    expect((await call('DELETE', url)).statusCode).toBe(404);
  });

  it('answers 404 for a missing product, and for a source asked for under another product', async () => {
    expect((await call('GET', '/api/admin/products/prd_missing/sources')).statusCode).toBe(404);
    expect((await create('prd_missing', github())).statusCode).toBe(404);
    const other = await createProduct(t.app, admin.headers);
    const created = (await create(product.id, github({ name: 'Mine' }))).json();
    for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/verify']] as const) {
      const response = await call(method, `/api/admin/products/${other.id}/sources/${created.id}${suffix}`, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(response.statusCode, `${method} ${suffix}`).toBe(404);
    }
  });

  it('lets only admins manage sources', async () => {
    const customer = await signUp(t.app);
    const routes: ['GET' | 'POST' | 'PATCH' | 'DELETE', string][] = [
      ['GET', `/api/admin/products/${product.id}/sources`],
      ['POST', `/api/admin/products/${product.id}/sources`],
      ['PATCH', `/api/admin/products/${product.id}/sources/src_x`],
      ['DELETE', `/api/admin/products/${product.id}/sources/src_x`],
      ['POST', `/api/admin/products/${product.id}/sources/src_x/verify`],
      ['POST', `/api/admin/products/${product.id}/sources/upload`],
    ];
    for (const [method, url] of routes) {
      expect((await t.app.inject({ method, url, payload: github() })).statusCode, url).toBe(401);
      expect((await t.app.inject({ method, url, headers: customer.headers, payload: github() })).statusCode, url).toBe(403);
    }
  });

  it('lists a published product\'s active sources publicly, primary first then by name, without secrets', async () => {
    const p = await createProduct(t.app, admin.headers);
    await create(p.id, github({ name: 'Zeta' }));
    await create(p.id, github({ name: 'Alpha' }));
    await create(p.id, github({ name: 'Main', isPrimary: true }));
    await create(p.id, github({ name: 'Hidden', isActive: false }));
    const response = await t.app.inject({ method: 'GET', url: `/api/products/${p.slug}/sources` });
    expect(response.statusCode).toBe(200);
    const { data } = response.json();
    expect(data.map((s: { name: string }) => s.name)).toEqual(['Main', 'Alpha', 'Zeta']);
    for (const s of data) expect(Object.keys(s).sort()).toEqual([...publicFields].sort());

    const draft = await createProduct(t.app, admin.headers, { status: 'draft' });
    await create(draft.id, github());
    expect((await t.app.inject({ method: 'GET', url: `/api/products/${draft.slug}/sources` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/products/${draft.slug}/sources`, headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/products/no-such-product/sources' })).statusCode).toBe(404);
  });

  it('never returns a source URL or token: every response body is checked', async () => {
    const canaryHost = 'canary-host-7f3a9c.invalid';
    const canaryPath = 'canary-path-d41e';
    const canaryToken = 'ghp_canaryTOKEN_5b1e77';
    const p = await createProduct(t.app, admin.headers);
    const gh = (await create(p.id, { provider: 'github', name: 'Canary GH', sourceUrl: `https://github.com/canary-owner-91/${canaryPath}-repo`, token: canaryToken })).json();
    const direct = (await create(p.id, { provider: 'direct_url', name: 'Canary URL', sourceUrl: `https://${canaryHost}/${canaryPath}/file.zip?sig=${canaryToken}` })).json();
    const bodies: [string, string][] = [];
    const record = async (label: string, response: Promise<{ body: string; statusCode: number }>) => {
      const r = await response;
      expect(r.statusCode, label).toBeLessThan(300);
      bodies.push([label, r.body]);
    };
    await record('admin list', call('GET', `/api/admin/products/${p.id}/sources`));
    await record('admin get', call('GET', `/api/admin/products/${p.id}/sources/${gh.id}`));
    await record('admin patch', call('PATCH', `/api/admin/products/${p.id}/sources/${direct.id}`, { name: 'Canary URL 2' }));
    await record('verify github (fails: no API here)', call('POST', `/api/admin/products/${p.id}/sources/${gh.id}/verify`));
    await record('verify direct (fails: unresolvable)', call('POST', `/api/admin/products/${p.id}/sources/${direct.id}/verify`));
    await record('public list', t.app.inject({ method: 'GET', url: `/api/products/${p.slug}/sources` }));
    await record('admin product', call('GET', `/api/admin/products/${p.id}`));
    await record('public product', t.app.inject({ method: 'GET', url: `/api/products/${p.slug}` }));
    await record('audit log', call('GET', '/api/admin/audit?entityType=source'));
    await record('openapi', t.app.inject({ method: 'GET', url: '/api/openapi.json' }));
    for (const [label, body] of bodies) {
      for (const secret of [canaryHost, canaryPath, canaryToken, 'canary-owner-91']) {
        expect(body.includes(secret), `${label} contains ${secret}`).toBe(false);
      }
    }
    // The verify failures are recorded, in words without the URL.
    const after = (await call('GET', `/api/admin/products/${p.id}/sources/${direct.id}`)).json();
    expect(after.lastVerifyError).toBe('The host could not be resolved');
  });

  it('documents every source route in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/api/admin/products/{id}/sources', '/api/admin/products/{id}/sources/{sourceId}', '/api/admin/products/{id}/sources/{sourceId}/verify',
      '/api/admin/products/{id}/sources/upload', '/api/products/{slug}/sources', '/api/admin/media', '/media/{*}',
    ]));
    const upload = doc.paths['/api/admin/products/{id}/sources/upload'].post;
    expect(upload.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
  });
});
