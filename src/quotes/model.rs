//! What a quote is, without I/O: its states and their moves, a proposal's lines, and the
//! totals the server computes for the extras a customer ticks.

/// Where a quote is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A request, no proposal sent yet.
    New,
    /// A proposal is with the customer.
    Quoted,
    /// Accepted (and its deposit paid, when it takes one).
    Accepted,
    /// The customer said no.
    Declined,
    /// Its proposal's validity ended unanswered.
    Expired,
    /// Closed by staff.
    Closed,
}

impl State {
    /// Every state, as stored.
    pub const ALL: [State; 6] = [
        State::New,
        State::Quoted,
        State::Accepted,
        State::Declined,
        State::Expired,
        State::Closed,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Quoted => "quoted",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Expired => "expired",
            State::Closed => "closed",
        }
    }

    /// From its stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            State::New => "New request",
            State::Quoted => "Proposal sent",
            State::Accepted => "Accepted",
            State::Declined => "Declined",
            State::Expired => "Expired",
            State::Closed => "Closed",
        }
    }

    /// Still open: staff can send a proposal or close it.
    pub fn is_open(self) -> bool {
        matches!(self, State::New | State::Quoted)
    }

    /// Whether the state machine allows `self → to`.
    pub fn can_move_to(self, to: State) -> bool {
        use State::*;
        matches!(
            (self, to),
            (New | Quoted, Quoted)
                | (Quoted, Accepted | Declined | Expired)
                | (Expired, Quoted)
                | (New | Quoted | Expired, Closed)
        )
    }
}

impl Quote {
    /// Accepted by the customer, waiting for the deposit that confirms its shoot.
    pub fn awaits_deposit(&self) -> bool {
        self.state == State::Quoted && self.accepted_at.is_some()
    }
}

impl TryFrom<String> for State {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown quote state {raw:?}"))
    }
}

/// A quote as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Quote {
    pub id: String,
    /// `QT-000001`.
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub user_id: Option<String>,
    /// The package or service asked about.
    pub service: String,
    /// `YYYY-MM-DD`.
    pub preferred_from: Option<String>,
    /// `YYYY-MM-DD`, for a range.
    pub preferred_to: Option<String>,
    pub location: String,
    pub budget: String,
    pub description: String,
    /// The latest sent proposal (0: none).
    pub revision: i64,
    pub accepted_revision: Option<i64>,
    /// The extras ticked at acceptance, comma-separated positions.
    pub accepted_extras: Option<String>,
    pub accepted_total_minor: Option<i64>,
    pub accepted_deposit_minor: Option<i64>,
    pub signature_name: Option<String>,
    pub accepted_at: Option<i64>,
    pub accepted_ip: Option<String>,
    /// The shoot held for the acceptance.
    pub booking_id: Option<String>,
    /// When the balance falls due (epoch seconds).
    pub balance_due_at: Option<i64>,
    /// When the balance was paid.
    pub balance_paid_at: Option<i64>,
    /// `gateway`, or `transfer` (marked by staff).
    pub balance_paid_by: Option<String>,
    pub decline_reason: Option<String>,
    pub close_reason: Option<String>,
    pub staff_notes: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A sent proposal, without its lines.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Revision {
    pub number: i64,
    pub message: String,
    pub terms: String,
    /// `YYYY-MM-DD`, the last day it can be accepted.
    pub valid_until: String,
    pub currency: String,
    pub discount_minor: i64,
    pub tax_basis_points: i64,
    pub deposit_kind: String,
    pub deposit_value: i64,
    pub booking_type_id: Option<String>,
    pub proposed_start: Option<i64>,
    pub sent_at: i64,
}

impl Revision {
    /// Its deposit rule.
    pub fn deposit(&self) -> Deposit {
        Deposit::from_stored(&self.deposit_kind, self.deposit_value)
    }
}

/// A proposal with its lines.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub revision: Revision,
    pub lines: Vec<Line>,
}

impl Proposal {
    /// Its totals with the extras at `chosen`.
    pub fn totals(&self, chosen: &[i64]) -> Totals {
        totals(
            &self.lines,
            chosen,
            self.revision.discount_minor,
            self.revision.tax_basis_points,
            self.revision.deposit(),
        )
    }
    /// Whether it has extras to choose.
    pub fn has_extras(&self) -> bool {
        self.lines.iter().any(|l| l.optional)
    }
}

/// One message on a quote's thread.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: String,
    /// `customer` or `staff`.
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

/// How a proposal's deposit is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deposit {
    /// Nothing up front.
    None,
    /// A fixed amount (minor units), at most the total.
    Fixed(i64),
    /// A percentage of the total, 1 to 100.
    Percent(i64),
}

impl Deposit {
    /// From the stored kind and value.
    pub fn from_stored(kind: &str, value: i64) -> Self {
        match kind {
            "fixed" => Deposit::Fixed(value),
            "percent" => Deposit::Percent(value),
            _ => Deposit::None,
        }
    }

    /// The stored kind and value.
    pub fn stored(self) -> (&'static str, i64) {
        match self {
            Deposit::None => ("none", 0),
            Deposit::Fixed(v) => ("fixed", v),
            Deposit::Percent(v) => ("percent", v),
        }
    }
}

