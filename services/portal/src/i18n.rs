//! The portal's words, through Project Fluent: German first (the product language), English
//! second. Messages live in `locales/<lang>.ftl`; a missing English message falls back to the
//! German one, a missing German one shows its id (a test keeps both files complete).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    #[cfg(test)]
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

const SOURCES: [(Lang, &str); 2] = [
    (Lang::De, include_str!("../locales/de.ftl")),
    (Lang::En, include_str!("../locales/en.ftl")),
];

pub struct Translations {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

impl Translations {
    /// Parses the built-in message files. They are part of the binary and checked by tests,
    /// so an error here is a bug in them.
    pub fn load() -> Translations {
        let bundles = SOURCES
            .iter()
            .map(|(lang, source)| {
                let resource =
                    FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(_, errors)| {
                        panic!("locales/{}.ftl: {errors:?}", lang.code())
                    });
                let id = lang.code().parse().expect("a valid language id");
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Unicode isolation marks would end up inside HTML attributes and feeds.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .unwrap_or_else(|errors| panic!("locales/{}.ftl: {errors:?}", lang.code()));
                (*lang, bundle)
            })
            .collect();
        Translations { bundles }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        &self
            .bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .expect("every language has a bundle")
            .1
    }

    /// The message `id` in `lang`, with `args` filled in.
    pub fn text(&self, lang: Lang, id: &str, args: &[(&str, String)]) -> String {
        for lang in [lang, Lang::De] {
            let bundle = self.bundle(lang);
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut fluent_args = FluentArgs::new();
                for (name, value) in args {
                    // Numbers stay numbers so that plural rules apply.
                    match value.parse::<i64>() {
                        Ok(n) => fluent_args.set(*name, FluentValue::from(n)),
                        Err(_) => fluent_args.set(*name, FluentValue::from(value.clone())),
                    }
                }
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, Some(&fluent_args), &mut errors)
                    .into_owned();
            }
        }
        id.to_owned()
    }

    /// Whether `lang` has its own message `id`.
    #[cfg(test)]
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
            .collect()
    }

    #[test]
    fn both_languages_have_every_message() {
        let t = Translations::load();
        for (_, source) in SOURCES {
            for id in ids(source) {
                for lang in Lang::ALL {
                    assert!(t.has(lang, id), "{id} missing in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn arguments_and_plurals() {
        let t = Translations::load();
        assert_eq!(
            t.text(Lang::De, "search-total", &[("count", "1".into())]),
            "1 Treffer"
        );
        assert_eq!(
            t.text(Lang::En, "search-total", &[("count", "2".into())]),
            "2 results"
        );
        assert_eq!(t.text(Lang::En, "no-such-message", &[]), "no-such-message");
    }
}
