-- Reverts 001: drops Notification's tables.
DROP TABLE IF EXISTS notification.notifications;
DROP TABLE IF EXISTS notification.contacts;
