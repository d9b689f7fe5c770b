// The Kafka client's security settings, read from the environment.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaSecurity } from './kafka.js';

describe('kafkaSecurity', () => {
  it('is plain text without authentication by default', () => {
    expect(kafkaSecurity({})).toEqual({});
  });

  it('turns on TLS, with the cluster CA when a file is named, and SASL SCRAM', () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'gotuto-ca-')), 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(kafkaSecurity({ KAFKA_TLS: 'true' })).toEqual({ ssl: true });
    expect(
      kafkaSecurity({
        KAFKA_TLS: 'true',
        KAFKA_CA_FILE: ca,
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'gotuto',
        KAFKA_SASL_PASSWORD: 's3cret',
      }),
    ).toEqual({
      ssl: { ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] },
      sasl: { mechanism: 'scram-sha-512', username: 'gotuto', password: 's3cret' },
    });
  });

  it('says what is wrong with a bad setting', () => {
    expect(() => kafkaSecurity({ KAFKA_TLS: 'yes' })).toThrow(/KAFKA_TLS must be true or false/);
    expect(() => kafkaSecurity({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      /one of plain, scram-sha-256, scram-sha-512/,
    );
    expect(() => kafkaSecurity({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
  });
});
