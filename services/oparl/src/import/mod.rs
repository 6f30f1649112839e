//! `plenum import oparl`: brings a municipality's history over from an OParl server or a
//! saved crawl. Work in progress (branch importer-wip).
#![allow(dead_code)]

mod fetch;
mod normalize;
mod walk;
