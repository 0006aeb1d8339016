import { randomBytes } from 'node:crypto';
import type { License } from '@mintreu/contracts';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit, withDeferredAudit } from '../../lib/audit.js';
import { sha256 } from '../../lib/crypto.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { renderMail } from '../mail/templates.js';
import { releaseActivation } from './check.js';
import type { Licensing } from './context.js';
import { notifyLicenseChange } from './events.js';
import { getOwnLicense, recentOwnerReleases, releaseBudget, type ReleasePolicy } from './service.js';
import { licenseActivations, licenseReleaseRequests, licenses } from './tables.js';

/**
 * What customers do for themselves when a machine died or was reinstalled: free its seat from the dashboard.
 * Single releases have a budget per rolling window (the cooldown), so a licence cannot be passed around by
 * releasing and re-activating all day; "release all" has no budget but needs a click on a link emailed to the owner.
 */

const releaseAllMinutes = 30;
const resendMs = 60 * 1000;

export const releasePolicyOf = (l: Licensing): ReleasePolicy => ({ limit: l.env.LICENSE_SELF_RELEASES, windowHours: l.env.LICENSE_RELEASE_WINDOW_HOURS });

async function ownLicenseRow(l: Licensing, userId: string, licenseId: string) {
  const [row] = await l.db.select().from(licenses).where(and(eq(licenses.id, licenseId), eq(licenses.userId, userId)));
  if (!row) throw notFound('Licence');
  return row;
}

export async function releaseOwnActivation(l: Licensing, userId: string, licenseId: string, activationId: string, actor: Actor): Promise<License> {
  await ownLicenseRow(l, userId, licenseId);
  const policy = releasePolicyOf(l);
  const released = await releaseActivation(l, licenseId, activationId, 'owner', actor, {
    beforeRelease: async (tx, activation) => {
      // A development activation holds no seat: releasing it costs nothing from the budget.
      if (!activation.usesSeat) return;
      const budget = releaseBudget((await recentOwnerReleases(tx, [licenseId], policy)).get(licenseId) ?? [], policy);
      if (budget.remaining > 0) return;
      const retryAfter = budget.nextAt ? Math.max(1, Math.ceil((Date.parse(budget.nextAt) - Date.now()) / 1000)) : 60;
      throw new AppError('RATE_LIMITED', `You have released ${policy.limit} seats in the last ${policy.windowHours} hours. ` +
        'You can release another later, or release every seat at once with an emailed confirmation.', {
        details: { nextAt: budget.nextAt, limit: policy.limit, windowHours: policy.windowHours },
        headers: { 'retry-after': String(retryAfter) },
      });
    },
  });
  // Unknown, someone else's, or already released (two tabs clicking Release at once).
  if (!released) throw notFound('Activation');
  return getOwnLicense(l.db, l.keys, userId, licenseId, policy);
}

/** Emails the owner a link that releases every seat of the licence; answers where it went (masked). */
export async function requestReleaseAll(
  l: Licensing,
  user: { id: string; email: string; name: string },
  licenseId: string,
): Promise<{ sentTo: string; expiresAt: string }> {
  const row = await ownLicenseRow(l, user.id, licenseId);
  // One email a minute per licence: the button cannot be used to flood the owner's inbox (or our mail server).
  const [recent] = await l.db
    .select({ createdAt: licenseReleaseRequests.createdAt })
    .from(licenseReleaseRequests)
    .where(and(eq(licenseReleaseRequests.licenseId, licenseId), gt(licenseReleaseRequests.createdAt, new Date(Date.now() - resendMs))))
    .limit(1);
  if (recent) {
    const retryAfter = Math.max(1, Math.ceil((recent.createdAt.getTime() + resendMs - Date.now()) / 1000));
    throw new AppError('RATE_LIMITED', 'A confirmation email was sent a moment ago. Check your inbox, or ask again in a minute.', {
      headers: { 'retry-after': String(retryAfter) },
    });
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + releaseAllMinutes * 60 * 1000);
  await l.db.insert(licenseReleaseRequests).values({ id: newId('event'), licenseId, userId: user.id, tokenHash: sha256(token), expiresAt });
  const url = `${l.env.PUBLIC_URL}/account/licenses/${licenseId}?releaseAll=${token}`;
  await l.mailer.send(renderMail({
    to: user.email,
    subject: 'Confirm: release every seat of your licence',
    heading: 'Release every seat?',
    paragraphs: [
      `Someone signed in to your account asked to release every activation of your licence ending in ${row.keyHint}.`,
      'Each machine or site will have to activate again. If that was you, confirm below within ' +
        `${releaseAllMinutes} minutes. If not, ignore this email and consider changing your password.`,
    ],
    action: { label: 'Release every seat', url },
  }));
  return { sentTo: maskEmail(user.email), expiresAt: expiresAt.toISOString() };
}

/** Releases every live activation once the emailed token is confirmed. The token works once, for its licence only. */
export async function confirmReleaseAll(l: Licensing, userId: string, licenseId: string, token: string, actor: Actor): Promise<License> {
  await ownLicenseRow(l, userId, licenseId);
  const released = await withDeferredAudit(l.db, async (tx) => {
    const [request] = await tx
      .update(licenseReleaseRequests)
      .set({ usedAt: new Date() })
      .where(and(
        eq(licenseReleaseRequests.tokenHash, sha256(token)),
        eq(licenseReleaseRequests.licenseId, licenseId),
        eq(licenseReleaseRequests.userId, userId),
        isNull(licenseReleaseRequests.usedAt),
        gt(licenseReleaseRequests.expiresAt, new Date()),
      ))
      .returning({ id: licenseReleaseRequests.id });
    if (!request) {
      throw new AppError('GONE', 'This confirmation link has expired or was already used. Ask for a new one from the licence page.');
    }
    // Marked apart from single releases: a confirmed release-all spends nothing of the single-release budget.
    const ids = await releaseAllIn(tx, licenseId, 'owner_all');
    await recordAudit(tx, actor, { action: 'license.release_all', entityType: 'license', entityId: licenseId, after: { released: ids } });
    return ids;
  });
  if (released.length) l.cache.invalidate(licenseId);
  return getOwnLicense(l.db, l.keys, userId, licenseId, releasePolicyOf(l));
}

/**
 * Releases every live activation of a licence and sets its seat count to zero, under the licence row lock, in the
 * caller's transaction (with its audit event). Returns the released activation ids.
 */
export async function releaseAllIn(tx: Tx, licenseId: string, by: 'owner_all' | 'reset'): Promise<string[]> {
  await tx.select({ id: licenses.id }).from(licenses).where(eq(licenses.id, licenseId)).for('update');
  const now = new Date();
  const rows = await tx
    .update(licenseActivations)
    .set({ releasedAt: now, releasedBy: by })
    .where(and(eq(licenseActivations.licenseId, licenseId), isNull(licenseActivations.releasedAt)))
    .returning({ id: licenseActivations.id });
  await tx.update(licenses).set({ usageCount: 0, updatedAt: now }).where(eq(licenses.id, licenseId));
  await notifyLicenseChange(tx, licenseId);
  return rows.map((r) => r.id);
}

/** `jane.doe@example.com` → `j***@example.com`: enough to recognise, not to harvest. */
export function maskEmail(email: string): string {
  const [local, domain] = email.split('@');
  return `${local?.slice(0, 1) ?? ''}***@${domain ?? ''}`;
}
