import { pino } from 'pino';
import { startInfrastructure } from './boot.js';
import { loadEnv } from './env.js';
import { systemActor } from './lib/actor.js';
import { recordAudit } from './lib/audit.js';
import { KeyRing } from './lib/crypto.js';
import { createAuth } from './modules/auth/auth.js';
import { LEASE_KEYS_ROTATED, notifyLicenseChange } from './modules/licensing/events.js';
import { rotateLeaseKey } from './modules/licensing/leases.js';
import { ensureAdmin } from './modules/users/service.js';

const usage = `Usage: npm run cli -- <command>

Commands:
  create-admin <email> <password> [name]   create an administrator, or promote an existing account
  rotate-lease-key <reason>                sign licence leases with a new Ed25519 key; leases signed with the
                                           old one keep verifying until they expire (running instances switch at once)
`;

async function main(argv: string[]) {
  const [command, ...args] = argv;
  if (command === 'rotate-lease-key') return rotateLeaseKeyCommand(args.join(' ').trim());
  if (command !== 'create-admin') {
    process.stdout.write(usage);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const [email, password, ...nameParts] = args;
  if (!email || !password || password.length < 8) {
    process.stderr.write('create-admin needs an email and a password of at least 8 characters\n');
    return 2;
  }
  const env = loadEnv();
  const log = pino({ level: 'warn' });
  const infra = await startInfrastructure(env, log);
  try {
    const auth = createAuth({ db: infra.database.db, env, secret: infra.secrets.authSecret, mailer: infra.mailer, log: (m) => log.warn(m) });
    const result = await ensureAdmin(infra.database.db, auth, { email, password, name: nameParts.join(' ') || undefined });
    process.stdout.write(`${result.created ? 'Created' : 'Promoted'} administrator ${email} (${result.id})\n`);
    return 0;
  } finally {
    await infra.close();
  }
}

async function rotateLeaseKeyCommand(reason: string) {
  if (reason.length < 3) {
    process.stderr.write('rotate-lease-key needs a reason (at least 3 characters), kept in the audit log\n');
    return 2;
  }
  const env = loadEnv();
  const infra = await startInfrastructure(env, pino({ level: 'warn' }));
  try {
    const kid = await infra.database.db.transaction(async (tx) => {
      const next = await rotateLeaseKey(tx, new KeyRing(infra.secrets.appKeys));
      await recordAudit(tx, systemActor, { action: 'license.lease_key_rotate', entityType: 'lease_key', entityId: next, reason, after: { kid: next } });
      await notifyLicenseChange(tx, LEASE_KEYS_ROTATED);
      return next;
    });
    process.stdout.write(`Leases are now signed with ${kid}\n`);
    return 0;
  } finally {
    await infra.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
