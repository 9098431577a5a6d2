//! The payment and refund state machines. Like the order's (`orders::state`), they are pure:
//! the store applies a transition with a conditional update, so state only moves forward and
//! a duplicate or late event changes nothing.

use std::fmt;

/// Where one payment attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Checkout started, no money yet.
    Unpaid,
    /// Captured in full.
    Paid,
    /// Some of the captured amount went back.
    PartiallyRefunded,
    /// All of it went back.
    Refunded,
    /// Declined, expired or abandoned.
    Failed,
}

/// What happened to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The gateway captured the money.
    Captured,
    /// The gateway declined, or the attempt expired.
    Failed,
    /// Refunds now total `refunded` of `captured` (cumulative, from the gateway or our rows).
    Refunded {
        /// Everything refunded so far.
        refunded: i64,
        /// The captured amount.
        captured: i64,
    },
}

/// A payment transition the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("A payment that is {from} cannot take {event:?}.")]
pub struct IllegalPaymentTransition {
    /// The state it was in.
    pub from: PaymentStatus,
    /// What was asked.
    pub event: PaymentEvent,
}

impl PaymentStatus {
    /// Every state.
    pub const ALL: [Self; 5] = [
        Self::Unpaid,
        Self::Paid,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "unpaid",
            Self::Paid => "paid",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unpaid => "Not paid yet",
            Self::Paid => "Paid",
            Self::PartiallyRefunded => "Partly refunded",
            Self::Refunded => "Refunded",
            Self::Failed => "Failed",
        }
    }

    /// Whether money was captured (refunds are possible).
    pub fn is_captured(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyRefunded | Self::Refunded)
    }

    /// The state after `event`, or why not.
    ///
    /// A capture reported for an attempt we had already marked failed (our hold ran out just
    /// as the customer paid) is still recorded: the gateway is the truth about money.
    pub fn next(self, event: PaymentEvent) -> Result<Self, IllegalPaymentTransition> {
        use PaymentEvent as E;
        use PaymentStatus as S;
        let refused = Err(IllegalPaymentTransition { from: self, event });
        match (self, event) {
            (S::Unpaid | S::Failed, E::Captured) => Ok(S::Paid),
            (S::Unpaid, E::Failed) => Ok(S::Failed),
            (S::Paid | S::PartiallyRefunded, E::Refunded { refunded, captured })
                if refunded > 0 && captured > 0 =>
            {
                if refunded >= captured {
                    Ok(S::Refunded)
                } else {
                    Ok(S::PartiallyRefunded)
                }
            }
            _ => refused,
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one refund is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    /// Asked for; the gateway has not confirmed it.
    Pending,
    /// The money is on its way back.
    Succeeded,
    /// The gateway could not refund.
    Failed,
    /// Cancelled before it went through.
    Canceled,
}

impl RefundStatus {
    /// Every state.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Succeeded, Self::Failed, Self::Canceled];

    /// The stored name (Stripe's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// Parses a stored name or a Stripe refund status (`requires_action` is still pending).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "requires_action" => Some(Self::Pending),
            _ => Self::ALL.into_iter().find(|s| s.as_str() == raw),
        }
    }

    /// Whether moving to `to` is allowed: only out of `Pending`, never back.
    pub fn can_become(self, to: Self) -> bool {
        self == Self::Pending && to != Self::Pending
    }

    /// Whether the amount counts against what may still be refunded.
    pub fn counts(self) -> bool {
        matches!(self, Self::Pending | Self::Succeeded)
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentEvent as E;
    use super::PaymentStatus as S;
    use super::RefundStatus as R;

    #[test]
    fn capture_then_refunds_move_forward() {
        let paid = S::Unpaid.next(E::Captured).unwrap();
        assert_eq!(paid, S::Paid);
        let partly = paid
            .next(E::Refunded {
                refunded: 300,
                captured: 1000,
            })
            .unwrap();
        assert_eq!(partly, S::PartiallyRefunded);
        let more = partly
            .next(E::Refunded {
                refunded: 600,
                captured: 1000,
            })
            .unwrap();
        assert_eq!(more, S::PartiallyRefunded);
        let all = more
            .next(E::Refunded {
                refunded: 1000,
                captured: 1000,
            })
            .unwrap();
        assert_eq!(all, S::Refunded);
        // Nothing moves a refunded payment.
        for event in [
            E::Captured,
            E::Failed,
            E::Refunded {
                refunded: 1000,
                captured: 1000,
            },
        ] {
            assert!(all.next(event).is_err());
        }
    }

    #[test]
    fn failures_and_refused_moves() {
        assert_eq!(S::Unpaid.next(E::Failed), Ok(S::Failed));
        assert!(
            S::Paid.next(E::Failed).is_err(),
            "a capture is never undone by a failure"
        );
        assert!(
            S::Paid.next(E::Captured).is_err(),
            "a second capture is refused"
        );
        assert!(
            S::Unpaid
                .next(E::Refunded {
                    refunded: 1,
                    captured: 1
                })
                .is_err()
        );
        assert!(
            S::Paid
                .next(E::Refunded {
                    refunded: 0,
                    captured: 10
                })
                .is_err()
        );
        // A capture after we gave up on the attempt is still money received.
        assert_eq!(S::Failed.next(E::Captured), Ok(S::Paid));
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn refunds_leave_pending_once() {
        assert!(R::Pending.can_become(R::Succeeded));
        assert!(R::Pending.can_become(R::Failed));
        assert!(!R::Succeeded.can_become(R::Failed));
        assert!(!R::Succeeded.can_become(R::Pending));
        assert!(!R::Failed.can_become(R::Succeeded));
        assert_eq!(R::parse("requires_action"), Some(R::Pending));
        assert!(R::Pending.counts() && R::Succeeded.counts() && !R::Failed.counts());
    }
}
