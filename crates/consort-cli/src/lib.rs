//! # consort-cli
//!
//! The `consort` command and the main job behind it ([`pipeline::run`]): fit large and small
//! models on a dataset, ensemble them, and write a report people and programs can read.

#![warn(missing_docs)]

pub mod pipeline;
