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
}
