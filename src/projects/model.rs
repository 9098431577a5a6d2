//! A project, its deliverables and their versions, and the states a project moves through.

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Shot, being edited.
    InProduction,
    /// Cuts are with the client.
    InReview,
    /// The client approved the final versions.
    Approved,
    /// The files are the client's to download.
    Delivered,
    /// Done and put away.
    Archived,
}

impl State {
    /// Every state, in order.
    pub const ALL: [State; 5] = [
        State::InProduction,
        State::InReview,
        State::Approved,
        State::Delivered,
        State::Archived,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            State::InProduction => "in_production",
            State::InReview => "in_review",
            State::Approved => "approved",
            State::Delivered => "delivered",
            State::Archived => "archived",
        }
    }

    /// From its stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            State::InProduction => "In production",
            State::InReview => "In review",
            State::Approved => "Approved",
            State::Delivered => "Delivered",
            State::Archived => "Archived",
        }
    }

    /// Where staff may move a project from here, with the button's words: forward one step,
    /// back to production from review (changes requested), and an archived project delivered
    /// again.
    pub fn moves(self) -> &'static [(State, &'static str)] {
        match self {
            State::InProduction => &[(State::InReview, "Send for review")],
            State::InReview => &[
                (State::Approved, "Mark approved"),
                (
                    State::InProduction,
                    "Back to production (changes requested)",
                ),
            ],
            State::Approved => &[(State::Delivered, "Mark delivered")],
            State::Delivered => &[(State::Archived, "Archive")],
            State::Archived => &[(State::Delivered, "Deliver again")],
        }
    }

    /// Whether staff may move a project from `self` to `to`.
    pub fn may_move_to(self, to: State) -> bool {
        self.moves().iter().any(|(s, _)| *s == to)
    }
}

/// What a deliverable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A film (the master, a web version, a teaser).
    Film,
    /// A set of stills.
    Still,
    /// Raw footage, project files: an archive.
    Archive,
    /// A document (a release form, a script).
    Document,
}

impl Kind {
    /// Every kind, as the form offers them.
    pub const ALL: [Kind; 4] = [Kind::Film, Kind::Still, Kind::Archive, Kind::Document];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Film => "film",
            Kind::Still => "still",
            Kind::Archive => "archive",
            Kind::Document => "document",
        }
    }

    /// From its stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Film => "Film",
            Kind::Still => "Stills",
            Kind::Archive => "Archive",
            Kind::Document => "Document",
        }
    }
}

/// A project.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Project {
    /// Its id.
    pub id: String,
    /// What staff and the client call it.
    pub title: String,
    /// The client's name.
    pub name: String,
    /// The client's email address (lowercased).
    pub email: String,
    /// The client's account, when they have one.
    pub user_id: Option<String>,
    /// The quote it came from.
    pub quote_id: Option<String>,
    /// As stored: see [`Project::state`].
    pub state: String,
    /// Bumped by every change (a form shown before a change is refused after it).
    pub version: i64,
    /// The client's link is signed over it (`screening::link_path`); a new link raises it.
    pub link_generation: i64,
    /// How long downloads stay open once the project is delivered.
    pub download_days: i64,
    /// How many times each file may be downloaded (completed downloads).
    pub download_cap: i64,
    /// When downloads close; none until the project is delivered.
    pub downloads_until: Option<i64>,
    /// 1 when downloads wait for the quote's balance (a project from a quote).
    pub balance_first: i64,
    /// When it was started.
    pub created_at: i64,
    /// Its last change.
    pub updated_at: i64,
}

impl Project {
    /// Where it stands (a value the check constraint refused cannot be stored).
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::InProduction)
    }
}

/// A deliverable, with its versions newest first.
#[derive(Debug, Clone)]
pub struct Deliverable {
    /// Its id.
    pub id: String,
    /// What it is called ("Wedding film, 12 minutes").
    pub title: String,
    /// As stored: see [`Kind::parse`].
    pub kind: String,
    /// Its versions, newest first.
    pub versions: Vec<Version>,
}

