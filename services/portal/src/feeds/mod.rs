//! Feed formats, as pure functions: iCalendar (RFC 5545) for meetings, Atom (RFC 4287) for
//! papers and decisions. The pages decide what goes in; these only write it correctly.

pub mod atom;
pub mod ical;
