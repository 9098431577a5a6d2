//! The staff audit log: who changed what, when, with the row before and after. Every admin
//! change, whichever domain it touches, appends here in the transaction of the change.

#![warn(missing_docs)]

pub mod describe;
pub mod store;

pub use describe::{Described, FieldChange, describe};
pub use store::{AuditEntry, AuditRow, audited_entities, insert_audit, list_audit};
