// Where this process gets delivery tokens when it delivers itself (the local brokers, the local
// schedules, the dead-letter replay): in a cluster from the TokenRequest API for the pod's own
// service account; locally from the platform's own issuer (the key in the data directory, the
// issuer named by DELIVERY_TOKEN_ISSUER, both set up by `npm start`).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { config } from './config.js';
import { issuerTokenSource, signingKeyIn, type Issuer, type SigningKey, type TokenSource } from './delivery-token.js';
import { serviceAccount, tokenRequestSource } from './token-request.js';

/** The local issuer's signing key file in a data directory. */
export const deliveryKeyFile = (dataDir = config.dataDir()): string => join(dataDir, 'delivery-signing-key.json');

/** Who the local platform's tokens say sends (a service-account-like subject). */
export const LOCAL_SENDER = 'system:serviceaccount:local:gotuto-platform';

const keys = new Map<string, SigningKey>();

/** The local issuer's key, loaded once per file; created when `create` (what `npm start` does). */
export const localSigningKey = async (file = deliveryKeyFile(), create = false): Promise<SigningKey | undefined> => {
  const held = keys.get(file);
  if (held) return held;
  const key = await signingKeyIn(file, create);
  if (key) keys.set(file, key);
  return key;
};

/** Tokens of the local issuer at DELIVERY_TOKEN_ISSUER with the key in the data directory. */
const localTokenSource = (): TokenSource => {
  let current: Issuer | undefined;
  const source = issuerTokenSource(() => current as Issuer, LOCAL_SENDER);
  return async (audience) => {
    const url = process.env.DELIVERY_TOKEN_ISSUER;
    const key = await localSigningKey();
    if (!url || !key)
      throw new Error(
        `no local delivery token issuer: DELIVERY_TOKEN_ISSUER is ${url ? 'set' : 'unset'}, ${deliveryKeyFile()} ${key ? 'exists' : 'does not exist'}`,
      );
    if (current?.url !== url || current.key !== key) current = { url, key };
    return source(audience);
  };
};

let chosen: TokenSource | undefined;

/** This process's token source, chosen once: the pod's service account when it has one. */
export const senderTokens = (): TokenSource => {
  if (!chosen) {
    const account = serviceAccount();
    chosen = account ? tokenRequestSource(account) : localTokenSource();
  }
  return chosen;
};

/** `Authorization` for a delivery to `audience`. */
export const deliveryHeaders = async (audience: string): Promise<Record<string, string>> => ({ authorization: `Bearer ${await senderTokens()(audience)}` });

// The publisher token, read again whenever the file changes: the kubelet (or `npm start`) renews it.
let publisher: { file: string; token: string; mtimeMs: number } | undefined;

/** `Authorization` for publishing to K_SINK: the token in PUBLISHER_TOKEN_FILE; none when unset. */
export const publisherHeaders = (): Record<string, string> => {
  const file = process.env.PUBLISHER_TOKEN_FILE;
  if (!file) return {};
  const { mtimeMs } = statSync(file);
  if (publisher?.file !== file || publisher.mtimeMs !== mtimeMs) publisher = { file, token: readFileSync(file, 'utf8').trim(), mtimeMs };
  return { authorization: `Bearer ${publisher.token}` };
};