/// One line of a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1, 2, ... in the order shown.
    pub position: i64,
    pub description: String,
    pub quantity: i64,
    /// Price of one, minor units.
    pub unit_minor: i64,
    /// An extra the customer may tick.
    pub optional: bool,
}

impl Line {
    /// Quantity times unit price (saturating: the validation keeps both small).
    pub fn amount(&self) -> i64 {
        self.quantity.saturating_mul(self.unit_minor)
    }
}

/// What a proposal adds up to, for the extras chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Lines included (every required line and the chosen extras).
    pub subtotal: i64,
    pub discount: i64,
    /// Tax on the amount after discount (0 when the studio sets no rate).
    pub tax: i64,
    pub total: i64,
    pub deposit: i64,
    /// What is left after the deposit.
    pub balance: i64,
}

/// The totals of `lines` with the extras at `chosen` positions (others ignored), a discount
/// capped at the subtotal, tax in basis points rounded half up, and the deposit.
pub fn totals(
    lines: &[Line],
    chosen: &[i64],
    discount: i64,
    tax_basis_points: i64,
    deposit: Deposit,
) -> Totals {
    let subtotal: i64 = lines
        .iter()
        .filter(|l| !l.optional || chosen.contains(&l.position))
        .map(Line::amount)
        .fold(0, i64::saturating_add);
    let discount = discount.clamp(0, subtotal);
    let taxable = subtotal - discount;
    let tax = (i128::from(taxable) * i128::from(tax_basis_points) + 5_000) / 10_000;
    let tax = i64::try_from(tax).unwrap_or(i64::MAX);
    let total = taxable.saturating_add(tax);
    let deposit = match deposit {
        Deposit::None => 0,
        Deposit::Fixed(v) => v.clamp(0, total),
        Deposit::Percent(p) => {
            let d = (i128::from(total) * i128::from(p.clamp(0, 100)) + 50) / 100;
            i64::try_from(d).unwrap_or(total)
        }
    };
    Totals {
        subtotal,
        discount,
        tax,
        total,
        deposit,
        balance: total - deposit,
    }
}

/// The extras' positions among `raw` that are extras of `lines`; `Err` names the first
/// position that is not (a tampered form).
pub fn chosen_extras(lines: &[Line], raw: &[&str]) -> Result<Vec<i64>, String> {
    let mut chosen = Vec::new();
    for r in raw {
        let found = r
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| lines.iter().any(|l| l.optional && l.position == *p));
        match found {
            Some(p) if !chosen.contains(&p) => chosen.push(p),
            Some(_) => {}
            None => return Err(format!("{r:?} is not an extra of this proposal.")),
        }
    }
    chosen.sort_unstable();
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(position: i64, quantity: i64, unit: i64, optional: bool) -> Line {
        Line {
            position,
            description: format!("Line {position}"),
            quantity,
            unit_minor: unit,
            optional,
        }
    }

    #[test]
    fn extras_count_only_when_chosen() {
        let lines = [
            line(1, 1, 250_000, false),
            line(2, 2, 30_000, false),
            line(3, 1, 45_000, true),
        ];
        let base = totals(&lines, &[], 0, 0, Deposit::None);
        assert_eq!(base.subtotal, 310_000);
        let with = totals(&lines, &[3], 0, 0, Deposit::None);
        assert_eq!(with.total, 355_000);
        // A required line "chosen" changes nothing.
        assert_eq!(totals(&lines, &[1], 0, 0, Deposit::None), base);
    }

    #[test]
    fn discount_tax_and_deposit() {
        let lines = [line(1, 1, 100_000, false)];
        let t = totals(&lines, &[], 10_000, 900, Deposit::Percent(30));
        assert_eq!(
            (t.subtotal, t.discount, t.tax, t.total),
            (100_000, 10_000, 8_100, 98_100)
        );
        assert_eq!((t.deposit, t.balance), (29_430, 68_670));
        // Half a cent of tax rounds up; a discount above the subtotal is capped.
        let t = totals(&[line(1, 1, 50, false)], &[], 0, 900, Deposit::None);
        assert_eq!(t.tax, 5);
        let t = totals(&lines, &[], 500_000, 0, Deposit::Fixed(1));
        assert_eq!((t.total, t.deposit, t.balance), (0, 0, 0));
        let t = totals(&lines, &[], 0, 0, Deposit::Fixed(999_999));
        assert_eq!((t.deposit, t.balance), (100_000, 0));
    }

    #[test]
    fn only_listed_extras_can_be_chosen() {
        let lines = [line(1, 1, 10, false), line(2, 1, 10, true)];
        assert_eq!(chosen_extras(&lines, &["2", "2"]), Ok(vec![2]));
        assert!(chosen_extras(&lines, &["1"]).is_err(), "not an extra");
        assert!(chosen_extras(&lines, &["9"]).is_err(), "not a line");
        assert!(chosen_extras(&lines, &["<b>"]).is_err());
    }

    #[test]
    fn the_state_machine() {
        use State::*;
        assert!(New.can_move_to(Quoted) && Quoted.can_move_to(Quoted));
        assert!(Quoted.can_move_to(Accepted) && Quoted.can_move_to(Declined));
        assert!(!New.can_move_to(Accepted), "nothing to accept yet");
        assert!(!Accepted.can_move_to(Closed) && !Declined.can_move_to(Quoted));
        assert!(Expired.can_move_to(Closed) && Quoted.can_move_to(Expired));
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }
}
