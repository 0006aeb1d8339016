const apiInternalBase = process.env.NUXT_API_INTERNAL_BASE || 'http://127.0.0.1:3000'

// Nuxt is the web front of Mintreu: server-rendered storefront, customer dashboard and admin panel.
// The API is Fastify's (/api/**); in production Fastify mounts this app's node listener for every
// other path, so nothing here may fetch from the internet or implement business logic in Nitro.
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  modules: ['@nuxt/ui'],
  css: ['~/assets/css/main.css'],
  devtools: { enabled: false },
  telemetry: false,

  app: {
    head: {
      htmlAttrs: { lang: 'en' },
      title: 'Mintreu',
      meta: [{ name: 'description', content: 'Software, templates, assets and APIs — licensed and delivered by Mintreu.' }],
      link: [{ rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }],
    },
  },

  runtimeConfig: {
    // Absolute base for API calls made during server-side rendering (a relative /api/... would stay inside Nitro).
    apiInternalBase, // NUXT_API_INTERNAL_BASE at run time
    public: {
      // Absolute origin for canonical links, og:url and JSON-LD (NUXT_PUBLIC_SITE_URL; the server sets it).
      siteUrl: 'http://localhost:3000',
    },
  },

  ui: { fonts: false },

  // cssnano 8 (Nuxt's default CSS minifier) needs Node 22 (Set.prototype.difference); we run on Node 20.
  // Vite still minifies the CSS with esbuild.
  postcss: { plugins: { cssnano: false } },

  icon: {
    serverBundle: { collections: ['lucide'] },
    clientBundle: { scan: true },
    fallbackToApi: false,
    localApiEndpoint: '/_nuxt_icon', // not under /api, which belongs to Fastify
  },

  nitro: {
    preset: 'node-listener',
    // The listener serves its own /_nuxt assets and public files; Fastify just hands it every non-API request.
    serveStatic: true,
    // Pre-compress /_nuxt assets at build time; the listener serves the .br/.gz twin the browser accepts.
    compressPublicAssets: { gzip: true, brotli: true },
    // `nuxt dev` (port 3001) forwards /api to the Fastify dev server so the browser stays same-origin.
    devProxy: {
      '/api': { target: `${apiInternalBase}/api`, changeOrigin: false },
      '/media': { target: `${apiInternalBase}/media`, changeOrigin: false },
    },
  },

  typescript: { strict: true },
})
