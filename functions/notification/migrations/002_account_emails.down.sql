DELETE FROM notification.notifications WHERE kind IN ('email-verification', 'sign-up-attempted', 'login-throttled');
ALTER TABLE notification.notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notification.notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('welcome', 'order-confirmed', 'order-cancelled', 'order-shipped', 'order-delivered', 'invoice-sent',
                  'invoice-overdue'));
