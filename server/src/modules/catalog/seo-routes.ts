import type { FastifyInstance } from 'fastify';
import { publishedSlugs } from './products.js';

const escapeXml = (value: string) => value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** sitemap.xml and robots.txt, built from the catalogue and PUBLIC_URL. */
export async function seoRoutes(app: FastifyInstance) {
  const base = app.env.PUBLIC_URL.replace(/\/$/, '');

  app.get('/sitemap.xml', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const pages = [
      { loc: `${base}/`, lastmod: null as Date | null },
      { loc: `${base}/products`, lastmod: null },
      ...(await publishedSlugs(app.db)).map((p) => ({ loc: `${base}/products/${encodeURIComponent(p.slug)}`, lastmod: p.updatedAt })),
    ];
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
      pages.map((p) => `  <url><loc>${escapeXml(p.loc)}</loc>${p.lastmod ? `<lastmod>${p.lastmod.toISOString()}</lastmod>` : ''}</url>`).join('\n') +
      '\n</urlset>\n';
    return reply.type('application/xml; charset=utf-8').header('cache-control', 'public, max-age=300').send(body);
  });

  app.get('/robots.txt', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(`User-agent: *\nDisallow: /account\nDisallow: /admin\nDisallow: /api/\nAllow: /api/docs\n\nSitemap: ${base}/sitemap.xml\n`),
  );
}
