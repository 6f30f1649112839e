//! Feed formats, as pure functions without I/O: iCalendar (RFC 5545) for meetings, Atom
//! (RFC 4287) for papers and decisions. The pages decide what goes in; these only write it
//! correctly (escaping, line folding, time zones), by hand, as no format crate is needed for
//! output this small. `tests/feeds/validate.py` checks both with independent parsers.

pub mod atom;
pub mod ical;
