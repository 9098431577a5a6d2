//! Reviews as the domain sees them: the rating, the moderation status, what a customer may
//! submit, and the summary a product page shows. Pure rules, tested here.

use crate::error::FieldErrors;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest review text, in characters.
pub const MAX_BODY_CHARS: usize = 4000;

/// Stars, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    /// Every rating, best first (the order of the distribution bars).
    pub const BEST_FIRST: [Rating; 5] = [Rating(5), Rating(4), Rating(3), Rating(2), Rating(1)];

    /// Parses what the form sent (`"1"` to `"5"`).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw.trim().parse::<u8>() {
            Ok(n @ 1..=5) => Ok(Self(n)),
            _ => Err("Choose a rating from 1 to 5 stars."),
        }
    }

    /// A stored rating; `None` outside 1..=5 (the table's check makes that impossible).
    pub fn from_stored(n: i64) -> Option<Self> {
        u8::try_from(n)
            .ok()
            .filter(|n| (1..=5).contains(n))
            .map(Self)
    }

    /// The number of stars.
    pub fn stars(self) -> u8 {
        self.0
    }

    /// As stored.
    pub fn as_i64(self) -> i64 {
        i64::from(self.0)
    }
}

/// Where a review stands in moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the studio.
    Pending,
    /// Shown on the product page.
    Approved,
    /// Kept, but not shown.
    Hidden,
}

impl Status {
    /// (stored value, label) of every status: the admin table's choices.
    pub const LABELS: &'static [(&'static str, &'static str)] = &[
        ("pending", "Pending"),
        ("approved", "Approved"),
        ("hidden", "Hidden"),
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Hidden => "hidden",
        }
    }

    /// Parses a stored value.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Status::Pending),
            "approved" => Some(Status::Approved),
            "hidden" => Some(Status::Hidden),
            _ => None,
        }
    }

    /// The status of a review a customer has just written, or edited from `previous`: back to
    /// moderation unless reviews are approved automatically (`REVIEWS_AUTO_APPROVE`). A review
    /// the studio hid always goes back to a person: editing it must not republish it.
    pub fn on_submit(previous: Option<Status>, auto_approve: bool) -> Self {
        match previous {
            Some(Status::Hidden) => Status::Pending,
            _ if auto_approve => Status::Approved,
            _ => Status::Pending,
        }
    }
}

/// The review form as typed (kept to re-render it with errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewForm {
    /// `1`..`5`.
    pub rating: String,
    /// Optional headline.
    pub title: String,
    pub body: String,
}

/// A review that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub rating: Rating,
    /// Headline, trimmed ('' for none).
    pub title: String,
    /// Text, trimmed, Windows line ends made plain.
    pub body: String,
}

impl ReviewForm {
    /// Checks the form; the errors are sentences per field (`rating`, `title`, `body`).
    pub fn parse(&self) -> Result<NewReview, FieldErrors> {
        let mut errors = FieldErrors::new();
        let rating = Rating::parse(&self.rating).map_err(|m| errors.add("rating", m));
        let title = self.title.trim();
        if title.chars().count() > MAX_TITLE_CHARS {
            errors.add("title", "Use at most 120 characters.");
        }
        let body = self.body.trim().replace("\r\n", "\n");
        let body_len = body.chars().count();
        if body_len == 0 {
            errors.add("body", "Tell other customers what you thought.");
        } else if body_len > MAX_BODY_CHARS {
            errors.add("body", "Use at most 4,000 characters.");
        }
        match rating {
            Ok(rating) if errors.is_empty() => Ok(NewReview {
                rating,
                title: title.to_owned(),
                body,
            }),
            _ => Err(errors),
        }
    }
}

/// A product's approved reviews in figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Reviews per rating: `counts[0]` has 1 star, `counts[4]` 5 stars.
    counts: [i64; 5],
}

impl Summary {
    /// From `(rating, count)` rows; ratings outside 1..=5 are ignored.
    pub fn from_counts(rows: &[(i64, i64)]) -> Self {
        let mut counts = [0; 5];
        for (rating, n) in rows {
            if let Some(r) = Rating::from_stored(*rating)
                && let Some(slot) = counts.get_mut(usize::from(r.stars()) - 1)
            {
                *slot += n;
            }
        }
        Self { counts }
    }

    /// Reviews with `rating`.
    pub fn count(&self, rating: Rating) -> i64 {
        self.counts
            .get(usize::from(rating.stars()) - 1)
            .copied()
            .unwrap_or(0)
    }

    /// Reviews in all.
    pub fn total(&self) -> i64 {
        self.counts.iter().sum()
    }

