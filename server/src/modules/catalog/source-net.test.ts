import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../../test/support/net.js';
import { assertAllowedUrl, guardedLookup, isForbiddenAddress, type HostPolicy } from './source-net.js';
import { probeUrl } from './source-probe.js';

describe('which addresses a source URL may reach', () => {
  it('forbids loopback, private, link-local, CGNAT, multicast and reserved addresses, in every spelling', () => {
    const forbidden = [
      '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
      '0.0.0.0', '224.0.0.1', '255.255.255.255', '198.18.0.1', '192.0.2.10',
      '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1',
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::127.0.0.1', '64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1',
      '[::1]', 'not-an-ip',
    ];
    for (const address of forbidden) expect(isForbiddenAddress(address), address).toBe(true);
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1']) {
      expect(isForbiddenAddress(address), address).toBe(false);
    }
  });

  const strict: HostPolicy = { allowPrivate: false, resolve: async () => ['93.184.216.34'] };

  it('refuses literal private addresses however the URL writes them', async () => {
    for (const url of [
      'http://127.0.0.1/file.zip', 'http://127.1/', 'http://0x7f.0.0.1/', 'http://2130706433/', 'http://017700000001/',
      'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/', 'https://10.0.0.5/a',
      'http://[fe80::1]/', 'http://0.0.0.0:3000/',
    ]) {
      await expect(assertAllowedUrl(url, strict), url).rejects.toThrow('must not point at a private, loopback or link-local address');
    }
  });

  it('refuses localhost by name, other schemes, and nonsense', async () => {
    for (const url of ['http://localhost/', 'http://LOCALHOST./x', 'http://api.localhost/', 'https://localhost:443/']) {
      await expect(assertAllowedUrl(url, strict), url).rejects.toThrow('must not point at localhost');
    }
    for (const url of ['file:///etc/passwd', 'ftp://files.example.com/a', 'gopher://x/', 'javascript:alert(1)']) {
      await expect(assertAllowedUrl(url, strict), url).rejects.toThrow('must be an http(s) URL');
    }
    await expect(assertAllowedUrl('not a url', strict)).rejects.toThrow('must be an absolute http(s) URL');
  });

  it('resolves host names and refuses them if any address is private', async () => {
    const policy = (addresses: string[]): HostPolicy => ({ allowPrivate: false, resolve: async () => addresses });
    await expect(assertAllowedUrl('https://files.example.com/a.zip', policy(['93.184.216.34', '2606:2800:220:1::1']))).resolves.toBeInstanceOf(URL);
    await expect(assertAllowedUrl('https://files.example.com/a.zip', policy(['93.184.216.34', '10.0.0.7'])))
      .rejects.toThrow('must not point at a private, loopback or link-local address');
    await expect(assertAllowedUrl('https://rebind.example.com/', policy(['::ffff:169.254.169.254']))).rejects.toThrow('private');
    await expect(assertAllowedUrl('https://nowhere.example.com/', { allowPrivate: false, resolve: async () => { throw new Error('ENOTFOUND'); } }))
      .rejects.toThrow('names a host that cannot be resolved');
    await expect(assertAllowedUrl('https://empty.example.com/', policy([]))).rejects.toThrow('cannot be resolved');
  });

  it('lets ALLOW_PRIVATE_SOURCE_HOSTS through private hosts, but still only http(s)', async () => {
    const open: HostPolicy = { allowPrivate: true };
    await expect(assertAllowedUrl('http://127.0.0.1:9/', open)).resolves.toBeInstanceOf(URL);
    await expect(assertAllowedUrl('http://localhost/', open)).resolves.toBeInstanceOf(URL);
    await expect(assertAllowedUrl('file:///etc/passwd', open)).rejects.toThrow('must be an http(s) URL');
  });

  it('checks addresses again at connect time (DNS rebinding)', async () => {
    const outcome = await new Promise<{ code?: string }>((resolve) => {
      guardedLookup({ allowPrivate: false })('localhost', { all: true }, (error) => resolve({ code: (error as NodeJS.ErrnoException | null)?.code }));
    });
    expect(outcome.code).toBe('EFORBIDDENHOST');
  });
});

