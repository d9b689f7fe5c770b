// A publisher token for a person (`npm run token -- --publisher`): for the broker's audience, from
// the issuer `npm start` runs as (its gateway's origin), signed with the delivery key kept in the
// data directory. Beside a running platform whose key is another, it says so instead.
import { join } from 'node:path';
import { signDeliveryToken } from '../functions/runtime/delivery-token.js';
import { deliveryKeyFile, localSigningKey } from '../functions/runtime/token-source.js';
import { brokerAudience } from '../local/identity.js';
import { loadRouting } from '../local/routing.js';
import { targetPlatform } from './running-platform.js';

export const publisherToken = async (subject: string, expires: string): Promise<{ token: string } | { refused: string[] }> => {
  const file = deliveryKeyFile();
  const key = await localSigningKey(file);
  const platform = targetPlatform();
  if (!key) {
    const where = platform ? `run this with GOTUTO_DATA_DIR=${platform.dataDir}` : 'start npm start once on this data directory';
    return { refused: [`there is no delivery key in ${file}: ${where}`] };
  }
  if (platform?.deliveryKey && platform.deliveryKey !== key.kid) {
    return {
      refused: [`the platform's delivery key is ${platform.deliveryKey}, the one in ${file} is ${key.kid}: run this with GOTUTO_DATA_DIR=${platform.dataDir}`],
    };
  }
  // Without a running platform: the issuer npm start will be on this PORT.
  const issuer = platform?.url ?? process.env.DELIVERY_TOKEN_ISSUER ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
  const { broker } = loadRouting(process.env.GOTUTO_MANIFESTS_DIR ?? join(process.cwd(), 'knative', 'base'));
  try {
    return { token: await signDeliveryToken({ url: issuer, key }, brokerAudience(broker), { subject, lifetime: expires }) };
  } catch (error) {
    return { refused: [`--expires "${expires}" is not a duration such as 30m, 12h or 7d (${(error as Error).message})`] };
  }
};
