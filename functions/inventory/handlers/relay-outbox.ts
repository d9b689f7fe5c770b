import { outboxRelay } from '../../runtime/definition.js';

/** Publishes what Inventory's outbox still holds after a failed or interrupted publish. */
export default outboxRelay();
