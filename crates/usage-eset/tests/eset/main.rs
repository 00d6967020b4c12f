//! Integration tests of the ESET client against a loopback wiremock server.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod auth;
mod common;
mod concurrent;
mod decode;
mod exchange;
mod paging;
mod retries;
mod secrets;
