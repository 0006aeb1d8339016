import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import inject from 'light-my-request';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const hopByHop = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date', 'x-powered-by', 'content-encoding']);

export interface CachedPage {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Entry extends CachedPage {
  storedAt: number;
  generation: number;
  /** Compressed once when stored, so every hit is served compressed at no cost. */
  gzip: Buffer;
  brotli: Buffer;
}

export interface PageCacheOptions {
  /** Served as is for this long. */
  freshMs: number;
  /** After that, served while one background render replaces it (stale-while-revalidate). */
  staleMs: number;
  maxEntries: number;
  /** Changes whenever the catalogue or a kill switch changes on any instance: older pages are dropped. */
  generation: () => number;
}

/**
 * Server-rendered storefront pages for anonymous visitors, kept in memory. Pages for signed-in
 * people are never cached (they show the person's menu). A page is rendered through the web
 * listener in memory, stored only when it is a plain 200 HTML page that sets no cookie, and
 * dropped as soon as anything it shows may have changed. See docs/decisions/0005-page-cache.md.
 */
export function createPageCache(render: Listener, options: PageCacheOptions) {
  const entries = new Map<string, Entry>();
  const refreshing = new Set<string>();

  async function renderPage(url: string, headers: Record<string, string>): Promise<CachedPage & { cacheable: boolean }> {
    const response = await inject(render, { method: 'GET', url, headers });
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      // Framing and connection headers belong to the response that rendered the page, not to the
      // ones that replay it (a copied `transfer-encoding` beside Fastify's `content-length` is invalid HTTP).
      if (value === undefined || hopByHop.has(name)) continue;
      out[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const cacheable =
      response.statusCode === 200 && String(response.headers['content-type'] ?? '').startsWith('text/html') && !response.headers['set-cookie'];
    return { status: response.statusCode, headers: out, body: response.body, cacheable };
  }

  function store(url: string, page: CachedPage) {
    entries.delete(url);
    const body = Buffer.from(page.body);
    entries.set(url, {
      ...page,
      storedAt: Date.now(),
      generation: options.generation(),
      gzip: gzipSync(body, { level: 6 }),
      brotli: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
    });
    if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
  }

  function refreshInBackground(url: string, headers: Record<string, string>) {
    if (refreshing.has(url)) return;
    refreshing.add(url);
    renderPage(url, headers)
      .then((page) => (page.cacheable ? store(url, page) : entries.delete(url)))
      .catch(() => entries.delete(url))
      .finally(() => refreshing.delete(url));
  }

  return {
    /** The page for `url`, from memory when possible; `state` says which (for the X-Cache header). */
    async get(url: string, headers: Record<string, string>): Promise<CachedPage & { state: 'HIT' | 'STALE' | 'MISS'; gzip?: Buffer; brotli?: Buffer }> {
      const entry = entries.get(url);
      if (entry && entry.generation === options.generation()) {
        const age = Date.now() - entry.storedAt;
        if (age < options.freshMs) return { ...entry, state: 'HIT' };
        if (age < options.freshMs + options.staleMs) {
          refreshInBackground(url, headers);
          return { ...entry, state: 'STALE' };
        }
      }
      const page = await renderPage(url, headers);
      if (!page.cacheable) {
        entries.delete(url);
        return { ...page, state: 'MISS' };
      }
      store(url, page);
      return { ...entries.get(url)!, state: 'MISS' };
    },
    get size() {
      return entries.size;
    },
  };
}
