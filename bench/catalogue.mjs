// A generated catalogue for the search benchmark: realistic, varied product titles and descriptions built
// from word lists with a fixed-seed PRNG, so every run creates the same products and the search word matches
// the same number of them.

/** Words that name what a product is about. `SEARCH_WORD` is one of them (no other word starts with its stem). */
const subjects = [
  'Invoice', 'CRM', 'Inventory', 'Booking', 'Analytics', 'Newsletter', 'Helpdesk', 'Payroll', 'Recipe', 'Fitness',
  'Real Estate', 'Portfolio', 'Blog', 'Forum', 'Podcast', 'Wedding', 'Restaurant', 'Hotel', 'School', 'Clinic',
  'Event', 'Ticketing', 'Crypto', 'Weather', 'Travel', 'Music', 'Photography', 'Marketplace', 'Auction', 'Job Board',
  'Chat', 'Kanban', 'Calendar', 'Survey', 'Quiz', 'Docs', 'Changelog', 'Status Page', 'Affiliate', 'Donation',
];
export const SEARCH_WORD = 'invoice';

const adjectives = [
  'Aurora', 'Nimbus', 'Velvet', 'Quantum', 'Horizon', 'Summit', 'Cobalt', 'Ember', 'Lumen', 'Nova', 'Atlas', 'Cedar',
  'Orbit', 'Pulse', 'Zenith', 'Harbor', 'Prism', 'Sierra', 'Tundra', 'Vertex', 'Willow', 'Falcon', 'Granite', 'Juniper',
  'Kestrel', 'Mosaic', 'Onyx', 'Pioneer', 'Quartz', 'Radiant', 'Saffron', 'Tidal', 'Umber', 'Vivid', 'Wander', 'Yonder',
  'Crisp', 'Modern', 'Minimal', 'Bold',
];

const kinds = [
  ['Dashboard', 'downloadable'], ['Admin Template', 'downloadable'], ['Starter Kit', 'downloadable'], ['UI Kit', 'downloadable'],
  ['Landing Page', 'downloadable'], ['Theme', 'downloadable'], ['Plugin', 'downloadable'], ['Boilerplate', 'freebie'],
  ['Component Library', 'downloadable'], ['Icon Pack', 'freebie'], ['Mobile App', 'downloadable'], ['SaaS Kit', 'downloadable'],
  ['API', 'api_service'], ['Webhook Relay', 'api_service'], ['Data Feed', 'api_referral'], ['CLI', 'freebie'],
  ['Email Templates', 'downloadable'], ['Figma Kit', 'downloadable'], ['Live Demo', 'demo'], ['Widget', 'downloadable'],
  ['Chrome Extension', 'downloadable'], ['WordPress Plugin', 'downloadable'], ['Shopify Theme', 'downloadable'], ['Sandbox', 'demo'],
  ['SDK', 'freebie'],
];

const techs = [
  'Vue 3', 'Nuxt', 'React', 'Next.js', 'Svelte', 'Angular', 'Laravel', 'Django', 'Rails', 'Flutter', 'React Native',
  'Tailwind CSS', 'Bootstrap', 'Node.js', 'Fastify', 'Express', 'PostgreSQL', 'MySQL', 'Go', 'Rust', 'Python', 'TypeScript',
  'Alpine.js', 'Astro', 'Remix',
];

const audiences = [
  'freelancers', 'small agencies', 'startups', 'online shops', 'indie hackers', 'non-profits', 'consultants', 'schools',
  'clinics', 'restaurants', 'developers', 'product teams', 'marketing teams', 'support teams', 'remote teams', 'creators',
];

const features = [
  'dark mode', 'role-based access control', 'multi-currency pricing', 'CSV import and export', 'two-factor authentication',
  'real-time notifications', 'a drag-and-drop builder', 'offline support', 'full-text search', 'audit logs',
  'webhooks', 'a REST API', 'GraphQL endpoints', 'localisation in twelve languages', 'printable PDF reports',
  'Stripe and Razorpay checkout', 'charts and KPIs', 'responsive layouts', 'accessible components', 'keyboard shortcuts',
  'scheduled backups', 'single sign-on', 'custom branding', 'usage-based billing', 'team workspaces', 'a plugin system',
  'automated tests', 'Docker images', 'CI pipelines', 'detailed documentation',
];

