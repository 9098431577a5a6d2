//! Accounts: users and roles, passwords, server-side sessions, password resets and the
//! profile page.

pub mod handlers;
pub mod model;
pub mod password;
pub mod service;
pub mod store;
pub mod views;