/// One version of a deliverable.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    /// Its id.
    pub id: String,
    /// The deliverable it belongs to.
    pub deliverable_id: String,
    /// 1, 2, …: shown as "v1", "v2".
    pub number: i64,
    /// The file, in the media library.
    pub media_id: String,
    /// What changed ("after feedback: shorter intro").
    pub note: String,
    /// When it was added.
    pub created_at: i64,
    /// The client's answer, as stored: see [`Decision::parse`].
    pub decision: Option<String>,
    /// What the client wrote with it.
    pub decision_message: String,
    /// When the client answered.
    pub decided_at: Option<i64>,
}

impl Version {
    /// The client's answer, if they gave one.
    pub fn decision(&self) -> Option<Decision> {
        self.decision.as_deref().and_then(Decision::parse)
    }
}

/// The client's answer to a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// This version is the one.
    Approved,
    /// Another version, please: the message says what to change.
    ChangesRequested,
}

impl Decision {
    /// As stored and posted.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::ChangesRequested => "changes_requested",
        }
    }

    /// From its stored or posted form.
    pub fn parse(raw: &str) -> Option<Self> {
        [Decision::Approved, Decision::ChangesRequested]
            .into_iter()
            .find(|d| d.as_str() == raw)
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Decision::Approved => "Approved",
            Decision::ChangesRequested => "Changes requested",
        }
    }
}

/// A comment on a version: the client's (at a time of the film, or on the whole of it), or a
/// staff member's reply to one.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    /// Its id.
    pub id: String,
    /// The project.
    pub project_id: String,
    /// The version it is about.
    pub version_id: String,
    /// Milliseconds into the film; none for the whole version.
    pub at_ms: Option<i64>,
    /// What was written.
    pub body: String,
    /// 1 for a staff member's reply, 0 for the client's comment.
    pub by_staff: i64,
    /// The staff member's email, or the client's name.
    pub author: String,
    /// The client comment a reply answers.
    pub reply_to: Option<String>,
    /// When staff first replied to it or resolved it.
    pub answered_at: Option<i64>,
    /// When staff marked it resolved.
    pub resolved_at: Option<i64>,
    /// When it was written.
    pub created_at: i64,
}

impl Comment {
    /// Whether a staff member wrote it.
    pub fn is_staff(&self) -> bool {
        self.by_staff != 0
    }
}

/// The longest film a time code can point into: a day.
const TIME_MAX_SECONDS: i64 = 24 * 3600;

/// A time code as the client types it (`83`, `1:23`, `01:23`, `1:02:03`) in milliseconds, or
/// none when the field is empty (a comment on the whole version); the sentence to show when it
/// does not read.
pub fn parse_time(raw: &str) -> Result<Option<i64>, &'static str> {
    const WRONG: &str = "Write the time as minutes and seconds, such as 1:23 (or 1:02:03 with hours), or leave it empty.";
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = raw.split(':').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(WRONG);
    }
    let mut seconds: i64 = 0;
    for (i, part) in parts.iter().enumerate() {
        let value: i64 = part.parse().map_err(|_| WRONG)?;
        // Every part after the first is minutes or seconds of the one before.
        if i > 0 && value >= 60 {
            return Err(WRONG);
        }
        seconds = seconds * 60 + value;
    }
    if seconds > TIME_MAX_SECONDS {
        return Err("That is past the end of any film: check the time.");
    }
    Ok(Some(seconds * 1000))
}

/// A time code as the room shows it: `01:23`, or `1:02:03` past the hour.
pub fn format_time(ms: i64) -> String {
    let total = ms.max(0) / 1000;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_codes_read_as_people_type_them() {
        assert_eq!(parse_time(""), Ok(None));
        assert_eq!(parse_time(" 83 "), Ok(Some(83_000)));
        assert_eq!(parse_time("1:23"), Ok(Some(83_000)));
        assert_eq!(parse_time("01:23"), Ok(Some(83_000)));
        assert_eq!(parse_time("1:02:03"), Ok(Some(3_723_000)));
        assert_eq!(parse_time("0:00"), Ok(Some(0)));
        for wrong in [
            "1:60", "a", "1::2", "-1", "1.5", "1:2:3:4", ":30", "99999999",
        ] {
            assert!(parse_time(wrong).is_err(), "{wrong}");
        }
        assert!(parse_time("25:00:00").is_err());
        assert_eq!(format_time(83_000), "01:23");
        assert_eq!(format_time(83_999), "01:23");
        assert_eq!(format_time(3_723_000), "1:02:03");
        assert_eq!(format_time(0), "00:00");
    }
}
