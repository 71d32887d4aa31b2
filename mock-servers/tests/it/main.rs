//! The simulators, spoken to in raw HTTP and JSON as any pipeline would.

// Tests unwrap and index freely: a failing test is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod anpr;
#[path = "../support/driver.rs"]
mod driver;
mod gpd;
mod io;
mod load;
mod openapi;
mod program;
mod routes;
mod spid;
