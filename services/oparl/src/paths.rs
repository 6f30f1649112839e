//! The OParl address space of a tenant, below `<base>oparl/v1.1/`: the Body (`body`), one
//! external list per kind (`papers`, `agenda-items`, …), one address per object
//! (`paper/<id>`), and the meetings of an organization (`organization/<id>/meetings`).
//!
//! Addresses use ids only, so they never change (OParl §2.4). A request for a non-canonical
//! form (upper-case id, trailing slash) is redirected to the canonical one.

use plenum_tenants::council::model::Kind;
use plenum_urls::TenantBase;
use url::Url;
use uuid::Uuid;

/// The segment of an object's address.
pub(crate) fn singular(kind: Kind) -> &'static str {
    match kind {
        Kind::LegislativeTerm => "legislative-term",
        Kind::Organization => "organization",
        Kind::Person => "person",
        Kind::Membership => "membership",
        Kind::Location => "location",
        Kind::Meeting => "meeting",
        Kind::AgendaItem => "agenda-item",
        Kind::Paper => "paper",
        Kind::Consultation => "consultation",
        Kind::File => "file",
    }
}

/// The segment of a kind's external list.
pub(crate) fn plural(kind: Kind) -> &'static str {
    match kind {
        Kind::LegislativeTerm => "legislative-terms",
        Kind::Organization => "organizations",
        Kind::Person => "persons",
        Kind::Membership => "memberships",
        Kind::Location => "locations",
        Kind::Meeting => "meetings",
        Kind::AgendaItem => "agenda-items",
        Kind::Paper => "papers",
        Kind::Consultation => "consultations",
        Kind::File => "files",
    }
}

/// Which objects a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every object of the kind in the body.
    Body,
    /// The meetings of one organization (`Organization.meeting`).
    OrganizationMeetings(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Body,
    List(Kind, Scope),
    Object(Kind, Uuid),
}

/// What a path below `oparl/v1.1/` asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Route(Route),
    /// The same resource at its canonical path (below `oparl/v1.1/`).
    Redirect(String),
    NotFound,
}

pub(crate) fn parse(rest: &str) -> Parsed {
    if let Some(trimmed) = rest.strip_suffix('/') {
        return match parse(trimmed) {
            Parsed::Route(route) => Parsed::Redirect(path(route)),
            other => other,
        };
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let kind_of = |segment: &str, name: fn(Kind) -> &'static str| {
        Kind::ALL.into_iter().find(|k| name(*k) == segment)
    };
    let route = match segments.as_slice() {
        ["body"] => Some(Route::Body),
        [list] => kind_of(list, plural).map(|k| Route::List(k, Scope::Body)),
        [kind, id] => match (kind_of(kind, singular), Uuid::parse_str(id)) {
            (Some(kind), Ok(id)) => Some(Route::Object(kind, id)),
            _ => None,
        },
        ["organization", id, "meetings"] => Uuid::parse_str(id)
            .ok()
            .map(|id| Route::List(Kind::Meeting, Scope::OrganizationMeetings(id))),
        _ => None,
    };
    match route {
        Some(route) if path(route) == rest => Parsed::Route(route),
        Some(route) => Parsed::Redirect(path(route)),
        None => Parsed::NotFound,
    }
}

/// The canonical path of a route below `oparl/v1.1/`.
pub(crate) fn path(route: Route) -> String {
    match route {
        Route::Body => "body".to_owned(),
        Route::List(kind, Scope::Body) => plural(kind).to_owned(),
        Route::List(_, Scope::OrganizationMeetings(id)) => format!("organization/{id}/meetings"),
        Route::Object(kind, id) => format!("{}/{id}", singular(kind)),
    }
}

/// The absolute URLs of one tenant's OParl objects and lists.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    pub base: TenantBase,
}

impl Urls {
    pub fn route(&self, route: Route) -> Url {
        self.base.oparl(&path(route))
    }

    pub fn body(&self) -> Url {
        self.route(Route::Body)
    }

    pub fn object(&self, kind: Kind, id: Uuid) -> Url {
        self.route(Route::Object(kind, id))
    }

    pub fn list(&self, kind: Kind) -> Url {
        self.route(Route::List(kind, Scope::Body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_parses_back_from_its_path() {
        let id = Uuid::new_v4();
        let mut routes = vec![
            Route::Body,
            Route::List(Kind::Meeting, Scope::OrganizationMeetings(id)),
        ];
        for kind in Kind::ALL {
            routes.push(Route::List(kind, Scope::Body));
            routes.push(Route::Object(kind, id));
        }
        for route in routes {
            assert_eq!(parse(&path(route)), Parsed::Route(route), "{route:?}");
        }
    }

    #[test]
    fn non_canonical_forms_redirect_and_the_rest_is_not_found() {
        let id = "5f0c3f1e-8a5b-4c59-9d47-2f1e6b7d9a10";
        let upper = id.to_uppercase();
        assert_eq!(
            parse(&format!("paper/{upper}")),
            Parsed::Redirect(format!("paper/{id}"))
        );
        assert_eq!(
            parse(&format!("paper/{}", id.replace('-', ""))),
            Parsed::Redirect(format!("paper/{id}"))
        );
        assert_eq!(parse("papers/"), Parsed::Redirect("papers".into()));
        assert_eq!(parse("papers/x"), Parsed::NotFound);
        assert_eq!(parse("vorlagen"), Parsed::NotFound);
        assert_eq!(parse(&format!("papers/{id}")), Parsed::NotFound);
        assert_eq!(parse(""), Parsed::NotFound);
    }
}
