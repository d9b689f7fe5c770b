import { outboxRelay } from '../../runtime/definition.js';

/**
 * Notification publishes no events; its relay is here for the retention it runs: it prunes the
 * inbox entries of handled events after MESSAGING_RETENTION_DAYS.
 */
export default outboxRelay();
