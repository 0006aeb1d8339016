import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers.js';
import { connect, type Database } from '../../db/client.js';
import { mailbox } from '../../modules/mail/tables.js';
import { renderMail } from '../../modules/mail/templates.js';
import { mailboxMailer, smtpMailer } from './index.js';

interface Received {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** The decoded body of the first MIME part of `type` (quoted-printable, base64 or plain). */
function part(raw: string, type: string): string {
  const start = raw.search(new RegExp(`Content-Type: ${type.replace('/', '\\/')}`, 'i'));
  if (start < 0) throw new Error(`no ${type} part in:\n${raw}`);
  const rest = raw.slice(start);
  const headerEnd = rest.indexOf('\r\n\r\n');
  const headers = rest.slice(0, headerEnd);
  let body = rest.slice(headerEnd + 4);
  const boundary = body.search(/\r\n--/);
  if (boundary >= 0) body = body.slice(0, boundary);
  const encoding = /Content-Transfer-Encoding:\s*(\S+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes: number[] = [];
    const unwrapped = body.replace(/=\r\n/g, '');
    for (let i = 0; i < unwrapped.length; i++) {
      if (unwrapped[i] === '=' && /^[0-9A-F]{2}$/i.test(unwrapped.slice(i + 1, i + 3))) {
        bytes.push(parseInt(unwrapped.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(unwrapped[i]!, 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

const header = (raw: string, name: string) =>
  new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(raw)?.[1]?.replace(/\r\n[ \t]/g, ' ');

describe('smtpMailer', () => {
  const received: Received[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith('@rejected.example')) return callback(new Error('550 No such user'));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers a message with the configured sender, recipient, subject and both bodies', async () => {
    const mailer = smtpMailer(`smtp://127.0.0.1:${port}`, 'Mintreu <no-reply@mintreu.test>');
    expect(mailer.kind).toBe('smtp');
    const html = '<p>Hello <strong>Ada</strong> — your licence is ready ✓</p>';
    try {
      await mailer.send({ to: 'ada@example.com', subject: 'Your licence key', html, text: 'Hello Ada, your licence is ready' });
    } finally {
      mailer.close();
    }

    expect(received).toHaveLength(1);
    const [mail] = received as [Received];
    expect(mail.from).toBe('no-reply@mintreu.test');
    expect(mail.to).toEqual(['ada@example.com']);
    expect(header(mail.raw, 'From')).toBe('Mintreu <no-reply@mintreu.test>');
    expect(header(mail.raw, 'To')).toBe('ada@example.com');
    expect(header(mail.raw, 'Subject')).toBe('Your licence key');
    expect(part(mail.raw, 'text/html')).toBe(html);
    expect(part(mail.raw, 'text/plain')).toBe('Hello Ada, your licence is ready');
  });

  it('rejects when the server refuses the recipient, so callers can log the failure', async () => {
    const mailer = smtpMailer(`smtp://127.0.0.1:${port}`, 'no-reply@mintreu.test');
    const before = received.length;
    try {
      await expect(
        mailer.send({ to: 'ghost@rejected.example', subject: 'x', html: '<p>x</p>', text: 'x' }),
      ).rejects.toThrow(/No such user|550/);
    } finally {
      mailer.close();
    }
    expect(received).toHaveLength(before);
  });

  it('rejects when no server is listening', async () => {
    const closed = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false });
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const deadPort = (closed.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const mailer = smtpMailer(`smtp://127.0.0.1:${deadPort}`, 'no-reply@mintreu.test');
    try {
      await expect(mailer.send({ to: 'a@example.com', subject: 'x', html: 'x', text: 'x' })).rejects.toThrow(/ECONNREFUSED|connect/i);
    } finally {
      mailer.close();
    }
  });
});

describe('mailboxMailer', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: Database;

  beforeAll(async () => {
    created = await createTestDatabase();
    database = connect(created.url, 2);
  });
  afterAll(async () => {
    await database.close();
    await created.drop();
  });

  it('keeps the message in the mailbox table instead of sending it', async () => {
    const mailer = mailboxMailer(database.db, 'Mintreu <no-reply@mintreu.test>');
    expect(mailer.kind).toBe('mailbox');
    const mail = renderMail({
      to: 'grace@example.com',
      subject: 'Confirm your email address',
      heading: 'Confirm your email address',
      paragraphs: ['Welcome, Grace.'],
      action: { label: 'Confirm', url: 'https://shop.example.com/verify?token=abc' },
    });
    await mailer.send(mail);
    mailer.close();

    const rows = await database.db.select().from(mailbox).where(eq(mailbox.to, 'grace@example.com'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: expect.stringMatching(/^\w+_/),
      from: 'Mintreu <no-reply@mintreu.test>',
      to: 'grace@example.com',
      subject: 'Confirm your email address',
      html: mail.html,
      text: mail.text,
      createdAt: expect.any(Date),
    });
  });

  it('gives every message its own row', async () => {
    const mailer = mailboxMailer(database.db, 'no-reply@mintreu.test');
    const mail = { to: 'twice@example.com', subject: 'Same', html: '<p>same</p>', text: 'same' };
    await Promise.all([mailer.send(mail), mailer.send(mail)]);
    const rows = await database.db.select({ id: mailbox.id }).from(mailbox).where(eq(mailbox.to, 'twice@example.com'));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.id).not.toBe(rows[1]!.id);
  });
});

describe('renderMail', () => {
  it('escapes HTML in user-supplied text, but not in the plain-text twin', () => {
    const name = '<script>x</script>';
    const mail = renderMail({
      to: 'x@example.com',
      subject: 'Welcome',
      heading: `Hello ${name}`,
      paragraphs: [`Welcome to Mintreu, ${name} & "friends" 'n' co.`],
      action: { label: 'Go', url: 'https://shop.example.com/a?b=1&c="2"' },
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Hello &lt;script&gt;x&lt;/script&gt;');
    expect(mail.html).toContain('Welcome to Mintreu, &lt;script&gt;x&lt;/script&gt; &amp; &quot;friends&quot; &#39;n&#39; co.');
    expect(mail.html).toContain('href="https://shop.example.com/a?b=1&amp;c=&quot;2&quot;"');
    // An attribute-breaking URL cannot inject attributes.
    expect(mail.html).not.toMatch(/href="[^"]*"2"/);
    expect(mail.text).toContain(`Hello ${name}`);
    expect(mail.text).toContain('Go: https://shop.example.com/a?b=1&c="2"');
    expect(mail).toMatchObject({ to: 'x@example.com', subject: 'Welcome' });
  });

  it('escapes the footer and omits the action block when there is none', () => {
    const mail = renderMail({ to: 'x@example.com', subject: 's', heading: 'h', paragraphs: [], footer: '<b>footer</b>' });
    expect(mail.html).toContain('&lt;b&gt;footer&lt;/b&gt;');
    expect(mail.html).not.toContain('<a ');
    expect(mail.text.endsWith('<b>footer</b>')).toBe(true);
  });
});
