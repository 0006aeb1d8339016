// Lighthouse audits of storefront pages for `npm run bench` (see bench/README.md, "Lighthouse").
//
// Lighthouse 12.8.2 (13.x needs Node 22) drives Debian's Chromium through chrome-launcher, mobile form factor and
// simulated throttling (Lighthouse's defaults). The machine is offline: Chromium's background networking is off,
// and its host resolver answers NOTFOUND for every name other than the platform's loopback address, so a page that
// referenced an outside URL would fail fast (and be listed under `externalRequests`) instead of waiting on DNS.
// No Lighthouse audit needs the network by itself (robots.txt, source maps and the page's resources all come from
// the platform's origin), so none is disabled.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const CATEGORIES = ['performance', 'accessibility', 'seo', 'best-practices'];
/** Scores 0–100; best-practices is informational. */
export const LIGHTHOUSE_TARGETS = { performance: 90, accessibility: 95, seo: 95 };

const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const METRICS = [
  ['first-contentful-paint', 'FCP'],
  ['largest-contentful-paint', 'LCP'],
  ['total-blocking-time', 'TBT'],
  ['cumulative-layout-shift', 'CLS'],
  ['speed-index', 'SI'],
];

/**
 * Audits each page `runs` times (median run by performance score is kept) and writes its HTML report to
 * `<resultsDir>/lighthouse-<key>.html`. Throws when Lighthouse or Chromium cannot start; a page whose runs all
 * fail carries `error` instead of scores.
 *
 * @param {{ pages: {key: string, url: string}[], runs: number, resultsDir: string, origin: string,
 *   track: (chrome: {kill(): unknown} | undefined) => void, progress: (text: string) => void }} options
 */
export async function runLighthouse({ pages, runs, resultsDir, origin, track, progress }) {
  const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (!existsSync(chromePath)) throw new Error(`Chromium not found at ${chromePath} (set CHROME_PATH; on Debian: apt-get install -y chromium)`);
  const { default: lighthouse } = await import('lighthouse');
  const chromeLauncher = await import('chrome-launcher');
  const version = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('lighthouse/package.json'), 'utf8')).version;
  const loopback = new URL(origin).hostname;
  const chromeFlags = [...CHROME_FLAGS, `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${loopback}`];

  const out = { version, chromePath, chromeFlags, runsPerPage: runs, settings: undefined, pages: [] };
  for (const page of pages) {
    const attempts = [];
    for (let i = 0; i < runs; i++) {
      progress(`${page.key}${runs > 1 ? ` ${i + 1}/${runs}` : ''} `);
      try {
        attempts.push(await auditOnce(lighthouse, chromeLauncher, chromePath, chromeFlags, page.url, track));
      } catch (error) {
        attempts.push({ error: error instanceof Error ? error.message : String(error) });
      }
    }
    const ok = attempts.filter((a) => a.lhr);
    if (ok.length === 0) {
      out.pages.push({ key: page.key, url: page.url, error: attempts.map((a) => a.error).join(' | ') });
      continue;
    }
    ok.sort((a, b) => (a.lhr.categories.performance?.score ?? 0) - (b.lhr.categories.performance?.score ?? 0));
    const median = ok[Math.floor((ok.length - 1) / 2)];
    const reportFile = join(resultsDir, `lighthouse-${page.key}.html`);
    writeFileSync(reportFile, median.html);
    out.settings ??= {
      lighthouseVersion: median.lhr.lighthouseVersion,
      formFactor: median.lhr.configSettings.formFactor,
      throttlingMethod: median.lhr.configSettings.throttlingMethod,
      userAgent: median.lhr.environment.hostUserAgent,
      benchmarkIndex: median.lhr.environment.benchmarkIndex,
    };
    out.pages.push(summarise(page, median.lhr, reportFile, ok, attempts, origin));
  }
  return out;
}

