//! Text helpers: template filling, German articles and cases for body names, e-mail local
//! parts, amounts and dates.

use chrono::NaiveDate;
use std::fmt::Write as _;

/// Values for the placeholders of data.rs templates.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub city: String,
    pub kind: String,
    pub street: String,
    pub street2: String,
    pub street3: String,
    pub flur: String,
    pub nr: u32,
    pub k: u32,
    pub district: String,
    pub year: i32,
    pub school: String,
    pub creek: String,
    pub quarter: u32,
    pub gem: String,
    pub n: u32,
    pub n2: u32,
    pub amt: String,
    pub amt_gen: String,
    pub partner: String,
    pub cost: String,
}

/// Replaces `{name}` placeholders; unknown names are kept as they are.
pub fn fill(template: &str, ctx: &Ctx) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = &after[..close];
        match key {
            "city" => out.push_str(&ctx.city),
            "kind" => out.push_str(&ctx.kind),
            "street" => out.push_str(&ctx.street),
            "street2" => out.push_str(&ctx.street2),
            "street3" => out.push_str(&ctx.street3),
            "flur" => out.push_str(&ctx.flur),
            "district" => out.push_str(&ctx.district),
            "school" => out.push_str(&ctx.school),
            "creek" => out.push_str(&ctx.creek),
            "gem" => out.push_str(&ctx.gem),
            "amt" => out.push_str(&ctx.amt),
            "amt_gen" => out.push_str(&ctx.amt_gen),
            "partner" => out.push_str(&ctx.partner),
            "cost" => out.push_str(&ctx.cost),
            "nr" => write_num(&mut out, i64::from(ctx.nr)),
            "k" => write_num(&mut out, i64::from(ctx.k)),
            "n" => write_num(&mut out, i64::from(ctx.n)),
            "n2" => write_num(&mut out, i64::from(ctx.n2)),
            "quarter" => write_num(&mut out, i64::from(ctx.quarter)),
            "year" => write_num(&mut out, i64::from(ctx.year)),
            "next" => write_num(&mut out, i64::from(ctx.year) + 1),
            "prev" => write_num(&mut out, i64::from(ctx.year) - 1),
            "y5" => write_num(&mut out, i64::from(ctx.year) + 5),
            "school_year" => {
                let _ = write!(
                    out,
                    "{}/{:02}",
                    ctx.year + 1,
                    (ctx.year + 2).rem_euclid(100)
                );
            }
            _ => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

fn write_num(out: &mut String, n: i64) {
    let _ = write!(out, "{n}");
}

/// The word of a body's name that carries gender and case: the first word that is neither a
/// truncated compound ("Haupt-") nor "und".
fn head_word(name: &str) -> (usize, &str) {
    let mut pos = 0;
    for word in name.split(' ') {
        if !(word.ends_with('-') || word == "und") {
            return (pos, word);
        }
        pos += word.len() + 1;
    }
    (0, name)
}

const FEMININE: &[&str] = &[
    "ei",
    "wehr",
    "thek",
    "schule",
    "vertretung",
    "kommission",
    "fraktion",
    "versammlung",
    "gruppe",
    "konferenz",
    "stelle",
    "stiftung",
];

/// Whether a body's name is grammatically feminine ("die Bezirksvertretung").
pub fn is_feminine(name: &str) -> bool {
    let (_, word) = head_word(name);
    let lower = word.to_lowercase();
    FEMININE.iter().any(|s| lower.ends_with(s))
}

fn is_neuter(name: &str) -> bool {
    let (_, word) = head_word(name);
    let lw = word.to_lowercase();
    lw.ends_with("ium")
        || lw.ends_with("amt")
        || lw.ends_with("ment")
        || (lw.ends_with("at") && !lw.ends_with("rat"))
}

/// Genitive with article: "des Bauausschusses", "der Bezirksvertretung Nord", "des Rates der
/// Stadt Lindenfeld", "des Kinder- und Jugendrates".
pub fn genitive(name: &str) -> String {
    if is_feminine(name) {
        return format!("der {name}");
    }
    let (pos, word) = head_word(name);
    let lw = word.to_lowercase();
    let inflected = if let Some(stem) = word.strip_suffix("iver") {
        // An adjective before "Rat": "Kriminalpräventiver Rat" → "Kriminalpräventiven Rates".
        let rest = &name[pos + word.len()..];
        let rest = genitive_noun_rest(rest);
        return format!("des {}{stem}iven{rest}", &name[..pos]);
    } else if lw.ends_with("ss")
        || lw.ends_with("kreis")
        || lw.ends_with("rat")
        || lw.ends_with("amt")
    {
        format!("{word}es")
    } else if lw.ends_with("ium")
        || lw.ends_with("büro")
        || lw.ends_with("at")
        || lw.ends_with("bereich")
        || lw.ends_with("ment")
    {
        format!("{word}s")
    } else {
        word.to_string()
    };
    format!(
        "des {}{inflected}{}",
        &name[..pos],
        &name[pos + word.len()..]
    )
}

fn genitive_noun_rest(rest: &str) -> String {
    // " Rat" → " Rates"
    let trimmed = rest.trim_start();
    let (noun, tail) = match trimmed.find(' ') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, ""),
    };
    if noun.is_empty() {
        return rest.to_string();
    }
    format!(" {noun}es{tail}")
}

