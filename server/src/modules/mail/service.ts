import { count, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { notFound } from '../../lib/errors.js';
import { mailbox } from './tables.js';

export async function listMailbox(db: Db, input: { page: number; perPage: number }) {
  const [rows, [total]] = await Promise.all([
    db
      .select({ id: mailbox.id, to: mailbox.to, subject: mailbox.subject, createdAt: mailbox.createdAt })
      .from(mailbox)
      .orderBy(desc(mailbox.createdAt), desc(mailbox.id))
      .limit(input.perPage)
      .offset((input.page - 1) * input.perPage),
    db.select({ value: count() }).from(mailbox),
  ]);
  return { data: rows, meta: { page: input.page, perPage: input.perPage, total: total?.value ?? 0 } };
}

export async function getMail(db: Db, id: string) {
  const [row] = await db.select().from(mailbox).where(eq(mailbox.id, id));
  if (!row) throw notFound('Message');
  return row;
}

export async function countMailbox(db: Db) {
  const [row] = await db.select({ value: count() }).from(mailbox);
  return row?.value ?? 0;
}
