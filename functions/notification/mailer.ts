// The SMTP side: one nodemailer transport per run of the sender, and what a failed send means for
// the message (refused, never handed over, or possibly accepted).
import nodemailer from 'nodemailer';
import type { SendFailure } from './notification.js';

export interface OutgoingEmail {
  /** The notification's id: the Message-ID, so a server or a person can tell a duplicate. */
  id: string;
  eventId: string;
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Resolves once the server has accepted the message; rejects with nodemailer's error otherwise. */
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** The domain of the From address, for Message-IDs: `GoTuto <no-reply@gotuto.dev>` -> `gotuto.dev`. */
export const domainOf = (from: string): string => /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'gotuto.dev';

export const messageIdOf = (id: string, from: string): string => `<${id}@${domainOf(from)}>`;

/** A transport to `url` (smtp:// or smtps://, credentials in the URL) that sends from `from`. */
export const smtpMailer = (url: string, from: string, timeoutMs: number): Mailer => {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    send: async (email) => {
      await transport.sendMail({
        from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: messageIdOf(email.id, from),
        headers: { 'X-GoTuto-Event-Id': email.eventId },
      });
    },
    close: () => transport.close(),
  };
};

interface SmtpError {
  message?: unknown;
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  permanent?: unknown;
  timeoutType?: unknown;
}

// Failures that happen before a message is handed over: resolving, connecting, the greeting,
// TLS, authentication, configuration.
const BEFORE_MESSAGE_CODES = new Set(['EDNS', 'ETLS', 'EREQUIRETLS', 'EAUTH', 'ENOAUTH', 'EOAUTH2', 'ECONFIG', 'EPROXY']);
const CONNECT_ERRNOS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const BEFORE_MESSAGE_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

/**
 * What a send error says about the message. An answer of the server (a reply code) is a refusal;
 * a failure to connect, greet, secure or authenticate means nothing was handed over; anything else
 * (the connection dropped or went silent mid-exchange, perhaps after the message's last line) may
 * hide an acceptance, so it is ambiguous.
 */
export const classifyFailure = (thrown: unknown): SendFailure => {
  const error = (thrown && typeof thrown === 'object' ? thrown : {}) as SmtpError;
  const message = typeof error.message === 'string' && error.message ? error.message : String(thrown);
  if (typeof error.responseCode === 'number' && error.responseCode >= 400) {
    const permanent = typeof error.permanent === 'boolean' ? error.permanent : error.responseCode >= 500 && error.responseCode !== 503;
    return { kind: 'rejected', permanent, message };
  }
  // Refused for its envelope before any server answer (no recipient, an invalid address).
  if (error.code === 'EENVELOPE') return { kind: 'rejected', permanent: true, message };
  if (typeof error.code === 'string' && BEFORE_MESSAGE_CODES.has(error.code)) return { kind: 'not-delivered', message };
  if (typeof error.timeoutType === 'string' && BEFORE_MESSAGE_TIMEOUTS.has(error.timeoutType)) return { kind: 'not-delivered', message };
  const errno = typeof error.originalCode === 'string' ? error.originalCode : error.code;
  if (typeof errno === 'string' && CONNECT_ERRNOS.has(errno)) return { kind: 'not-delivered', message };
  return { kind: 'ambiguous', message };
};
