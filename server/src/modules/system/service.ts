import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { featureFlags, killSwitches } from '../../lib/config-tables.js';
import { CONFIG_CHANNEL, type KillSwitchName } from '../../lib/live-config.js';
import { users } from '../auth/tables.js';

const switchColumns = {
  name: killSwitches.name,
  engaged: killSwitches.engaged,
  reason: killSwitches.reason,
  updatedAt: killSwitches.updatedAt,
  updatedById: users.id,
  updatedByName: users.name,
};

type SwitchRow = { name: string; engaged: boolean; reason: string | null; updatedAt: Date; updatedById: string | null; updatedByName: string | null };

const present = (row: SwitchRow) => ({
  name: row.name as KillSwitchName,
  engaged: row.engaged,
  reason: row.reason,
  updatedAt: row.updatedAt,
  updatedBy: row.updatedById ? { id: row.updatedById, name: row.updatedByName ?? '' } : null,
});

export async function listKillSwitches(db: Db) {
  const rows = await db
    .select(switchColumns)
    .from(killSwitches)
    .leftJoin(users, eq(users.id, killSwitches.updatedBy))
    .orderBy(asc(killSwitches.name));
  return rows.map(present);
}

/** Engage or release one switch; every instance hears of it through NOTIFY when this commits. */
export async function setKillSwitch(
  db: Db,
  input: { name: KillSwitchName; engaged: boolean; reason: string },
  actor: Actor,
) {
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(killSwitches).where(eq(killSwitches.name, input.name)).for('update');
    if (current && current.engaged === input.engaged) return; // already so: nothing changes, nothing to audit
    await tx
      .insert(killSwitches)
      .values({ name: input.name, engaged: input.engaged, reason: input.reason, updatedBy: actor.user?.id ?? null, updatedAt: new Date() })
      .onConflictDoUpdate({
        target: killSwitches.name,
        set: { engaged: input.engaged, reason: input.reason, updatedBy: actor.user?.id ?? null, updatedAt: new Date() },
      });
    await recordAudit(tx, actor, {
      action: input.engaged ? 'kill_switch.engage' : 'kill_switch.release',
      entityType: 'kill_switch',
      entityId: input.name,
      before: { engaged: current?.engaged ?? false },
      after: { engaged: input.engaged },
      reason: input.reason,
    });
    await tx.execute(sql`select pg_notify(${CONFIG_CHANNEL}, ${`kill_switch:${input.name}`})`);
  });
  const [row] = await db
    .select(switchColumns)
    .from(killSwitches)
    .leftJoin(users, eq(users.id, killSwitches.updatedBy))
    .where(eq(killSwitches.name, input.name));
  return present(row!);
}

const flagColumns = {
  key: featureFlags.key,
  description: featureFlags.description,
  enabled: featureFlags.enabled,
  rollout: featureFlags.rollout,
  updatedAt: featureFlags.updatedAt,
};

export async function listFlags(db: Db) {
  return db.select(flagColumns).from(featureFlags).orderBy(asc(featureFlags.key));
}

/** Create or change a flag. */
export async function setFlag(
  db: Db,
  input: { key: string; enabled: boolean; rollout?: number | null; description?: string; reason: string },
  actor: Actor,
) {
  return db.transaction(async (tx) => {
    const [current] = await tx.select(flagColumns).from(featureFlags).where(eq(featureFlags.key, input.key)).for('update');
    const next = {
      key: input.key,
      enabled: input.enabled,
      rollout: input.rollout === undefined ? (current?.rollout ?? null) : input.rollout,
      description: input.description ?? current?.description ?? '',
      updatedBy: actor.user?.id ?? null,
      updatedAt: new Date(),
    };
    const [saved] = await tx
      .insert(featureFlags)
      .values(next)
      .onConflictDoUpdate({ target: featureFlags.key, set: next })
      .returning(flagColumns);
    await recordAudit(tx, actor, {
      action: current ? 'flag.update' : 'flag.create',
      entityType: 'flag',
      entityId: input.key,
      before: current ? { enabled: current.enabled, rollout: current.rollout, description: current.description } : null,
      after: { enabled: next.enabled, rollout: next.rollout, description: next.description },
      reason: input.reason,
    });
    await tx.execute(sql`select pg_notify(${CONFIG_CHANNEL}, ${`flag:${input.key}`})`);
    return saved!;
  });
}
