import { productTypeRules, type LicenseType, type ProductType } from '@mintreu/contracts';
import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { issueApiKey, revokeApiKeysOfLicenses } from '../api-access/service.js';
import { revokeDownloadsOfLicenses } from '../downloads/service.js';
import { issueLicense, revokeLicensesOfOrder } from '../licensing/service.js';
import type { Commerce } from './context.js';
import { addOrderEvent, moveOrder, type OrderRow } from './orders.js';
import { orderItems, orders } from './tables.js';

export const LICENSING_PAUSED_REASON = 'Licensing is paused by an operator; your licence is issued as soon as it resumes.';


/**
 * Grants what a paid order bought, in the caller's transaction (the order row locked): a licence per
 * downloadable/demo/freebie item, an `api_subscription` licence plus one API key per API item. While the
 * `licensing` kill switch is engaged the order stays `paid` and waits. Returns whether it was fulfilled.
 */
export async function fulfilOrder(tx: Tx, commerce: Pick<Commerce, 'live' | 'licenseKeys' | 'keyRing'>, order: OrderRow, actor: Actor): Promise<boolean> {
  if (order.status !== 'paid') return false;
  if (commerce.live.isEngaged('licensing')) {
    if (order.statusReason !== LICENSING_PAUSED_REASON) {
      await tx.update(orders).set({ statusReason: LICENSING_PAUSED_REASON }).where(eq(orders.id, order.id));
      await addOrderEvent(tx, order.id, 'waiting', 'Fulfilment is waiting: licensing is paused');
    }
    return false;
  }
  const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, order.id));
  const granted: Record<string, unknown>[] = [];
  for (const item of items) {
    if (item.licenseId) continue; // granted by an earlier attempt of this same transaction's work
    const isApi = productTypeRules[item.productType as ProductType].hasPlans;
    const license = await issueLicense(tx, commerce.licenseKeys, {
      userId: order.userId,
      email: null, // the licence belongs to the account; an email is for licences granted to no account
      productId: item.productId,
      product: { id: item.productId, title: item.productTitle },
      planId: item.planId,
      orderId: order.id,
      orderItemId: item.id,
      type: (isApi ? 'api_subscription' : item.licenseType) as LicenseType,
    }, actor);
    let apiKeyId: string | null = null;
    if (isApi) {
      const key = await issueApiKey(tx, {
        userId: order.userId,
        licenseId: license.id,
        productId: item.productId,
        planId: item.planId,
        name: `${item.productTitle}${item.planName ? ` — ${item.planName}` : ''}`,
        environment: 'live',
        holdForReveal: commerce.keyRing,
      }, actor);
      apiKeyId = key.id;
    }
    await tx.update(orderItems).set({ licenseId: license.id, apiKeyId }).where(eq(orderItems.id, item.id));
    granted.push({ itemId: item.id, licenseId: license.id, ...(apiKeyId ? { apiKeyId } : {}) });
  }
  await moveOrder(tx, order, 'fulfilled', { actor, message: `Fulfilled: ${granted.length} licence${granted.length === 1 ? '' : 's'} issued`, data: { granted } });
  return true;
}

/**
 * Takes back everything a refunded or disputed order granted: its licences, their API keys and their unexpired
 * download links. (Referral commissions join this list when that capability lands.)
 */
export async function revokeOrderGrants(tx: Tx, order: OrderRow, reason: string, actor: Actor): Promise<{ licenses: string[]; apiKeys: string[] }> {
  const items = await tx.select({ licenseId: orderItems.licenseId }).from(orderItems).where(eq(orderItems.orderId, order.id));
  const licenseIds = items.map((i) => i.licenseId).filter((id): id is string => Boolean(id));
  const revokedKeys = licenseIds.length ? await revokeApiKeysOfLicenses(tx, licenseIds, reason, actor) : [];
  const revokedLicenses = await revokeLicensesOfOrder(tx, order.id, reason, actor);
  const revokedLinks = await revokeDownloadsOfLicenses(tx, licenseIds, reason, actor);
  if (revokedLicenses.length || revokedKeys.length) {
    const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const what = [counted(revokedLicenses.length, 'licence', 'licences'), ...(revokedKeys.length ? [counted(revokedKeys.length, 'API key', 'API keys')] : [])];
    await addOrderEvent(tx, order.id, 'revoked', `Revoked ${what.join(' and ')}`, {
      licenses: revokedLicenses, apiKeys: revokedKeys, ...(revokedLinks ? { downloadLinks: revokedLinks } : {}),
    });
  }
  return { licenses: revokedLicenses, apiKeys: revokedKeys };
}
