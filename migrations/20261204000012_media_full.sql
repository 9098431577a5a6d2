-- Issue 14, item 14: a picture wider than 1280 px gets a 1280 px JPEG rendition made by the
-- analysis job, which pages serve in its place (with the 480 px card rendition in `srcset`).
-- Null: the original is the full rendition (1280 px or narrower, or not a picture).
alter table media add column full_key text;
