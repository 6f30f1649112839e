//! The German texts the Sitzungsdienst writes: invitation mails, substitute requests and the
//! draft of the minutes. Dates and times in Europe/Berlin, written the German way.

use super::super::model::{AgendaItem, Location, Meeting, Person};
use chrono_tz::Europe::Berlin;
pub(crate) use plenum_german::{date_time as long_date_time, short_date, short_date_time};

pub(crate) fn person_name(p: &Person) -> String {
    p.fields.display_name()
}

fn place(location: Option<&Location>) -> String {
    let Some(l) = location else {
        return "wird noch bekannt gegeben".to_owned();
    };
    let f = &l.fields;
    let town = [f.postal_code.as_deref(), f.locality.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [
        f.description.clone(),
        f.room.clone(),
        f.street_address.clone(),
        (!town.is_empty()).then_some(town),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// One agenda line: "Ö 2   Bebauungsplan Nr. 12 (Vorlage 26-0042)".
fn agenda_line(item: &AgendaItem, reference: Option<&str>) -> String {
    match reference {
        Some(r) => format!("{:<6} {} (Vorlage {r})", item.number, item.fields.title),
        None => format!("{:<6} {}", item.number, item.fields.title),
    }
}

/// The agenda as text: public part, then the non-public part.
pub(crate) fn agenda_text(items: &[(AgendaItem, Option<String>)]) -> String {
    let mut out = String::new();
    for (heading, public) in [
        ("Öffentlicher Teil", true),
        ("Nichtöffentlicher Teil", false),
    ] {
        let lines: Vec<String> = items
            .iter()
            .filter(|(i, _)| i.fields.public == public)
            .map(|(i, r)| agenda_line(i, r.as_deref()))
            .collect();
        if lines.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(heading);
        out.push('\n');
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

pub(crate) struct Invitation<'a> {
    pub meeting: &'a Meeting,
    pub committee: &'a str,
    pub location: Option<&'a Location>,
    pub agenda: &'a str,
    pub url: &'a str,
    /// A second invitation after a change.
    pub changed: bool,
}

impl Invitation<'_> {
    pub fn subject(&self) -> String {
        let day = self
            .meeting
            .fields
            .start_at
            .with_timezone(&Berlin)
            .date_naive();
        let what = if self.changed {
            "Geänderte Einladung"
        } else {
            "Einladung"
        };
        format!(
            "{what}: {} am {}",
            self.meeting.fields.name,
            short_date(day)
        )
    }

    pub fn body(&self, recipient: &str) -> String {
        let m = self.meeting;
        let intro = if self.changed {
            "die Einladung zur folgenden Sitzung hat sich geändert. Es gilt die Tagesordnung \
             unten."
        } else {
            "hiermit lade ich Sie zur folgenden Sitzung ein."
        };
        format!(
            "Guten Tag {recipient},\n\n{intro}\n\n\
             Gremium: {committee}\n\
             Sitzung: {name} ({number})\n\
             Termin:  {when}\n\
             Ort:     {place}\n\n\
             Tagesordnung\n\n{agenda}\n\
             Die Vorlagen und Unterlagen finden Sie im Ratsinformationssystem:\n{url}\n\n\
             Mit freundlichen Grüßen\nIhr Sitzungsdienst\n",
            committee = self.committee,
            name = m.fields.name,
            number = m.number,
            when = long_date_time(m.fields.start_at),
            place = place(self.location),
            agenda = self.agenda,
            url = self.url,
        )
    }
}

/// The request to a substitute.
pub(crate) fn substitute_request(
    meeting: &Meeting,
    absent: &str,
    recipient: &str,
    agenda: &str,
    url: &str,
) -> (String, String) {
    let day = meeting.fields.start_at.with_timezone(&Berlin).date_naive();
    (
        format!("Vertretung: {} am {}", meeting.fields.name, short_date(day)),
        format!(
            "Guten Tag {recipient},\n\n{absent} hat für die folgende Sitzung abgesagt. Als \
             Stellvertretung sind Sie eingeladen, teilzunehmen.\n\n\
             Sitzung: {} ({})\nTermin:  {}\n\nTagesordnung\n\n{agenda}\n\
             Die Unterlagen finden Sie im Ratsinformationssystem:\n{url}\n\n\
             Mit freundlichen Grüßen\nIhr Sitzungsdienst\n",
            meeting.fields.name,
            meeting.number,
            long_date_time(meeting.fields.start_at),
        ),
    )
}

/// German words for a result.
pub(crate) fn result_words(result: &str) -> &'static str {
    match result {
        "approved" => "einstimmig oder mehrheitlich beschlossen",
        "approved_amended" => "mit Änderungen beschlossen",
        "rejected" => "abgelehnt",
        "deferred" => "vertagt",
        "noted" => "zur Kenntnis genommen",
        "withdrawn" => "von der Tagesordnung abgesetzt",
        _ => "ohne Ergebnis",
    }
}

/// One item of the minutes: number, title, result, votes, resolution.
pub(crate) fn minutes_item(item: &AgendaItem, recused: &[String]) -> String {
    let f = &item.fields;
    let mut out = format!("{} {}\n", item.number, f.title);
    if let Some(result) = f.result {
        out.push_str(&format!("Ergebnis: {}\n", result_words(result.as_str())));
    }
    if f.votes_yes.is_some() || f.votes_no.is_some() || f.votes_abstain.is_some() {
        out.push_str(&format!(
            "Abstimmung: {} Ja, {} Nein, {} Enthaltungen\n",
            f.votes_yes.unwrap_or(0),
            f.votes_no.unwrap_or(0),
            f.votes_abstain.unwrap_or(0)
        ));
    }
    if !recused.is_empty() {
        out.push_str(&format!(
            "Wegen Befangenheit nicht beteiligt: {}\n",
            recused.join(", ")
        ));
    }
    if let Some(text) = f.resolution_text.as_deref().filter(|t| !t.is_empty()) {
        out.push_str(&format!("Beschluss:\n{text}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn dates_are_written_the_german_way_in_berlin_time() {
        // 16:00 UTC in May is 18:00 in Berlin (summer time).
        let at = DateTime::parse_from_rfc3339("2026-05-12T16:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(long_date_time(at), "Dienstag, 12. Mai 2026, 18:00 Uhr");
        assert_eq!(short_date_time(at), "12.05.2026, 18:00 Uhr");
        // And 17:00 UTC in December is 18:00 (winter time); März keeps its umlaut.
        let at = DateTime::parse_from_rfc3339("2026-12-01T17:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(long_date_time(at), "Dienstag, 1. Dezember 2026, 18:00 Uhr");
        let at = DateTime::parse_from_rfc3339("2027-03-03T17:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(long_date_time(at), "Mittwoch, 3. März 2027, 18:30 Uhr");
    }
}
