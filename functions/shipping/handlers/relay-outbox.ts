import { outboxRelay } from '../../runtime/definition.js';

/** Publishes what Shipping's outbox still holds after a failed or interrupted publish. */
export default outboxRelay();
