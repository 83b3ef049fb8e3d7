//! Helpers shared by the account tests.

pub mod fake_auth;
