-- The account emails Customer asks for: the email verification code, the notice to an address's
-- owner that someone tried to sign up with it, and the alert about failed sign-ins.
ALTER TABLE notification.notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notification.notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('welcome', 'order-confirmed', 'order-cancelled', 'order-shipped', 'order-delivered', 'invoice-sent',
                  'invoice-overdue', 'email-verification', 'sign-up-attempted', 'login-throttled'));