const verbs = [
  'helps you ship', 'gives you', 'lets you launch', 'makes it easy to build', 'saves weeks on', 'is the fastest way to build',
  'takes the busywork out of', 'brings polish to',
];

const closers = [
  'Lifetime updates are included.', 'Every screen is documented with examples.', 'Source files are clean, typed and commented.',
  'Six months of support are included with every licence.', 'It passes strict linting and ships with tests.',
  'Designed to be extended rather than rewritten.', 'Works offline and degrades gracefully.', 'Free updates for every minor release.',
];

/** mulberry32: a small, fast, seeded PRNG — the same catalogue on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` products ({title, type, price, status: 'published', shortDescription, description}), titles unique
 * (so their slugs are too and parallel creation never races for one). Every subject heads about 1/40 of the titles;
 * about 2% of the other descriptions mention one more subject, so a subject word matches a few hundred products
 * across title, short description and description, ranked differently.
 */
export function generateCatalogue(count, seed = 20261126) {
  const combos = subjects.length * adjectives.length * kinds.length;
  if (count > combos) throw new Error(`at most ${combos} distinct titles`);
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  // A stride coprime with the number of combinations walks every combination once, spread over all word lists.
  const stride = 7919;
  const start = Math.floor(random() * combos);
  const out = [];
  for (let i = 0; i < count; i++) {
    const n = (start + i * stride) % combos;
    const subject = subjects[n % subjects.length];
    const adjective = adjectives[Math.floor(n / subjects.length) % adjectives.length];
    const [kind, type] = kinds[Math.floor(n / (subjects.length * adjectives.length))];
    const tech = pick(techs);
    const audience = pick(audiences);
    const [f1, f2, f3] = [pick(features), pick(features), pick(features)];
    const lower = subject.toLowerCase();
    const sentences = [
      `${adjective} ${lower} ${kind.toLowerCase()} ${pick(verbs)} a production-ready ${lower} experience for ${audience}.`,
      `Built with ${tech} and ${pick(techs)}, it comes with ${f1}, ${f2} and ${f3}.`,
      random() < 0.5 ? `Every page is tuned for speed, search engines and screen readers.` : `Customise colours, fonts and layouts from a single configuration file.`,
    ];
    if (random() < 0.02) sentences.push(`Pairs well with our ${pick(subjects).toLowerCase()} tools for a complete workflow.`);
    if (random() < 0.6) sentences.push(`## What's inside\n\n- ${cap(f1)}\n- ${cap(f2)}\n- ${cap(pick(features))}\n- ${tech} source code`);
    sentences.push(pick(closers));
    const shortDescription = `${kind} for ${audience}: ${f1} and ${f2}, built with ${tech}.`.slice(0, 160);
    out.push({
      title: `${adjective} ${subject} ${kind}`,
      type,
      price: type === 'freebie' ? 0 : type === 'demo' ? 0 : (5 + Math.floor(random() * 195)) * 100 - 1,
      status: 'published',
      shortDescription,
      description: sentences.join('\n\n'),
    });
  }
  return out;
}

function cap(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A product page with the usual parts: markdown description and content, a category, a version. */
export const showcaseProduct = {
  title: 'Nimbus Analytics Dashboard',
  type: 'downloadable',
  price: 4900,
  status: 'published',
  version: '2.4.1',
  featured: true,
  shortDescription: 'A fast, accessible analytics dashboard for SaaS teams, built with Vue 3 and Tailwind CSS.',
  description:
    'Nimbus is an analytics dashboard template for SaaS products. It ships with **forty screens**, charts that stay ' +
    'readable on a phone, and a design system you can rebrand in minutes.\n\n' +
    '- Revenue, churn and cohort reports\n- Role-based access control\n- Dark mode and right-to-left layouts\n- Typed API client',
  content:
    '## Getting started\n\nUnpack the archive, run `npm install` and `npm run dev`. Every screen reads its data from one ' +
    'typed client, so wiring your API is a single file.\n\n## What is included\n\n1. Forty responsive screens\n' +
    '2. Sixty components with keyboard support\n3. Chart presets for revenue, retention and funnels\n\n' +
    '## Licence\n\nOne commercial licence per end product. Updates for every 2.x release are included.',
};
