/** What a GitHub URL names: a repository, and maybe a release tag and an asset of it. */
export interface GitHubRef {
  owner: string;
  repo: string;
  tag: string | null;
  asset: string | null;
}

/** What a GitLab URL names: a project path (groups may nest), and maybe a release tag and an asset. */
export interface GitLabRef {
  project: string;
  tag: string | null;
  asset: string | null;
}

const name = /^[A-Za-z0-9_.-]+$/;

/** `repo.git` → `repo`: a suffix strip (the upstream trimmed the characters g, i, t and `.` instead). */
export function stripGitSuffix(repo: string): string {
  return repo.endsWith('.git') ? repo.slice(0, -'.git'.length) : repo;
}

function pathSegments(url: string): string[] | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  try {
    return parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
}

/**
 * `https://github.com/{owner}/{repo}(.git)?(/)?` optionally followed by `/releases/tag/{tag}`,
 * `/releases/download/{tag}/{asset}` or `/releases/latest`. The host is not checked: the API base
 * (GITHUB_API_URL) decides which GitHub is asked, so GitHub Enterprise URLs parse too.
 */
export function parseGitHubUrl(url: string): GitHubRef | null {
  const parts = pathSegments(url);
  if (!parts || parts.length < 2) return null;
  const [owner, rawRepo, ...rest] = parts as [string, string, ...string[]];
  const repo = stripGitSuffix(rawRepo);
  if (!name.test(owner) || !name.test(repo) || repo === '.' || repo === '..') return null;
  let tag: string | null = null;
  let asset: string | null = null;
  if (rest[0] === 'releases' && rest[1] === 'tag' && rest.length > 2) tag = rest.slice(2).join('/');
  else if (rest[0] === 'releases' && rest[1] === 'download' && rest.length > 3) {
    tag = rest.slice(2, -1).join('/');
    asset = rest.at(-1)!;
  } else if (rest[0] === 'releases' && rest[1] === 'latest' && rest[2] === 'download' && rest.length === 4) {
    asset = rest[3]!;
  }
  return { owner, repo, tag, asset };
}

/**
 * `https://gitlab.com/{group}/{subgroup…}/{project}(.git)?` optionally followed by
 * `/-/releases/{tag}` or `/-/releases/{tag}/downloads/{asset path}`.
 */
export function parseGitLabUrl(url: string): GitLabRef | null {
  const parts = pathSegments(url);
  if (!parts) return null;
  const dash = parts.indexOf('-');
  const projectParts = dash === -1 ? parts : parts.slice(0, dash);
  const rest = dash === -1 ? [] : parts.slice(dash + 1);
  if (projectParts.length < 2) return null;
  projectParts[projectParts.length - 1] = stripGitSuffix(projectParts.at(-1)!);
  if (!projectParts.every((part) => name.test(part) && part !== '.' && part !== '..')) return null;
  let tag: string | null = null;
  let asset: string | null = null;
  if (rest[0] === 'releases' && rest.length >= 2) {
    const downloads = rest.indexOf('downloads', 2);
    tag = (downloads === -1 ? rest.slice(1) : rest.slice(1, downloads)).join('/');
    if (downloads !== -1 && rest.length > downloads + 1) asset = rest.slice(downloads + 1).join('/');
    if (tag === 'permalink/latest') tag = null;
  }
  return { project: projectParts.join('/'), tag: tag || null, asset };
}
