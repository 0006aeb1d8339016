import { createHash } from 'node:crypto';
import { killSwitchNames, type KillSwitchName } from '@mintreu/contracts';
import pg from 'pg';
import { AppError } from './errors.js';
import type { Db } from '../db/client.js';
import { featureFlags, killSwitches } from './config-tables.js';

export { killSwitchNames, type KillSwitchName };

/** The channel every instance listens on; the payload says what changed. */
export const CONFIG_CHANNEL = 'mintreu_config';
/** Catalogue changes (products, categories, plans): only caches care. Same name as catalog/events.ts. */
export const CATALOG_CHANNEL = 'mintreu_catalog';
/** Licence changes (state, seats, activations, signing keys): the licence cache listens. Same name as licensing/events.ts. */
export const LICENSE_CHANNEL = 'mintreu_licenses';
/** API key changes (created, rotated, revoked, rules edited): the gateway's key cache listens. Same name as api-access/events.ts. */
export const API_KEY_CHANNEL = 'mintreu_api_keys';
const channels = [CONFIG_CHANNEL, CATALOG_CHANNEL, LICENSE_CHANNEL, API_KEY_CHANNEL];

interface FlagState {
  enabled: boolean;
  rollout: number | null;
}

/**
 * Kill switches and feature flags held in memory, so the hot path never queries for them.
 * A change is committed together with `pg_notify(CONFIG_CHANNEL)`; every instance LISTENs and
 * reloads, so all agree within a second. After a lost connection it reconnects and reloads.
 */
export class LiveConfig {
  switches: Record<KillSwitchName, boolean> = Object.fromEntries(killSwitchNames.map((n) => [n, false])) as Record<
    KillSwitchName,
    boolean
  >;
  private flags = new Map<string, FlagState>();
  private listener: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  /** The public status body, rebuilt on every reload so GET /api/status serialises nothing new. */
  statusBody = '';
  /**
   * Bumped on every change this instance hears of (and after a reconnect, when changes may have been
   * missed): what rendered pages show depends on both the catalogue and the kill switches.
   */
  generation = 0;
  private releaseListeners: ((name: KillSwitchName) => void)[] = [];
  private channelListeners = new Map<string, ((payload: string) => void)[]>();
  private reconnectListeners: (() => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly url: string,
    private readonly version: string,
    private readonly log: (message: string, error?: unknown) => void = () => {},
  ) {
    this.rebuildStatus();
  }

  async start(): Promise<void> {
    await this.reload();
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.listener?.end().catch(() => {});
    this.listener = null;
  }

  async reload(): Promise<void> {
    const [switchRows, flagRows] = await Promise.all([
      this.db.select({ name: killSwitches.name, engaged: killSwitches.engaged }).from(killSwitches),
      this.db
        .select({ key: featureFlags.key, enabled: featureFlags.enabled, rollout: featureFlags.rollout })
        .from(featureFlags),
    ]);
    const released: KillSwitchName[] = [];
    for (const row of switchRows) {
      if (!(killSwitchNames as readonly string[]).includes(row.name)) continue;
      const name = row.name as KillSwitchName;
      if (this.switches[name] && !row.engaged) released.push(name);
      this.switches[name] = row.engaged;
    }
    this.flags = new Map(flagRows.map((row) => [row.key, { enabled: row.enabled, rollout: row.rollout }]));
    this.rebuildStatus();
    for (const name of released) for (const listener of this.releaseListeners) listener(name);
  }

  /** Work that waited on a switch (licences for paid orders) resumes when an operator releases it. */
  onRelease(listener: (name: KillSwitchName) => void): void {
    this.releaseListeners.push(listener);
  }

  /** Calls `listener` with the payload of every NOTIFY on `channel` (one of the channels this class listens on). */
  onNotify(channel: string, listener: (payload: string) => void): void {
    if (!channels.includes(channel)) throw new Error(`LiveConfig does not listen on ${channel}`);
    this.channelListeners.set(channel, [...(this.channelListeners.get(channel) ?? []), listener]);
  }

  /** After a lost connection notifications may have been missed: whoever caches must forget. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  isEngaged(name: KillSwitchName): boolean {
    return this.switches[name];
  }

  /** Refuses new work of a paused capability: 503 KILL_SWITCH_ACTIVE naming the switch. */
  assertReleased(name: KillSwitchName): void {
    if (this.switches[name]) {
      throw new AppError('KILL_SWITCH_ACTIVE', `The ${name} capability is paused by an operator. Please try again later.`, {
        details: { switch: name },
      });
    }
  }

  /** On for everyone, or for a stable `rollout`% of users (anonymous visitors only at 100%). */
  isFlagEnabled(key: string, userId?: string | null): boolean {
    const flag = this.flags.get(key);
    if (!flag?.enabled) return false;
    if (flag.rollout === null || flag.rollout >= 100) return true;
    if (!userId) return false;
    return bucket(key, userId) < flag.rollout;
  }

  flagKeys(): string[] {
    return [...this.flags.keys()];
  }

  private rebuildStatus() {
    this.statusBody = JSON.stringify({ killSwitches: this.switches, version: this.version });
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    const reconnect = (error?: unknown) => {
      if (this.stopped || this.listener !== client) return;
      this.listener = null;
      this.log('config listener lost its connection; reconnecting', error);
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect());
    client.on('notification', (message) => {
      for (const listener of this.channelListeners.get(message.channel) ?? []) listener(message.payload ?? '');
      if (message.channel === LICENSE_CHANNEL || message.channel === API_KEY_CHANNEL) return;
      this.generation++;
      if (message.channel === CONFIG_CHANNEL) this.reload().catch((error) => this.log('config reload failed', error));
    });
    try {
      await client.connect();
      for (const channel of channels) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.listener = client;
  }

  private scheduleReconnect() {
    this.retry = setTimeout(() => {
      this.listen()
        .then(() => {
          this.generation++;
          for (const listener of this.reconnectListeners) listener();
          return this.reload();
        })
        .catch((error) => {
          this.log('config listener reconnect failed', error);
          if (!this.stopped) this.scheduleReconnect();
        });
    }, 500);
  }
}

/** A user's stable position (0–99) for one flag. */
export function bucket(key: string, userId: string): number {
  return createHash('sha256').update(`${key}:${userId}`).digest().readUInt32BE(0) % 100;
}
