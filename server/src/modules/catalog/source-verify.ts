import { eq } from 'drizzle-orm';
import {
  getGitHubRelease, getGitLabRelease, GitProviderError, parseGitHubUrl, parseGitLabUrl,
} from '../../adapters/git/index.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { ProbeError, probeUrl } from './source-probe.js';
import { getSourceRow, presentAdminSource, type SourceContext, type SourceRow } from './sources.js';
import { productSources } from './tables.js';

type Outcome =
  | { ok: true; fileSize?: number | null; version?: string; fileName?: string; resolved?: Record<string, unknown> }
  | { ok: false; error: string };

const fail = (error: string): Outcome => ({ ok: false, error });

const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : null);

/**
 * Whether the source's file name is one an admin chose, rather than one an earlier verification
 * copied from the asset it found. Only a chosen name pins the asset: a source that follows the
 * latest release must not stay tied to the first release's asset name.
 */
function hasChosenName(row: SourceRow): boolean {
  const resolved = row.metadata.resolved as { autoFileName?: boolean; assetName?: string } | undefined;
  return row.fileName !== null && !(resolved?.autoFileName === true && resolved.assetName === row.fileName);
}

/** The asset to look for (named in the URL, else by the chosen file name), and the file name to record. */
function assetChoice(row: SourceRow, fromUrl: string | null) {
  const chosen = hasChosenName(row);
  return {
    wanted: fromUrl ?? (chosen ? row.fileName : null),
    record: (assetName: string) => (chosen ? {} : { fileName: assetName }),
    autoFileName: !chosen,
  };
}

function token(ctx: SourceContext, row: SourceRow): string | null {
  if (!row.encryptedToken) return null;
  try {
    return ctx.keyRing.decrypt(row.encryptedToken);
  } catch {
    throw new GitProviderError('The stored token cannot be decrypted (were APP_KEYS changed?); store it again');
  }
}

async function checkStored(ctx: SourceContext, row: SourceRow): Promise<Outcome> {
  if (row.provider !== ctx.storage.driver) {
    return fail(`The file was stored with the ${row.provider} driver, but this instance uses ${ctx.storage.driver}`);
  }
  const info = await ctx.storage.stat(row.sourceUrl);
  return info ? { ok: true, fileSize: info.size } : fail('The stored file is missing');
}

async function checkDirect(ctx: SourceContext, row: SourceRow): Promise<Outcome> {
  const result = await probeUrl(row.sourceUrl, ctx.hostPolicy);
  return { ok: true, fileSize: result.size ?? row.fileSize };
}

/** The release named by the URL (`/releases/tag/v1`), else by `metadata.tag`, else the latest; then its asset. */
async function checkGitHub(ctx: SourceContext, row: SourceRow): Promise<Outcome> {
  const ref = parseGitHubUrl(row.sourceUrl);
  if (!ref) return fail('The source URL is not a GitHub repository URL');
  const tag = ref.tag ?? text(row.metadata.tag);
  const release = await getGitHubRelease({ apiUrl: ctx.githubApiUrl, token: token(ctx, row) }, { owner: ref.owner, repo: ref.repo, tag });
  const { wanted, record, autoFileName } = assetChoice(row, ref.asset);
  const asset = wanted ? release.assets.find((a) => a.name === wanted) : release.assets[0];
  if (!asset) {
    const names = release.assets.map((a) => a.name).slice(0, 10).join(', ');
    return fail(
      wanted
        ? `Release ${release.tag} has no asset named ${wanted}${names ? ` (it has: ${names})` : ''}`
        : `Release ${release.tag} has no assets`,
    );
  }
  return {
    ok: true,
    fileSize: asset.size,
    version: release.tag,
    ...record(asset.name),
    resolved: { owner: ref.owner, repo: ref.repo, tag: release.tag, assetId: asset.id, assetName: asset.name, contentType: asset.contentType, autoFileName },
  };
}

/** GitLab's release API names assets but gives no sizes: the file size stays as entered. */
async function checkGitLab(ctx: SourceContext, row: SourceRow): Promise<Outcome> {
  const ref = parseGitLabUrl(row.sourceUrl);
  if (!ref) return fail('The source URL is not a GitLab project URL');
  const projectId = row.metadata.projectId;
  const project = typeof projectId === 'number' ? String(projectId) : (text(projectId) ?? ref.project);
  const tag = ref.tag ?? text(row.metadata.tag);
  const release = await getGitLabRelease({ apiUrl: ctx.gitlabApiUrl, token: token(ctx, row) }, { project, tag });
  const { wanted, record, autoFileName } = assetChoice(row, ref.asset);
  const link = wanted
    ? release.links.find((l) => l.name === wanted || l.url.endsWith(`/${wanted}`))
    : release.links[0];
  if (!link) {
    return fail(wanted ? `Release ${release.tag} has no asset named ${wanted}` : `Release ${release.tag} has no asset links`);
  }
  return {
    ok: true,
    version: release.tag,
    ...record(link.name),
    resolved: { project, tag: release.tag, assetName: link.name, autoFileName },
  };
}

async function check(ctx: SourceContext, row: SourceRow): Promise<Outcome> {
  try {
    switch (row.provider) {
      case 'local':
      case 's3':
        return await checkStored(ctx, row);
      case 'direct_url':
        return await checkDirect(ctx, row);
      case 'github':
        return await checkGitHub(ctx, row);
      case 'gitlab':
        return await checkGitLab(ctx, row);
      default:
        return fail(`Unknown provider ${row.provider}`);
    }
  } catch (error) {
    if (error instanceof GitProviderError || error instanceof ProbeError) return fail(capitalise(error.message));
    throw error;
  }
}

const capitalise = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

/**
 * Checks that a source can be delivered, and records what was learned (size, version). The outcome is
 * data: a failed check answers with the source and its `lastVerifyError`, not with an HTTP error.
 */
export async function verifySource(ctx: SourceContext, ids: { productId: string; sourceId: string }, actor: Actor) {
  const row = await getSourceRow(ctx.db, ids.productId, ids.sourceId);
  const outcome = await check(ctx, row);
  return ctx.db.transaction(async (tx) => {
    const current = await getSourceRow(tx, ids.productId, ids.sourceId, true);
    const now = new Date();
    const changes: Partial<typeof productSources.$inferInsert> = outcome.ok
      ? {
          lastVerifiedAt: now,
          lastVerifyError: null,
          ...(outcome.fileSize !== undefined && outcome.fileSize !== null ? { fileSize: outcome.fileSize } : {}),
          ...(outcome.version ? { version: outcome.version } : {}),
          ...(outcome.fileName ? { fileName: outcome.fileName } : {}),
          ...(outcome.resolved ? { metadata: { ...current.metadata, resolved: outcome.resolved } } : {}),
        }
      : { lastVerifyError: outcome.error.slice(0, 500) };
    const [after] = await tx.update(productSources).set({ ...changes, updatedAt: now }).where(eq(productSources.id, current.id)).returning();
    await recordAudit(tx, actor, {
      action: 'source.verify',
      entityType: 'source',
      entityId: current.id,
      before: { lastVerifiedAt: current.lastVerifiedAt, fileSize: current.fileSize, version: current.version },
      after: outcome.ok
        ? { ok: true, fileSize: after!.fileSize, version: after!.version }
        : { ok: false, error: after!.lastVerifyError },
    });
    return presentAdminSource(after!);
  });
}
