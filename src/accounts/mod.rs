//! Accounts: registration, login and logout, password resets and the profile page. The users,
//! sessions and passwords themselves are in `identity`.

pub mod handlers;
pub mod service;
pub mod staff;
pub mod views;
