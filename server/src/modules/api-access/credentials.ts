import type { AdminApiCredentials, ApiCredential, ApiCredentialSecret, AttachApiCredentialBody, UpdateApiCredentialBody } from '@mintreu/contracts';
import { and, desc, eq } from 'drizzle-orm';
import type { Mailer } from '../../adapters/email/index.js';
import type { Db } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import type { KeyRing } from '../../lib/crypto.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { users } from '../auth/tables.js';
import { products } from '../catalog/tables.js';
import { renderMail } from '../mail/templates.js';
import { licensesByIds, licenseStatus } from '../licensing/service.js';
import { licenses } from '../licensing/tables.js';
import { apiCredentials } from './tables.js';

// External API credentials of `api_referral` subscriptions: the third party's key and secret for one customer,
// attached (replaced, removed) by an admin at fulfilment, sealed under APP_KEYS, listed by label and hint only and
// shown in full to the licence's owner on demand. Ownership follows the licence (a licence granted to an email
// joins its account later), so the owner is read from `licenses`, read-only, as usage.ts does.

type Row = typeof apiCredentials.$inferSelect;
interface Sealed { apiKey: string; apiSecret: string | null }

const present = (row: Row, productTitle: string): ApiCredential => ({
  id: row.id, licenseId: row.licenseId, productId: row.productId, productTitle, label: row.label, hint: row.hint,
  accountUrl: row.accountUrl, externalUserId: row.externalUserId, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
});
/** What the audit log keeps of a credential: never the key or the secret. */
const audited = (row: Row) => ({ licenseId: row.licenseId, label: row.label, hint: row.hint, accountUrl: row.accountUrl, externalUserId: row.externalUserId });

/** The last four characters of a key long enough that four say little; nothing for a short one. */
export const credentialHint = (apiKey: string) => (apiKey.length >= 12 ? apiKey.slice(-4) : '');

const seal = (keyRing: KeyRing, value: Sealed) => keyRing.encrypt(JSON.stringify(value));
const open = (keyRing: KeyRing, sealed: string) => JSON.parse(keyRing.decrypt(sealed)) as Sealed;

async function licenseWithProduct(db: Db, licenseId: string) {
  const license = (await licensesByIds(db, [licenseId])).get(licenseId);
  if (!license) throw notFound('Licence');
  const [product] = await db.select({ type: products.type, title: products.title }).from(products).where(eq(products.id, license.productId));
  if (!product) throw notFound('Product');
  const reason = product.type !== 'api_referral'
    ? `Credentials belong to api_referral subscriptions; this licence is for a ${product.type} product`
    : license.status === 'revoked' ? 'The licence is revoked' : null;
  return { license, product, reason };
}

/** Admin: a licence's credentials (label and hint) and whether credentials can be attached to it. */
export async function listCredentialsOfLicense(db: Db, licenseId: string): Promise<AdminApiCredentials> {
  const { product, reason } = await licenseWithProduct(db, licenseId);
  const rows = await db.select().from(apiCredentials).where(eq(apiCredentials.licenseId, licenseId)).orderBy(desc(apiCredentials.createdAt));
  return { licenseId, productType: product.type, attachable: reason === null, reason, data: rows.map((row) => present(row, product.title)) };
}

/** What attaching and replacing need besides the database: the key ring, and a way to tell the customer. */
export interface CredentialDeps {
  db: Db;
  keyRing: KeyRing;
  mailer: Mailer;
  publicUrl: string;
  log: (message: string, error?: unknown) => void;
}

/**
 * Tells the licence's holder (their account's address, else the address the licence waits for) that credentials are
 * ready or were replaced: a link to the API page, never the credentials. A failed email does not undo the change.
 */
async function tellHolder(deps: CredentialDeps, licenseId: string, productTitle: string, replaced: boolean) {
  try {
    const [holder] = await deps.db.select({ email: licenses.email, accountEmail: users.email }).from(licenses)
      .leftJoin(users, eq(users.id, licenses.userId)).where(eq(licenses.id, licenseId));
    const to = holder?.accountEmail ?? holder?.email;
    if (!to) return;
    const heading = replaced ? `Your ${productTitle} credentials were replaced` : `Your ${productTitle} credentials are ready`;
    await deps.mailer.send(renderMail({
      to,
      subject: heading,
      heading,
      paragraphs: [
        replaced
          ? `New credentials for your ${productTitle} account are on your API page; the previous ones may stop working.`
          : `Your account at ${productTitle} is set up. Its credentials are on your API page: sign in and choose Show.`,
        'For your safety they are never sent by email.',
      ],
      action: { label: 'Open your API page', url: `${deps.publicUrl}/account/api` },
    }));
  } catch (error) {
    deps.log('sending a credentials notice failed', error);
  }
}

/**
 * Admin, at fulfilment of an `api_referral` subscription: the third-party API's credentials for this customer,
 * sealed under APP_KEYS. The audit event names the credential by label and hint only.
 */
