-- Reference files a customer sends with a booking (from its link): the file is a media row in
-- the `bookings` folder, uploaded through the media path; this says whose it is. The name and
-- size are kept as sent, for the booking's pages.
create table booking_files (
    booking_id text not null references bookings (id) on delete cascade,
    media_id text not null references media (id) on delete cascade,
    file_name text not null,
    size_bytes bigint not null,
    created_at bigint not null,
    primary key (booking_id, media_id)
);