describe('probing a direct URL (HEAD, redirects re-checked)', () => {
  let server: Server;
  let base: string;
  const open: HostPolicy = { allowPrivate: true };
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      const url = new URL(req.url ?? '/', 'http://x');
      const redirect = (location: string) => {
        res.writeHead(302, { location });
        res.end();
      };
      if (url.pathname === '/file.zip') {
        res.writeHead(200, { 'content-length': '12345', 'content-type': 'application/zip' });
        return res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(12345));
      }
      if (url.pathname === '/no-head') {
        if (req.method === 'HEAD') {
          res.writeHead(405);
          return res.end();
        }
        res.writeHead(206, { 'content-range': `bytes 0-0/987654`, 'content-length': '1' });
        return res.end('x');
      }
      if (url.pathname.startsWith('/hop/')) {
        const left = Number(url.pathname.split('/')[2]);
        return redirect(left === 0 ? '/file.zip' : `/hop/${left - 1}`);
      }
      if (url.pathname === '/to-metadata') return redirect('http://169.254.169.254/latest/meta-data/');
      if (url.pathname === '/to-other-loopback') return redirect(`http://127.0.0.2:${(server.address() as { port: number }).port}/file.zip`);
      if (url.pathname === '/to-localhost') return redirect('http://localhost/secret');
      if (url.pathname === '/to-file') return redirect('file:///etc/passwd');
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads the size from a HEAD', async () => {
    expect(await probeUrl(`${base}/file.zip`, open)).toEqual({ size: 12345, contentType: 'application/zip' });
    expect(hits.at(-1)).toBe('HEAD /file.zip');
  });

  it('falls back to a one-byte ranged GET when HEAD is refused', async () => {
    expect((await probeUrl(`${base}/no-head`, open)).size).toBe(987654);
  });

  it('follows up to three redirects, and no more', async () => {
    expect((await probeUrl(`${base}/hop/2`, open)).size).toBe(12345); // 3 redirects
    await expect(probeUrl(`${base}/hop/3`, open)).rejects.toThrow('more than 3 redirects');
  });

  it('re-checks every hop: a permitted host may not redirect to a forbidden one', async () => {
    // Only 127.0.0.1 (the test server) is let through; everything else keeps the real rules.
    const narrow: HostPolicy = { allowPrivate: false, forbidden: (address) => address !== '127.0.0.1' && isForbiddenAddress(address) };
    expect((await probeUrl(`${base}/file.zip`, narrow)).size).toBe(12345);
    await expect(probeUrl(`${base}/to-metadata`, narrow)).rejects.toThrow('a redirect must not point at a private, loopback or link-local address');
    await expect(probeUrl(`${base}/to-other-loopback`, narrow)).rejects.toThrow('a redirect must not point at a private');
    await expect(probeUrl(`${base}/to-localhost`, narrow)).rejects.toThrow('a redirect must not point at localhost');
    await expect(probeUrl(`${base}/to-file`, narrow)).rejects.toThrow('a redirect must be an http(s) URL');
    // With the real rules the test server itself is off limits.
    await expect(probeUrl(`${base}/file.zip`, { allowPrivate: false })).rejects.toThrow('the URL must not point at a private');
  });

  it('says what failed without repeating the URL', async () => {
    const port = await closedPort();
    const refused = await probeUrl(`http://127.0.0.1:${port}/secret-path`, open).catch((e: Error) => e.message);
    expect(refused).toBe('the connection was refused');
    const missing = await probeUrl(`${base}/secret-missing`, open).catch((e: Error) => e.message);
    expect(missing).toBe('the server answered 404');
    const unresolvable = await probeUrl('http://secret-host.invalid/x', open).catch((e: Error) => e.message);
    expect(unresolvable).toBe('the host could not be resolved');
  });
});
