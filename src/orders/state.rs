//! The order's state machine. Handlers never write status strings: they ask for a transition,
//! which is checked here and then applied as a conditional update (`where status = <from>`), so
//! of two racing requests exactly one moves the order.

use std::fmt;

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, stock held, waiting for the payment.
    PendingPayment,
    /// Paid; prints wait to be shipped.
    Paid,
    /// Shipped, or digital files delivered.
    Fulfilled,
    /// Cancelled before payment (by the customer or staff); stock given back.
    Cancelled,
    /// Not paid in time; stock given back.
    Expired,
}

/// Why an order moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    PaymentSucceeded,
    /// Staff shipped the prints, or the digital files were delivered.
    Fulfil,
    /// The customer or staff cancelled an unpaid order.
    Cancel,
    /// The stock hold ran out unpaid.
    Expire,
}

/// A transition the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("An order that is {from} cannot be {verb}.", verb = .event.verb())]
pub struct IllegalTransition {
    /// The state it was in.
    pub from: OrderStatus,
    /// What was asked.
    pub event: OrderEvent,
}

impl OrderEvent {
    fn verb(self) -> &'static str {
        match self {
            Self::PaymentSucceeded => "paid",
            Self::Fulfil => "fulfilled",
            Self::Cancel => "cancelled",
            Self::Expire => "expired",
        }
    }
}

impl OrderStatus {
    /// Every state, in display order.
    pub const ALL: [Self; 5] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Fulfilled,
        Self::Cancelled,
        Self::Expired,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// What customers and staff read.
    pub fn label(self) -> &'static str {
        match self {
            Self::PendingPayment => "Awaiting payment",
            Self::Paid => "Paid",
            Self::Fulfilled => "Fulfilled",
            Self::Cancelled => "Cancelled",
            Self::Expired => "Expired",
        }
    }

    /// The state after `event`, or why not.
    pub fn next(self, event: OrderEvent) -> Result<Self, IllegalTransition> {
        use OrderEvent as E;
        use OrderStatus as S;
        match (self, event) {
            (S::PendingPayment, E::PaymentSucceeded) => Ok(S::Paid),
            (S::PendingPayment, E::Cancel) => Ok(S::Cancelled),
            (S::PendingPayment, E::Expire) => Ok(S::Expired),
            (S::Paid, E::Fulfil) => Ok(S::Fulfilled),
            (from, event) => Err(IllegalTransition { from, event }),
        }
    }

    /// Whether the order still holds stock it has not been paid for.
    pub fn holds_unpaid_stock(self) -> bool {
        self == Self::PendingPayment
    }

    /// The events staff may trigger from this state (the admin shows only these).
    pub fn staff_events(self) -> &'static [OrderEvent] {
        match self {
            Self::PendingPayment => &[OrderEvent::Cancel],
            Self::Paid => &[OrderEvent::Fulfil],
            _ => &[],
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label().to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderEvent as E;
    use super::OrderStatus as S;

    const EVENTS: [E; 4] = [E::PaymentSucceeded, E::Fulfil, E::Cancel, E::Expire];

    #[test]
    fn the_happy_path_and_its_exits() {
        assert_eq!(S::PendingPayment.next(E::PaymentSucceeded), Ok(S::Paid));
        assert_eq!(S::Paid.next(E::Fulfil), Ok(S::Fulfilled));
        assert_eq!(S::PendingPayment.next(E::Cancel), Ok(S::Cancelled));
        assert_eq!(S::PendingPayment.next(E::Expire), Ok(S::Expired));
    }

    #[test]
    fn everything_else_is_refused() {
        let legal = [
            (S::PendingPayment, E::PaymentSucceeded),
            (S::PendingPayment, E::Cancel),
            (S::PendingPayment, E::Expire),
            (S::Paid, E::Fulfil),
        ];
        for from in S::ALL {
            for event in EVENTS {
                let result = from.next(event);
                assert_eq!(
                    result.is_ok(),
                    legal.contains(&(from, event)),
                    "{from:?} + {event:?} gave {result:?}"
                );
            }
        }
        // Terminal states stay terminal; a paid order cannot be cancelled or expire.
        for terminal in [S::Fulfilled, S::Cancelled, S::Expired] {
            assert!(EVENTS.iter().all(|e| terminal.next(*e).is_err()));
        }
        assert!(S::Paid.next(E::Expire).is_err());
        assert!(S::Paid.next(E::Cancel).is_err());
    }

    #[test]
    fn names_round_trip_and_errors_read_well() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("shipped"), None);
        let err = S::Fulfilled.next(E::Cancel).unwrap_err();
        assert_eq!(
            err.to_string(),
            "An order that is fulfilled cannot be cancelled."
        );
    }

    #[test]
    fn staff_see_only_legal_moves() {
        for from in S::ALL {
            for event in from.staff_events() {
                assert!(from.next(*event).is_ok());
            }
        }
    }
}
