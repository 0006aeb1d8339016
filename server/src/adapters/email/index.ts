import nodemailer from 'nodemailer';
import type { Db } from '../../db/client.js';
import { newId } from '../../lib/ids.js';
import { mailbox } from '../../modules/mail/tables.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'mailbox';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Real SMTP through nodemailer when SMTP_URL is set. */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    kind: 'smtp',
    async send(mail) {
      await transport.sendMail({ from, ...mail });
    },
    close: () => transport.close(),
  };
}

/** Without SMTP: messages are kept in the database and read in the admin panel's Mailbox. */
export function mailboxMailer(db: Db, from: string): Mailer {
  return {
    kind: 'mailbox',
    async send(mail) {
      await db.insert(mailbox).values({ id: newId('mail'), from, ...mail });
    },
    close: () => {},
  };
}
