import { pino } from 'pino';
import { startInfrastructure } from './boot.js';
import { loadEnv } from './env.js';
import { createAuth } from './modules/auth/auth.js';
import { ensureAdmin } from './modules/users/service.js';

const usage = `Usage: npm run cli -- <command>

Commands:
  create-admin <email> <password> [name]   create an administrator, or promote an existing account
`;

async function main(argv: string[]) {
  const [command, ...args] = argv;
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
