import type { BillingCycle, LicenseType, ProductType } from '@mintreu/contracts';

export interface DemoProduct {
  title: string;
  type: ProductType;
  price: number;
  shortDescription: string;
  description: string;
  content?: string;
  categories: string[];
  version?: string;
  featured?: boolean;
  requiresAuth?: boolean;
  defaultLicense?: LicenseType;
  downloads: number;
  rating: number;
  githubUrl?: string;
  demoUrl?: string;
  documentationUrl?: string;
  apiConfig?: Record<string, unknown>;
  /** Size of the generated archive in MB (files for downloadable, freebie and demo products). */
  archiveMb?: number;
  plans?: { slug: string; name: string; price: number; billingCycle: BillingCycle; perMinute: number | null; perDay: number | null; perMonth: number | null; features: string[]; popular?: boolean }[];
}

/** Category tree: [name, parent name]. */
export const demoCategories: [string, string | null][] = [
  ['Frontend', null], ['Vue', 'Frontend'], ['React', 'Frontend'], ['Fullstack', null], ['Backend', null],
  ['Design', null], ['WordPress', null], ['Games', null], ['APIs', null],
];

const changelog = (version: string) =>
  `## Changelog\n\n### ${version}\n- Faster first load\n- Dark mode everywhere\n\n### 1.0.0\n- First release`;

