//! What every simulator is made of: a request as the simulators read it
//! ([`Call`]), the answer they build ([`Reply`]), one route table per
//! simulator ([`Route`], [`Platform`]) that both the wiremock mounting and
//! the program's server dispatch through ([`serve`]), and the pieces the
//! platforms share (Azure API Management's subscription keys, [`apim`]).
//!
//! Neither wiremock's nor hyper's types reach the simulators' code: the
//! adapters in [`mount`] and [`crate::server`] translate, so the in-process
//! and the program paths run the same code.

pub(crate) mod apim;
mod call;
pub(crate) mod mount;
pub(crate) mod route;

pub(crate) use call::{Call, Outcome, Reply, problem_body};
pub(crate) use route::{Handler, Params, Platform, Route, serve};
