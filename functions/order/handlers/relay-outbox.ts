import { outboxRelay } from '../../runtime/definition.js';

/** Publishes what Order's outbox still holds after a failed or interrupted publish. */
export default outboxRelay();
