//! Demo data: a deterministic generator of a plausible German municipality.
//!
//! [`plan`] builds a [`Plan`], a plain in-memory picture of one municipality (terms,
//! organizations, persons, memberships, rooms, meetings with agendas, papers and their
//! Beratungsfolge), referencing everything by index. It knows nothing of Plenum's database;
//! the loader maps a plan onto the council domain. The same scale, seed and day always give the
//! same plan.
//!
//! Domain rules the plan keeps (and `plan.rs` tests): every Beratungsfolge ends in exactly one
//! Entscheidung or Kenntnisnahme; its steps take place in meetings of their own committee on
//! strictly increasing dates, never before the paper's date; non-public papers are only
//! discussed under non-public items; meetings are on working days between 14:00 and 22:00;
//! paper numbers are consecutive per year; memberships lie within their organization's
//! lifetime and a legislative term; vote counts never exceed the participants.

mod data;
mod load;
mod model;
mod plan;
pub mod rng;
mod text;

pub use load::{DEFAULT_SEED, SIGN_IN_MEMBER_EMAIL, run};
pub use model::*;
pub use plan::plan;
