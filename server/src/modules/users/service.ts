import { and, count, desc, eq, ilike, or, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { systemActor, type Actor, type Role } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Auth } from '../auth/auth.js';
import { accounts, sessions, users } from '../auth/tables.js';

const columns = {
  id: users.id,
  name: users.name,
  email: users.email,
  role: users.role,
  emailVerified: users.emailVerified,
  banned: users.banned,
  banReason: users.banReason,
  createdAt: users.createdAt,
};

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listUsers(db: Db, input: { search?: string; role?: Role; page: number; perPage: number }) {
  const filters: SQL[] = [];
  if (input.search) {
    const pattern = `%${escapeLike(input.search)}%`;
    filters.push(or(ilike(users.email, pattern), ilike(users.name, pattern), eq(users.id, input.search))!);
  }
  if (input.role) filters.push(eq(users.role, input.role));
  const where = filters.length ? and(...filters) : undefined;
  const [rows, [total]] = await Promise.all([
    db.select(columns).from(users).where(where).orderBy(desc(users.createdAt), desc(users.id))
      .limit(input.perPage).offset((input.page - 1) * input.perPage),
    db.select({ value: count() }).from(users).where(where),
  ]);
  return { data: rows.map(asAdminUser), meta: { page: input.page, perPage: input.perPage, total: total?.value ?? 0 } };
}

type UserRow = Awaited<ReturnType<typeof selectOne>>;
const asAdminUser = (row: UserRow) => ({ ...row, role: row.role as Role });

async function selectOne(db: DbOrTx, id: string) {
  const [row] = await db.select(columns).from(users).where(eq(users.id, id));
  return row!;
}

/** Change a user's role or ban; a ban also ends every session the user has. */
export async function updateUser(
  db: Db,
  id: string,
  input: { role?: Role; banned?: boolean; banReason?: string; reason: string },
  actor: Actor,
) {
  if (actor.user?.id === id) {
    throw new AppError('CONFLICT', 'You cannot change your own role or ban yourself; ask another admin');
  }
  return db.transaction(async (tx) => {
    const [current] = await tx.select(columns).from(users).where(eq(users.id, id)).for('update');
    if (!current) throw notFound('User');
    if (input.role !== undefined && input.role !== current.role) {
      await tx.update(users).set({ role: input.role }).where(eq(users.id, id));
      await recordAudit(tx, actor, {
        action: 'user.role_change', entityType: 'user', entityId: id,
        before: { role: current.role }, after: { role: input.role }, reason: input.reason,
      });
    }
    if (input.banned !== undefined && input.banned !== current.banned) {
      const banReason = input.banned ? (input.banReason ?? input.reason) : null;
      await tx.update(users).set({ banned: input.banned, banReason }).where(eq(users.id, id));
      if (input.banned) await tx.delete(sessions).where(eq(sessions.userId, id));
      await recordAudit(tx, actor, {
        action: input.banned ? 'user.ban' : 'user.unban', entityType: 'user', entityId: id,
        before: { banned: current.banned, banReason: current.banReason }, after: { banned: input.banned, banReason },
        reason: input.reason,
      });
    }
    return asAdminUser(await selectOne(tx, id));
  });
}

/**
 * Make `email` an admin: promote the account if it exists, else create it with `password`.
 * Used at start-up (ADMIN_EMAIL) and by `npm run cli -- create-admin`.
 */
export async function ensureAdmin(
  db: Db,
  auth: Auth,
  input: { email: string; password: string; name?: string },
  actor: Actor = systemActor,
): Promise<{ id: string; created: boolean }> {
  const email = input.email.toLowerCase();
  let [existing] = await db.select({ id: users.id, role: users.role }).from(users).where(eq(users.email, email));
  let created = false;
  if (!existing) {
    // Through better-auth's own adapter and hasher, but without the sign-up flow's verification email.
    const context = await auth.$context;
    const user = await context.internalAdapter.createUser(
      { email, name: input.name ?? 'Administrator', emailVerified: true },
      { method: 'admin' },
    );
    await context.internalAdapter.linkAccount({
      userId: user.id,
      providerId: 'credential',
      accountId: user.id,
      password: await context.password.hash(input.password),
    });
    existing = { id: user.id, role: 'customer' };
    created = true;
  } else {
    // A creation cut off between the user and its password (a restart mid-seed) left an account no one can sign
    // in to: give it the password now, so the administrator being ensured can actually sign in.
    const [credential] = await db.select({ id: accounts.id }).from(accounts)
      .where(and(eq(accounts.userId, existing.id), eq(accounts.providerId, 'credential')));
    if (!credential) {
      const context = await auth.$context;
      await context.internalAdapter.linkAccount({
        userId: existing.id,
        providerId: 'credential',
        accountId: existing.id,
        password: await context.password.hash(input.password),
      });
    }
  }
  if (existing.role === 'admin') return { id: existing.id, created };
  const userId = existing.id;
  await db.transaction(async (tx) => {
    await tx.update(users).set({ role: 'admin', emailVerified: true }).where(eq(users.id, userId));
    await recordAudit(tx, actor, {
      action: 'user.create_admin', entityType: 'user', entityId: userId,
      before: created ? null : { role: existing!.role }, after: { role: 'admin' },
      reason: created ? 'First administrator' : 'Promoted to administrator',
    });
  });
  return { id: userId, created };
}

export async function adminExists(db: Db): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).limit(1);
  return Boolean(row);
}

export async function countUsers(db: Db) {
  const [[all], [admins]] = await Promise.all([
    db.select({ value: count() }).from(users),
    db.select({ value: count() }).from(users).where(eq(users.role, 'admin')),
  ]);
  return { users: all?.value ?? 0, admins: admins?.value ?? 0 };
}
