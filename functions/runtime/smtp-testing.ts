// A real SMTP server for tests (smtp-server on a loopback port) that keeps what it accepts, and a
// minimal MIME reader of those messages: what every context whose functions send mail tests against.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll } from 'vitest';
import { drainAll } from './lifecycle.js';

export interface ReceivedMail {
  envelopeTo: string[];
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  text: string;
  html: string;
  raw: string;
}

/**
 * How the server answers the end of a message: accept it; refuse it for now (451) or for good (550);
 * or never answer (the server may have kept it: the client cannot know).
 */
export type SmtpMode = 'accept' | 'refuse-transient' | 'refuse-permanent' | 'silent';

export interface TestSmtpServer {
  url: string;
  mode: SmtpMode;
  /** Messages the server accepted, in order. */
  accepted: ReceivedMail[];
  /** Messages whose data the server received, whatever it answered. */
  attempts: number;
  /** Accepted messages with this Message-ID. */
  withMessageId(messageId: string): ReceivedMail[];
  /** Accepted messages to this address. */
  to(address: string): ReceivedMail[];
  stop(): Promise<void>;
  /** Listens again, on the same port. */
  start(): Promise<void>;
}

const decodeWords = (value: string): string =>
  value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_all, _charset: string, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replaceAll('_', ' ')),
  );

const decodeQuotedPrintable = (text: string): string => {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
};

const splitHeaders = (entity: string): { headers: Record<string, string>; body: string } => {
  const at = entity.search(/\r?\n\r?\n/);
  const head = at < 0 ? entity : entity.slice(0, at);
  const body = at < 0 ? '' : entity.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
};

const decodeBody = (headers: Record<string, string>, body: string): string => {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
};

/** A minimal reading of a MIME message: its headers, and its text/plain and text/html parts decoded. */
export const parseMail = (raw: string, envelopeTo: string[] = []): ReceivedMail => {
  const { headers, body } = splitHeaders(raw);
  const parts: Array<{ headers: Record<string, string>; body: string }> = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      parts.push(splitHeaders(chunk.replace(/^\r?\n/, '')));
    }
  } else {
    parts.push({ headers, body });
  }
  const part = (type: string) => {
    const found = parts.find((p) => (p.headers['content-type'] ?? 'text/plain').startsWith(type));
    return found ? decodeBody(found.headers, found.body).replace(/\r?\n$/, '') : '';
  };
  return {
    envelopeTo,
    headers,
    subject: headers.subject ?? '',
    messageId: headers['message-id'] ?? '',
    text: part('text/plain').replace(/\r\n/g, '\n'),
    html: part('text/html').replace(/\r\n/g, '\n'),
    raw,
  };
};

/**
 * A real SMTP server on a loopback port for this test file, and SMTP_URL pointing to it (the
 * sender reads it on every run). `mode` says how it answers each message.
 */
export const useSmtpServer = (): TestSmtpServer => {
  let port = 0;
  let server: SMTPServer | undefined;
  const smtp: TestSmtpServer = {
    url: '',
    mode: 'accept',
    accepted: [],
    attempts: 0,
    withMessageId: (messageId) => smtp.accepted.filter((m) => m.messageId === messageId),
    to: (address) => smtp.accepted.filter((m) => m.envelopeTo.includes(address)),
    start: async () => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        disableReverseLookup: true,
        logger: false,
        closeTimeout: 200,
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            smtp.attempts += 1;
            const refuse = (message: string, responseCode: number) => callback(Object.assign(new Error(message), { responseCode }));
            switch (smtp.mode) {
              case 'accept':
                smtp.accepted.push(
                  parseMail(
                    Buffer.concat(chunks).toString('utf8'),
                    session.envelope.rcptTo.map((r) => r.address),
                  ),
                );
                return callback(null);
              case 'refuse-transient':
                return refuse('mailbox busy, try again later', 451);
              case 'refuse-permanent':
                return refuse('no such mailbox', 550);
              case 'silent':
                return undefined;
              default: {
                const unknown: never = smtp.mode;
                throw new Error(`unknown mode ${String(unknown)}`);
              }
            }
          });
        },
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.server.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
      port = (listening.server.address() as AddressInfo).port;
      smtp.url = `smtp://127.0.0.1:${port}`;
    },
    stop: async () => {
      const stopping = server;
      server = undefined;
      if (stopping) await new Promise<void>((resolve) => stopping.close(() => resolve()));
    },
  };
  beforeAll(async () => {
    await smtp.start();
    process.env.SMTP_URL = smtp.url;
  });
  afterAll(async () => {
    await drainAll(10_000);
    await smtp.stop();
  });
  return smtp;
};
