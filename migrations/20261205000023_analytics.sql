-- The reports read money by when it moved: payments by capture, refunds by issue. Without
-- these, every report of a week read every payment and refund there ever was.
create index payments_paid_at_idx on payments (paid_at);
create index refunds_created_at_idx on refunds (created_at);
