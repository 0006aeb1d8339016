import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { asAdmin, createTestApp, type TestApp } from '../../../test/helpers.js';

describe('audit log', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  /** A superuser connection: what an attacker with database access would have. */
  let superuser: pg.Client;

  const verify = async () =>
    (await t.app.inject({ method: 'GET', url: '/api/admin/audit/verify', headers: admin.headers })).json();

  beforeAll(async () => {
    t = await createTestApp();
    admin = await asAdmin(t.app);
    superuser = new pg.Client({ connectionString: t.database.url });
    await superuser.connect();
    for (const name of ['payments', 'downloads', 'support']) {
      for (const engaged of [true, false]) {
        await t.app.inject({
          method: 'PUT',
          url: `/api/admin/kill-switches/${name}`,
          headers: admin.headers,
          payload: { engaged, reason: `drill ${name}` },
        });
      }
    }
  });
  afterAll(async () => {
    await superuser.end();
    await t.close();
    await t.dropDatabase();
  });

  it('verifies an untouched chain', async () => {
    const result = await verify();
    expect(result).toEqual({ ok: true, checked: 7 }); // 1 admin creation + 6 switch changes
  });

  it('is append-only for the application', async () => {
    await expect(superuser.query(`update audit_events set reason = 'x'`)).rejects.toThrow(/append-only/);
    await expect(superuser.query(`delete from audit_events`)).rejects.toThrow(/append-only/);
  });

  it('pages newest first with a cursor and filters', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/api/admin/audit?limit=4', headers: admin.headers });
    const page1 = first.json();
    expect(page1.data).toHaveLength(4);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const second = await t.app.inject({
      method: 'GET',
      url: `/api/admin/audit?limit=4&cursor=${page1.nextCursor}`,
      headers: admin.headers,
    });
    const page2 = second.json();
    expect(page2.data).toHaveLength(3);
    expect(page2.nextCursor).toBeNull();
    const ids = [...page1.data, ...page2.data].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(7);
    const times = [...page1.data, ...page2.data].map((e: { at: string }) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const engages = await t.app.inject({ method: 'GET', url: '/api/admin/audit?action=kill_switch.engage', headers: admin.headers });
    expect(engages.json().data.map((e: { entityId: string }) => e.entityId).sort()).toEqual(['downloads', 'payments', 'support']);
    const prefix = await t.app.inject({ method: 'GET', url: '/api/admin/audit?action=kill_switch.', headers: admin.headers });
    expect(prefix.json().data).toHaveLength(6);
    const literal = await t.app.inject({ method: 'GET', url: '/api/admin/audit?action=kill_switch_', headers: admin.headers });
    expect(literal.json().data).toEqual([]); // `_` is not a wildcard
    const byActor = await t.app.inject({ method: 'GET', url: `/api/admin/audit?actorId=${admin.userId}`, headers: admin.headers });
    expect(byActor.json().data).toHaveLength(6);
    const future = await t.app.inject({ method: 'GET', url: '/api/admin/audit?from=2999-01-01', headers: admin.headers });
    expect(future.json().data).toEqual([]);
    const badCursor = await t.app.inject({ method: 'GET', url: '/api/admin/audit?cursor=%%%', headers: admin.headers });
    expect(badCursor.statusCode).toBe(400);
  });

  it('keeps the chain in order under concurrent writers', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.db.transaction((tx) =>
          recordAudit(tx, systemActor, { action: 'flag.update', entityType: 'flag', entityId: `f${i}`, after: { i } }),
        ),
      ),
    );
    expect(await verify()).toEqual({ ok: true, checked: 27 });
  });

  it('detects an edited row, naming it', async () => {
    const { rows } = await superuser.query<{ id: string }>(`select id from audit_events order by seq offset 3 limit 1`);
    const target = rows[0]!.id;
    await superuser.query('alter table audit_events disable trigger audit_events_no_update');
    await superuser.query(`update audit_events set after = '{"engaged": false}' where id = $1`, [target]);
    await superuser.query('alter table audit_events enable trigger audit_events_no_update');
    expect(await verify()).toEqual({ ok: false, checked: 3, brokenAt: target });
  });
});

describe('audit log deletion', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  it('names the row after a deleted one', async () => {
    t = await createTestApp();
    const admin = await asAdmin(t.app);
    for (const engaged of [true, false, true]) {
      await t.app.inject({ method: 'PUT', url: '/api/admin/kill-switches/referrals', headers: admin.headers, payload: { engaged, reason: 'drill' } });
    }
    const superuser = new pg.Client({ connectionString: t.database.url });
    await superuser.connect();
    const { rows } = await superuser.query<{ id: string }>(`select id from audit_events order by seq`);
    await superuser.query('alter table audit_events disable trigger audit_events_no_update');
    await superuser.query(`delete from audit_events where id = $1`, [rows[1]!.id]);
    await superuser.end();
    const result = (await t.app.inject({ method: 'GET', url: '/api/admin/audit/verify', headers: admin.headers })).json();
    expect(result).toEqual({ ok: false, checked: 1, brokenAt: rows[2]!.id });
  });
});