    /// The average in tenths of a star, rounded half up (43 for 4.3); `None` without reviews.
    pub fn average_tenths(&self) -> Option<i64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let stars: i64 = (1..=5).zip(self.counts).map(|(r, n)| r * n).sum();
        Some((stars * 10 + total / 2) / total)
    }

    /// The average with one decimal (`"4.3"`); `None` without reviews.
    pub fn average_label(&self) -> Option<String> {
        self.average_tenths()
            .map(|t| format!("{}.{}", t / 10, t % 10))
    }

    /// The share of reviews with `rating`, in whole percent rounded to the nearest 5 (for
    /// the bars, whose widths are CSS classes: the CSP allows no inline styles).
    pub fn bar_percent(&self, rating: Rating) -> i64 {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        let percent = self.count(rating) * 100 / total;
        ((percent + 2) / 5 * 5).clamp(0, 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(rating: &str, title: &str, body: &str) -> ReviewForm {
        ReviewForm {
            rating: rating.into(),
            title: title.into(),
            body: body.into(),
        }
    }

    #[test]
    fn ratings_are_one_to_five_stars() {
        for ok in ["1", "3", " 5 "] {
            assert!(Rating::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "0", "6", "-1", "4.5", "five", "256"] {
            assert!(Rating::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Rating::from_stored(9), None);
    }

    #[test]
    fn the_form_needs_a_rating_and_a_body_within_limits() {
        let ok = form("4", "  Lovely print ", " Great colours.\r\nFast delivery. ")
            .parse()
            .unwrap();
        assert_eq!(ok.rating.stars(), 4);
        assert_eq!(ok.title, "Lovely print");
        assert_eq!(ok.body, "Great colours.\nFast delivery.");
        assert!(form("5", "", "Short and sweet").parse().is_ok());

        let errors = form("", &"t".repeat(121), "   ").parse().unwrap_err();
        assert!(errors.get("rating").is_some());
        assert!(errors.get("title").is_some());
        assert!(errors.get("body").is_some());
        let errors = form("5", &"t".repeat(120), &"b".repeat(4001))
            .parse()
            .unwrap_err();
        assert!(errors.get("title").is_none());
        assert!(errors.get("body").is_some());
        assert!(form("5", "", &"é".repeat(4000)).parse().is_ok());
    }

    #[test]
    fn a_submission_waits_for_moderation_unless_auto_approved_and_never_hidden() {
        assert_eq!(Status::on_submit(None, false), Status::Pending);
        assert_eq!(Status::on_submit(None, true), Status::Approved);
        for previous in [Status::Pending, Status::Approved] {
            assert_eq!(Status::on_submit(Some(previous), false), Status::Pending);
            assert_eq!(Status::on_submit(Some(previous), true), Status::Approved);
        }
        assert_eq!(
            Status::on_submit(Some(Status::Hidden), true),
            Status::Pending,
            "a hidden review is not republished by editing it"
        );
        for (stored, _) in Status::LABELS {
            assert_eq!(Status::parse(stored).map(Status::as_str), Some(*stored));
        }
    }

    #[test]
    fn the_summary_averages_to_one_decimal() {
        let none = Summary::from_counts(&[]);
        assert_eq!(none.total(), 0);
        assert_eq!(none.average_label(), None);
        assert_eq!(none.bar_percent(Rating(5)), 0);

        // 5, 4, 4: 13 / 3 = 4.33 → 4.3.
        let s = Summary::from_counts(&[(5, 1), (4, 2), (7, 3)]);
        assert_eq!(s.total(), 3);
        assert_eq!(s.average_label().as_deref(), Some("4.3"));
        assert_eq!(s.count(Rating(4)), 2);
        assert_eq!(s.count(Rating(1)), 0);
        assert_eq!(s.bar_percent(Rating(4)), 65);
        assert_eq!(s.bar_percent(Rating(5)), 35);

        // 5 and 4: 4.5 exactly; 2 and 1 and 1: 1.33 → 1.3; 5, 5, 4: 4.67 → 4.7.
        assert_eq!(
            Summary::from_counts(&[(5, 1), (4, 1)]).average_label(),
            Some("4.5".into())
        );
        assert_eq!(
            Summary::from_counts(&[(2, 1), (1, 2)]).average_label(),
            Some("1.3".into())
        );
        assert_eq!(
            Summary::from_counts(&[(5, 2), (4, 1)]).average_label(),
            Some("4.7".into())
        );
        assert_eq!(Summary::from_counts(&[(3, 7)]).bar_percent(Rating(3)), 100);
    }
}
