//! Helpers shared by the account tests (each test binary uses a part of them).

#![allow(dead_code, reason = "each test binary uses a different part")]

pub mod fake_auth;
