//! Engine tests on a real Docker daemon, with small fixture images on the bootstrapped base.
//!
//! They never skip: without a daemon they fail with the message saying how to start one
//! (`.ci/run` starts it). Every fixture has a unique tag and is removed afterwards.

mod bootstrap;
mod build;
mod client;
mod debs;
mod fetch;
mod git;
mod kill;
mod programs;
mod sizes;
