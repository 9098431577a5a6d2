-- Issue 14, item 15: a video's showreel clip, made by the analysis job (its first seconds,
-- small, without sound), which the home page's hero loops. Null: none (not a video, not
-- analysed yet, or ffmpeg missing).
alter table media add column reel_key text;
