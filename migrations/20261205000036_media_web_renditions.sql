-- A film's renditions for the browser (src/media/renditions.rs), made by ffmpeg when a project
-- version asks for them: `web_key`, the film re-encoded to start playing at once (moov first,
-- `+faststart`) at a capped bitrate; `preview_key`, a smaller one with PREVIEW written across it,
-- which the screening room plays while the quote's balance is owed. The original stays for
-- download.
alter table media add column web_key text;
alter table media add column preview_key text;
