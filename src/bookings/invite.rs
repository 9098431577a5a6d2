//! A booking as an iCalendar invite (RFC 5545, with the iTIP methods of RFC 5546): one
//! `VEVENT` whose `UID` stays the booking's for life and whose `SEQUENCE` is the booking's
//! (raised on every change the customer is told about), sent as `METHOD:REQUEST` while the
//! booking stands and `METHOD:CANCEL` when it is cancelled. Times are UTC, which every
//! calendar imports the same way.

use icalendar::{Calendar, Component as _, Event, EventLike as _, Property};
use jiff::Timestamp;

use super::model::{Booking, Status};
use crate::identity::model::Email;

/// What the invite asks of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add or update the event.
    Request,
    /// Remove it.
    Cancel,
}

/// `20261207T020000Z`.
fn utc(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// The booking's invite. `uid_domain` is the site's host (the UID is `<booking id>@<host>`),
/// `organizer` the studio's mailbox, `manage_url` the booking's own page, `now` the stamp.
pub fn invite(
    b: &Booking,
    method: Method,
    uid_domain: &str,
    organizer: &Email,
    manage_url: &str,
    now: i64,
) -> String {
    let (method_name, status) = match method {
        Method::Request if b.status == Status::Confirmed => ("REQUEST", "CONFIRMED"),
        Method::Request => ("REQUEST", "TENTATIVE"),
        Method::Cancel => ("CANCEL", "CANCELLED"),
    };
    let place = b.location().map_or("", |l| l.label());
    let event = Event::new()
        .uid(&format!("{}@{uid_domain}", b.id))
        .sequence(u32::try_from(b.sequence.max(0)).unwrap_or(u32::MAX))
        .summary(&format!("{} with FlashStudio", b.type_name))
        .description(&format!(
            "Booking {}. See, change or cancel it: {manage_url}",
            b.reference
        ))
        .location(place)
        .add_property("DTSTAMP", utc(now))
        .add_property("DTSTART", utc(b.starts_at))
        .add_property("DTEND", utc(b.ends_at))
        .add_property("STATUS", status)
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", organizer.as_str()))
                .add_parameter("CN", "FlashStudio")
                .done(),
        )
        // ATTENDEE may repeat (RFC 5545 3.8.4.1): a multi-property.
        .append_multi_property(
            Property::new("ATTENDEE", format!("mailto:{}", b.email))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("RSVP", "FALSE")
                .done(),
        )
        .done();
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//FlashStudio//Bookings//EN"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", method_name))
        .push(event);
    calendar.done().to_string()
}
