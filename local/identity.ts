// The local platform as its own token issuer, standing in for the cluster's service-account issuer
// and Knative Eventing's sender identity: a signing key kept in the data directory, its discovery
// document and JWKS at the gateway, DELIVERY_TOKEN_ISSUER set to the gateway's origin, a token for
// the subscriber's audience on each delivery, and a publisher token file the functions send to the
// broker's ingress (as a projected service-account token volume would hold in a cluster).
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { verifyDelivery } from '../functions/runtime/delivery-auth.js';
import { DISCOVERY_PATH, JWKS_PATH, issuerDocument, signDeliveryToken, type SigningKey } from '../functions/runtime/delivery-token.js';
import type { Headers } from '../functions/runtime/http.js';
import type { Logger } from '../functions/runtime/log.js';
import { LOCAL_SENDER, deliveryHeaders, deliveryKeyFile, localSigningKey } from '../functions/runtime/token-source.js';
import type { PlatformRoute } from './gateway.js';
import type { Destination } from './routing.js';

/** Knative's audience of a Broker: what its ingress expects of a publisher's token. */
export const brokerAudience = (broker: { name: string; namespace: string }): string => `eventing.knative.dev/broker/${broker.namespace}/${broker.name}`;

/** The publisher token file in a data directory (PUBLISHER_TOKEN_FILE). */
export const publisherTokenFile = (dataDir: string): string => join(dataDir, 'publisher-token');

const PUBLISHER_TOKEN_LIFETIME_S = 3600;
/** Rewritten well before it expires, as the kubelet refreshes a projected token at 80% of its life. */
const PUBLISHER_REFRESH_MS = 10 * 60_000;

export interface LocalIdentity {
  key: SigningKey;
  /** Discovery and JWKS, served by the gateway. */
  routes: PlatformRoute[];
  /** Names the gateway's origin as the issuer, writes the publisher token file and keeps it fresh. */
  serve(origin: string): Promise<void>;
  /** Checks a publisher's token at the broker's ingress. */
  checkPublisher(headers: Headers): Promise<void>;
  stop(): void;
}

const json = (body: unknown) => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });

/** Sets up the issuer of the platform on `dataDir` (the key created on first start, mode 0600). */
export const startLocalIdentity = async (dataDir: string, broker: { name: string; namespace: string }, log: Logger): Promise<LocalIdentity> => {
  const key = (await localSigningKey(deliveryKeyFile(dataDir), true)) as SigningKey;
  const audience = brokerAudience(broker);
  const file = publisherTokenFile(dataDir);
  let origin = '';
  let timer: NodeJS.Timeout | undefined;

  const writePublisherToken = async () => {
    const token = await signDeliveryToken({ url: origin, key }, audience, { subject: LOCAL_SENDER, lifetime: PUBLISHER_TOKEN_LIFETIME_S });
    // Written aside then renamed: a publisher never reads half a token.
    writeFileSync(`${file}.new`, token, { mode: 0o600 });
    renameSync(`${file}.new`, file);
  };

  return {
    key,
    routes: [
      ...[DISCOVERY_PATH, JWKS_PATH].map((path) => ({ method: 'GET', path, handle: () => Promise.resolve(json(issuerDocument({ url: origin, key }, path))) })),
    ],
    serve: async (url) => {
      origin = url;
      process.env.DELIVERY_TOKEN_ISSUER = url;
      await writePublisherToken();
      process.env.PUBLISHER_TOKEN_FILE = file;
      timer = setInterval(() => {
        writePublisherToken().catch((error: unknown) => log.error('the publisher token could not be renewed', { file, error: String(error) }));
      }, PUBLISHER_REFRESH_MS);
      timer.unref();
    },
    checkPublisher: async (headers) => {
      await verifyDelivery(headers, audience);
    },
    stop: () => clearInterval(timer),
  };
};

/** The audience of a destination: the one it names, else its Service's name (none for a bare URL). */
export const audienceOf = (destination: Destination): string | undefined => destination.audience ?? destination.service;

/**
 * The headers of a delivery (a Trigger's, a dead letter's hand-over, a schedule's tick): a token
 * for the destination's audience, as Knative's sender identity attaches one.
 */
export const tokenHeadersFor = async (destination: Destination): Promise<Record<string, string>> => {
  const audience = audienceOf(destination);
  return audience ? deliveryHeaders(audience) : {};
};