/// Nominative with capitalised article: "Der Bauausschuss", "Die Bezirksvertretung Nord".
pub fn nominative(name: &str) -> String {
    if is_feminine(name) {
        format!("Die {name}")
    } else if is_neuter(name) {
        format!("Das {name}")
    } else if let Some(stem) = name.strip_suffix("iver Rat") {
        format!("Der {stem}ive Rat")
    } else {
        format!("Der {name}")
    }
}

/// ASCII local part for e-mail addresses: "jürgen.müller-lüdenscheidt" → "juergen.mueller-luedenscheidt".
pub fn ascii_slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'é' | 'è' | 'É' => out.push('e'),
            'ı' | 'İ' => out.push('i'),
            'ş' | 'Ş' => out.push('s'),
            'ç' | 'Ç' | 'ć' => out.push('c'),
            'ğ' => out.push('g'),
            ' ' => out.push('-'),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '.' => {
                out.push(c.to_ascii_lowercase())
            }
            _ => {}
        }
    }
    out
}

/// "1.250.000 €".
pub fn euros(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + 6);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" €");
    out
}

/// "12.03.2026".
pub fn date_de(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(genitive("Bauausschuss"), "des Bauausschusses");
        assert_eq!(
            genitive("Haupt- und Finanzausschuss"),
            "des Haupt- und Finanzausschusses"
        );
        assert_eq!(
            genitive("Rat der Stadt Lindenfeld"),
            "des Rates der Stadt Lindenfeld"
        );
        assert_eq!(
            genitive("Ausschuss für Stadtentwicklung"),
            "des Ausschusses für Stadtentwicklung"
        );
        assert_eq!(
            genitive("Bezirksvertretung Nord"),
            "der Bezirksvertretung Nord"
        );
        assert_eq!(genitive("SPD-Fraktion"), "der SPD-Fraktion");
        assert_eq!(
            genitive("Kinder- und Jugendrat"),
            "des Kinder- und Jugendrates"
        );
        assert_eq!(
            genitive("Kriminalpräventiver Rat"),
            "des Kriminalpräventiven Rates"
        );
        assert_eq!(
            genitive("Arbeitskreis Radverkehr"),
            "des Arbeitskreises Radverkehr"
        );
        assert_eq!(
            nominative("Bezirksvertretung Süd"),
            "Die Bezirksvertretung Süd"
        );
        assert_eq!(nominative("Integrationsrat"), "Der Integrationsrat");
        assert_eq!(genitive("Jugendamt"), "des Jugendamtes");
        assert_eq!(genitive("Stadtkämmerei"), "der Stadtkämmerei");
        assert_eq!(
            genitive("Fachbereich 51 – Jugend und Familie"),
            "des Fachbereichs 51 – Jugend und Familie"
        );
        assert_eq!(
            genitive("Amt für Schule und Bildung"),
            "des Amtes für Schule und Bildung"
        );
        assert_eq!(ascii_slug("Jürgen Weiß"), "juergen-weiss");
        assert_eq!(euros(1_250_000), "1.250.000 €");
        assert_eq!(euros(950), "950 €");
        let ctx = Ctx {
            street: "Lindenstraße".into(),
            nr: 47,
            year: 2026,
            ..Ctx::default()
        };
        assert_eq!(
            fill("Nr. {nr} an der {street} {next} {x}", &ctx),
            "Nr. 47 an der Lindenstraße 2027 {x}"
        );
    }
}
