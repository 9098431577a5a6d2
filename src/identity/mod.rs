//! Who someone is: users and their roles, email addresses and password rules, Argon2id
//! hashing, and the stored sessions and reset tokens. No pages here: the session middleware
//! (`http::session`) and every domain read identities from this module; the account pages and
//! flows that create and change them are in `accounts`.

#![warn(missing_docs)]

pub mod model;
pub mod password;
pub mod store;
