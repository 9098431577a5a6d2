-- Which client placed an order (a hash of its rate-limit key, never the address itself), so
-- that the stock held by one client's unpaid orders can be capped.
alter table orders add column client_hash text;
