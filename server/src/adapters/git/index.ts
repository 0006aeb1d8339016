export { getGitHubRelease, gitHubHeaders, type GitHubAsset, type GitHubRelease } from './github.js';
export { getGitLabRelease, gitLabHeaders, type GitLabLink, type GitLabRelease } from './gitlab.js';
export { GitProviderError, type GitClientOptions } from './http.js';
export { parseGitHubUrl, parseGitLabUrl, stripGitSuffix, type GitHubRef, type GitLabRef } from './repo-url.js';