export async function attachCredential(deps: CredentialDeps, input: AttachApiCredentialBody, actor: Actor): Promise<ApiCredential> {
  const { db, keyRing } = deps;
  const { license, product, reason } = await licenseWithProduct(db, input.licenseId);
  if (reason) throw new AppError('CONFLICT', reason);
  const sealed = seal(keyRing, { apiKey: input.apiKey, apiSecret: input.apiSecret ?? null });
  const attached = await db.transaction(async (tx) => {
    const [row] = await tx.insert(apiCredentials).values({
      id: newId('credential'), licenseId: license.id, userId: license.userId, productId: license.productId, label: input.label,
      sealed, hint: credentialHint(input.apiKey), accountUrl: input.accountUrl ?? null, externalUserId: input.externalUserId ?? null,
    }).returning();
    await recordAudit(tx, actor, { action: 'api_credential.attach', entityType: 'api_credential', entityId: row!.id, after: audited(row!) });
    return present(row!, product.title);
  });
  await tellHolder(deps, license.id, product.title, false);
  return attached;
}

/**
 * Admin: change a credential. A new key or secret replaces the sealed pair (the other half is kept); the audit
 * event says which halves were replaced, never their values.
 */
export async function updateCredential(deps: CredentialDeps, id: string, input: UpdateApiCredentialBody, actor: Actor): Promise<ApiCredential> {
  const { db, keyRing } = deps;
  const updated = await db.transaction(async (tx) => {
    const [current] = await tx.select().from(apiCredentials).where(eq(apiCredentials.id, id)).for('update');
    if (!current) throw notFound('Credential');
    const replacesKey = input.apiKey !== undefined;
    const replacesSecret = input.apiSecret !== undefined;
    let secretPart: Partial<Pick<Row, 'sealed' | 'hint'>> = {};
    if (replacesKey || replacesSecret) {
      const before = open(keyRing, current.sealed);
      const apiKey = input.apiKey ?? before.apiKey;
      secretPart = { sealed: seal(keyRing, { apiKey, apiSecret: replacesSecret ? input.apiSecret ?? null : before.apiSecret }), hint: credentialHint(apiKey) };
    }
    const [row] = await tx.update(apiCredentials).set({
      ...secretPart,
      ...(input.label !== undefined ? { label: input.label } : {}),
      ...(input.accountUrl !== undefined ? { accountUrl: input.accountUrl } : {}),
      ...(input.externalUserId !== undefined ? { externalUserId: input.externalUserId } : {}),
      updatedAt: new Date(),
    }).where(eq(apiCredentials.id, id)).returning();
    await recordAudit(tx, actor, {
      action: 'api_credential.update', entityType: 'api_credential', entityId: id,
      before: audited(current), after: { ...audited(row!), keyReplaced: replacesKey, secretReplaced: replacesSecret },
    });
    const [product] = await tx.select({ title: products.title }).from(products).where(eq(products.id, row!.productId));
    return present(row!, product?.title ?? '');
  });
  if (input.apiKey !== undefined || input.apiSecret !== undefined) await tellHolder(deps, updated.licenseId, updated.productTitle, true);
  return updated;
}

/** Admin: remove a credential (the customer no longer sees it). */
export async function deleteCredential(db: Db, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const [current] = await tx.delete(apiCredentials).where(eq(apiCredentials.id, id)).returning();
    if (!current) throw notFound('Credential');
    await recordAudit(tx, actor, { action: 'api_credential.delete', entityType: 'api_credential', entityId: id, before: audited(current) });
  });
}

/** The credentials of the caller's licences, label and hint only. */
export async function listOwnCredentials(db: Db, userId: string): Promise<ApiCredential[]> {
  const rows = await db.select({ credential: apiCredentials, productTitle: products.title }).from(apiCredentials)
    .innerJoin(licenses, eq(licenses.id, apiCredentials.licenseId))
    .innerJoin(products, eq(products.id, apiCredentials.productId))
    .where(eq(licenses.userId, userId))
    .orderBy(desc(apiCredentials.createdAt));
  return rows.map((r) => present(r.credential, r.productTitle));
}

/**
 * The owner sees the key and secret on demand while the subscription is in force (not revoked, suspended or
 * expired); each reveal is audited, without them.
 */
export async function revealOwnCredential(db: Db, keyRing: KeyRing, userId: string, id: string, actor: Actor): Promise<ApiCredentialSecret> {
  const [row] = await db.select({ credential: apiCredentials, license: licenses }).from(apiCredentials)
    .innerJoin(licenses, eq(licenses.id, apiCredentials.licenseId))
    .where(and(eq(apiCredentials.id, id), eq(licenses.userId, userId)));
  if (!row) throw notFound('Credential');
  const status = licenseStatus(row.license);
  if (status === 'revoked' || status === 'disabled' || status === 'expired') {
    throw new AppError('CONFLICT', `This subscription is ${status === 'disabled' ? 'suspended' : status}: its credentials are not shown`, { details: { licenseStatus: status } });
  }
  const opened = open(keyRing, row.credential.sealed);
  await db.transaction((tx) => recordAudit(tx, actor, { action: 'api_credential.reveal', entityType: 'api_credential', entityId: id }));
  return { apiKey: opened.apiKey, apiSecret: opened.apiSecret };
}