async function auditOnce(lighthouse, chromeLauncher, chromePath, chromeFlags, url, track) {
  const chrome = await chromeLauncher.launch({ chromePath, chromeFlags, handleSIGINT: false, logLevel: 'silent' });
  track(chrome);
  try {
    const result = await withTimeout(
      lighthouse(url, { port: chrome.port, output: 'html', logLevel: 'error', onlyCategories: CATEGORIES, maxWaitForLoad: 45_000 }),
      180_000,
      `Lighthouse did not finish ${url} within 180 s`,
    );
    if (!result) throw new Error('Lighthouse returned no result');
    if (result.lhr.runtimeError) throw new Error(`${result.lhr.runtimeError.code}: ${result.lhr.runtimeError.message}`);
    return { lhr: result.lhr, html: Array.isArray(result.report) ? result.report[0] : result.report };
  } finally {
    track(undefined);
    await Promise.resolve(chrome.kill()).catch(() => {});
  }
}

async function withTimeout(promise, ms, message) {
  const controller = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(ms, undefined, { signal: controller.signal }).then(() => {
        throw new Error(message);
      }),
    ]);
  } finally {
    controller.abort();
  }
}

function summarise(page, lhr, reportFile, okRuns, attempts, origin) {
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, scoreOf(lhr.categories[c])]));
  const metrics = Object.fromEntries(
    METRICS.map(([id, label]) => [label, { value: lhr.audits[id]?.numericValue, display: lhr.audits[id]?.displayValue, score: lhr.audits[id]?.score }]),
  );
  const failing = {};
  for (const category of CATEGORIES) {
    const list = [];
    for (const ref of lhr.categories[category]?.auditRefs ?? []) {
      const audit = lhr.audits[ref.id];
      if (!audit || audit.score === null || audit.scoreDisplayMode === 'notApplicable' || audit.scoreDisplayMode === 'manual') continue;
      if (audit.scoreDisplayMode === 'informative') continue;
      // Performance: the metrics below 0.9 and every opportunity/insight that is not passed; elsewhere every failed audit.
      const failed = category === 'performance' ? audit.score < 0.9 : audit.score < 1;
      if (!failed) continue;
      list.push({
        id: ref.id,
        title: audit.title,
        weight: ref.weight,
        score: audit.score,
        displayValue: audit.displayValue,
        items: examples(audit),
      });
    }
    list.sort((a, b) => b.weight - a.weight || a.score - b.score);
    failing[category] = list;
  }
  const pass = Object.entries(LIGHTHOUSE_TARGETS).every(([c, min]) => scores[c] !== undefined && scores[c] >= min);
  const requests = lhr.audits['network-requests']?.details?.items ?? [];
  const externalRequests = requests.map((r) => r.url).filter((u) => !u.startsWith(origin) && !/^(data|blob):/.test(u));
  const errorAudits = Object.entries(lhr.audits).filter(([, a]) => a.scoreDisplayMode === 'error').map(([id, a]) => `${id}: ${a.errorMessage}`);
  return {
    key: page.key,
    url: page.url,
    scores,
    pass,
    performanceRuns: okRuns.map((r) => scoreOf(r.lhr.categories.performance)),
    failedRuns: attempts.filter((a) => a.error).map((a) => a.error),
    metrics,
    failing,
    externalRequests,
    errorAudits,
    runWarnings: lhr.runWarnings,
    report: reportFile,
  };
}

function scoreOf(category) {
  return category?.score === null || category?.score === undefined ? undefined : Math.round(category.score * 100);
}

/** Up to five offending elements or resources, enough to know where to look. */
function examples(audit) {
  const details = audit.details;
  // Most details are tables/lists with an `items` array; a checklist keeps its items in an object.
  let items = Array.isArray(details?.items) ? details.items : details?.items ? Object.values(details.items) : [];
  // A list (e.g. several tables) nests its own tables: flatten one level.
  if (details?.type === 'list') items = items.flatMap((sub) => (Array.isArray(sub?.items) ? sub.items : [sub]));
  return items.slice(0, 5).map((item) => {
    if (!item || typeof item !== 'object') return item;
    if (item.node) return { selector: item.node.selector, snippet: item.node.snippet?.slice(0, 200), explanation: item.node.explanation?.split('\n').slice(0, 3).join(' ').slice(0, 300) };
    if (item.url) return { url: item.url, wastedBytes: item.wastedBytes, wastedMs: item.wastedMs, totalBytes: item.totalBytes };
    return JSON.parse(JSON.stringify(item, (k, v) => (typeof v === 'string' && v.length > 200 ? v.slice(0, 200) : v)));
  });
}
