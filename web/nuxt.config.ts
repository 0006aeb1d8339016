const apiInternalBase = process.env.NUXT_API_INTERNAL_BASE || 'http://127.0.0.1:3000'

// Nuxt is the web front of Mintreu: server-rendered storefront, customer dashboard and admin panel.
// The API is Fastify's (/api/**); in production Fastify mounts this app's node listener for every
// other path, so nothing here may fetch from the internet or implement business logic in Nitro.
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  modules: ['@nuxt/ui'],
  css: ['~/assets/css/main.css'],
  devtools: { enabled: false },
  // The stylesheet goes inline in each page's <head> (~15 KB compressed): no render-blocking request before the first
  // paint. Nuxt UI's component detection keeps it to the components the app uses.
  features: { inlineStyles: true },
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

  ui: { fonts: false, experimental: { componentDetection: true } },

  // cssnano 8 (Nuxt's default CSS minifier) needs Node 22 (Set.prototype.difference); we run on Node 20.
  // Vite still minifies the CSS with esbuild.
  postcss: { plugins: { cssnano: false } },

  icon: {
    // Inline <svg> rather than CSS masks: every distinct mask icon is an SVG document the browser builds during the
    // first style pass (tens of milliseconds on a phone before anything paints), and the CSS mode also scans every
    // stylesheet rule in the browser. main.css keeps the icons on the text baseline as before.
    mode: 'svg',
    serverBundle: { collections: ['lucide'] },
    // Icons are inline SVG; those a page server-renders travel in its payload. The client bundle (in every page's
    // entry chunk) holds Nuxt UI's own icons plus the storefront's, so moving between storefront pages never waits
    // for one; account and admin pages fetch theirs from the local endpoint below on first client-side use.
    clientBundle: {
      scan: {
        globInclude: [
          'app/pages/index.vue', 'app/pages/products/**', 'app/error.vue', 'app/layouts/storefront.vue',
          'app/components/{catalog,common,home,site}/**', 'app/components/system/KillSwitchBanner.vue',
          'app/components/downloads/DownloadButton.vue', 'app/composables/useCatalog.ts',
        ],
      },
    },
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

  experimental: {
    // Prefetch a link's page when it is hovered or focused, not as soon as it scrolls into view: on a phone, visibility
    // prefetching downloads and runs the code of every page linked from the screen (the sign-up form, with its
    // validator) while the visitor is still waiting for this one.
    defaults: { nuxtLink: { prefetchOn: { visibility: false, interaction: true } } },
  },

  hooks: {
    // No <link rel="prefetch"> for every lazily imported chunk (all pages, admin included, and lazy components):
    // on a phone they compete with the page's own images and scripts. Links prefetch their page on interaction.
    'build:manifest': (manifest) => {
      for (const chunk of Object.values(manifest)) chunk.prefetch = false
    },
  },

  vite: {
    build: {
      rollupOptions: {
        output: {
          // Merge chunks under ~4 KB that have no side effects when they run (component and composable modules) into
          // chunks loaded under similar conditions. Without it a storefront page preloads 23–28 scripts, most under
          // 1 KB compressed; on HTTP/1.1 (six connections, one request at a time each) every one costs a round trip,
          // and Lighthouse's simulated slow 4G counts them all before the first paint (bench/README.md, Lighthouse).
          // Measured: 28 → 21–22 scripts on the home and product pages, 23 → 18 on the catalogue, for 1–2.5 KB more
          // compressed JavaScript; Lighthouse performance +1–2 on all three. Rollup only merges side-effect-free chunks,
          // so execution order is unchanged. Rollup-only: Vite 8 (Rolldown) drops the option, and the build then splits
          // as before.
          experimentalMinChunkSize: 4096,
        },
      },
    },
  },

  typescript: { strict: true },
})
