-- Issue 15: booking emails carry an iCalendar invite (RFC 5545: METHOD:REQUEST, or CANCEL on
-- cancellation), sent as a `text/calendar` attachment beside the text and HTML parts.
-- Null: no invite.
alter table emails add column calendar text;