export const demoProducts: DemoProduct[] = [
  {
    title: 'Vue 3 Admin Dashboard', type: 'downloadable', price: 249900, categories: ['Vue'], version: '2.4.0', featured: true,
    shortDescription: 'A complete admin dashboard for Vue 3 with charts, tables, auth screens and dark mode.',
    description: 'Ship your back office in days, not months. **40+ pages**, a typed API layer and a component library built on Vue 3 and Vite.\n\n- Charts, data tables with server-side paging, and forms with validation\n- Auth screens: sign-in, sign-up, password reset, 2FA\n- Light and dark themes, RTL ready',
    content: `## What you get\n\n| Area | Pages |\n|---|---|\n| Dashboards | 4 |\n| Apps (mail, chat, kanban) | 6 |\n| Auth | 8 |\n\n${changelog('2.4.0')}`,
    downloads: 1840, rating: 4.8, archiveMb: 3, demoUrl: 'https://demo.example.com/vue-admin', documentationUrl: 'https://docs.example.com/vue-admin',
  },
  {
    title: 'Next.js SaaS Boilerplate', type: 'downloadable', price: 999900, categories: ['React', 'Fullstack'], version: '3.1.2', featured: true,
    requiresAuth: true, defaultLicense: 'commercial_team',
    shortDescription: 'Auth, billing, teams and an admin panel wired together so you can start on your product.',
    description: 'Everything a SaaS needs before its first feature: **authentication**, subscriptions, team invitations, an admin panel and transactional email.',
    content: `## Stack\n\n- Next.js App Router, TypeScript, PostgreSQL\n- Stripe and Razorpay billing\n- Playwright tests\n\n${changelog('3.1.2')}`,
    downloads: 920, rating: 4.7, archiveMb: 4,
  },
  {
    title: 'Premium UI Kit for Figma', type: 'downloadable', price: 149900, categories: ['Design'], version: '1.8.0',
    shortDescription: '1,200 components and 60 templates with auto-layout and variables.',
    description: 'A design system you can hand to developers: components built with **auto-layout**, colour and spacing variables, and light/dark modes.',
    downloads: 610, rating: 4.6, archiveMb: 3,
  },
  {
    title: 'WordPress Shop Manager Pro', type: 'downloadable', price: 499900, categories: ['WordPress'], version: '5.0.1',
    shortDescription: 'Bulk-edit products, stock and prices in WooCommerce from one fast screen.',
    description: 'Manage thousands of WooCommerce products from a spreadsheet-like editor. Bulk price changes, stock sync and CSV import.',
    downloads: 430, rating: 4.4, archiveMb: 2,
  },
  {
    title: '2048 Game Premium', type: 'downloadable', price: 9900, categories: ['Games'], version: '1.2.0',
    shortDescription: 'The classic puzzle with themes, undo and a leaderboard — source code included.',
    description: 'A polished 2048 with six themes, undo, animations at 60 fps and a self-hosted leaderboard.',
    downloads: 2210, rating: 4.3, archiveMb: 2,
  },
  {
    title: 'Icon Pack 500', type: 'freebie', price: 0, categories: ['Design'], version: '1.0.0', featured: true, defaultLicense: 'free_attribution',
    shortDescription: '500 outline icons in SVG and PNG. Free with attribution.',
    description: 'Five hundred consistent 24 px outline icons, each as SVG and PNG. Free for any project — please credit **Mintreu**.',
    downloads: 8400, rating: 4.9, archiveMb: 2, githubUrl: 'https://github.com/mintreu/icon-pack-500',
  },
  {
    title: 'PHP Validation Library', type: 'freebie', price: 0, categories: ['Backend'], version: '0.9.3',
    shortDescription: 'Small, dependency-free input validation for PHP 8 with readable error messages.',
    description: 'Validate arrays and request bodies with fluent rules. No dependencies, PHP 8.1+, 100% test coverage.',
    downloads: 3100, rating: 4.5, archiveMb: 1, githubUrl: 'https://github.com/mintreu/php-validation',
  },
  {
    title: 'Flappy Bird Clone', type: 'freebie', price: 0, categories: ['Games'], version: '1.0.4',
    shortDescription: 'A tiny HTML5 canvas game to learn from — under 300 lines of code.',
    description: 'Learn game loops, collision detection and sprite animation with a readable HTML5 canvas game.',
    downloads: 5200, rating: 4.1, archiveMb: 1, githubUrl: 'https://github.com/mintreu/flappy-clone',
  },
  {
    title: 'Nuxt Storefront Starter', type: 'demo', price: 0, categories: ['Vue', 'Fullstack'], version: '0.8.0',
    shortDescription: 'Try the full storefront for 30 days: catalogue, cart and checkout pages.',
    description: 'A 30-day trial of our Nuxt storefront. Every page works; the trial build shows a small banner.',
    downloads: 760, rating: 4.2, archiveMb: 2,
  },
  {
    title: 'Realtime Analytics Dashboard', type: 'demo', price: 0, categories: ['React'], version: '1.3.0',
    shortDescription: 'A 30-day trial of live charts over WebSockets with a Node backend.',
    description: 'Stream events into live charts. The trial includes the full source with a 30-day licence.',
    downloads: 340, rating: 4.0, archiveMb: 2,
  },
  {
    title: 'PulseCart Commerce API', type: 'api_service', price: 0, categories: ['APIs'], featured: true, requiresAuth: true,
    shortDescription: 'Products, carts, orders and payments behind one REST API for your storefronts.',
    description: 'A headless commerce backend: catalogue, carts, orders, coupons and payment webhooks, with **idempotent** writes.',
    content: '## Endpoints\n\n- `GET /products`\n- `POST /carts`\n- `POST /orders`\n\nEvery request needs an API key in `Authorization: Bearer …`.',
    downloads: 0, rating: 4.7, apiConfig: { baseUrl: '/api/demo-upstream/pulsecart', auth: 'bearer', supportsWebhooks: true },
    documentationUrl: 'https://docs.example.com/pulsecart',
    plans: [
      { slug: 'launch', name: 'Launch', price: 9900, billingCycle: 'monthly', perMinute: 120, perDay: 6000, perMonth: 120000, features: ['1 site', 'Email support'] },
      { slug: 'growth', name: 'Growth', price: 24900, billingCycle: 'monthly', perMinute: 360, perDay: 25000, perMonth: 500000, features: ['3 sites', 'Webhooks', 'Priority support'], popular: true },
      { slug: 'scale', name: 'Scale', price: 59900, billingCycle: 'monthly', perMinute: 1200, perDay: 100000, perMonth: 2000000, features: ['10 sites', 'Webhooks', 'SLA'] },
    ],
  },
  {
    title: 'HelpdeskFlow Support API', type: 'api_service', price: 0, categories: ['APIs'], requiresAuth: true,
    shortDescription: 'Tickets, replies and SLAs as an API for your own support widgets.',
    description: 'Create tickets, thread replies and track SLAs from any app. Pairs with our helpdesk frontends.',
    downloads: 0, rating: 4.5, apiConfig: { baseUrl: '/api/demo-upstream/helpdesk', auth: 'bearer' },
    plans: [
      { slug: 'starter', name: 'Starter', price: 6900, billingCycle: 'monthly', perMinute: 100, perDay: 5000, perMonth: 100000, features: ['1 site'] },
      { slug: 'pro', name: 'Pro', price: 14900, billingCycle: 'monthly', perMinute: 300, perDay: 20000, perMonth: 400000, features: ['3 sites', 'Webhooks'], popular: true },
      { slug: 'business', name: 'Business', price: 29900, billingCycle: 'monthly', perMinute: 1000, perDay: 70000, perMonth: 1500000, features: ['10 sites', 'SLA'] },
    ],
  },
  {
    title: 'GeoIP Lookup API', type: 'api_referral', price: 0, categories: ['APIs'],
    shortDescription: 'Country, city and ISP for any IP address, billed through Mintreu.',
    description: 'A partner geolocation API resold through Mintreu: one bill, one key, the same limits dashboard.',
    downloads: 0, rating: 4.2, apiConfig: { baseUrl: 'https://geoip-partner.invalid' },
    plans: [
      { slug: 'free', name: 'Free', price: 0, billingCycle: 'monthly', perMinute: 10, perDay: 1000, perMonth: 10000, features: ['Country lookups'] },
      { slug: 'pro', name: 'Pro', price: 49900, billingCycle: 'yearly', perMinute: 600, perDay: null, perMonth: 1000000, features: ['City and ISP', 'Bulk endpoint'], popular: true },
    ],
  },
];
