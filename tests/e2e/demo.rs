//! The demo municipality as loaded: its domain rules hold in the database, read back through
//! the council API.

use crate::council::query;
use chrono::Datelike;
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
use plenum_tenants::council::model::*;
use plenum_tenants::council::{CouncilApi, ListQuery, Relation, agenda_numbers};
use plenum_tenants::{TenantLookup, TenantsApi};
use plenum_tests::fresh_database;
use std::collections::{BTreeMap, HashMap};

async fn all(council: &dyn CouncilApi, tenant: uuid::Uuid, kind: Kind) -> Vec<Object> {
    let staff = Identity::operator_service("test");
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let next = ListQuery {
            after: after.clone(),
            ..query(kind)
        };
        let page = council.list(&staff, tenant, next).await.unwrap();
        out.extend(page.items);
        if !page.has_next_page {
            return out;
        }
        after = page.cursors.last().cloned();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_small_demo_keeps_its_domain_rules_in_the_database() {
    let db = fresh_database().await;
    let settings = db.settings();
    let app = plenum::app::build(&settings).await.unwrap();
    app.database
        .as_ref()
        .unwrap()
        .migrate_control()
        .await
        .unwrap();
    let report = plenum::demo::run(&settings, "demo", plenum::demo::Scale::Small, 7)
        .await
        .unwrap();
    assert!(report.contains("objects loaded"), "{report}");
    let again = plenum::demo::run(&settings, "demo", plenum::demo::Scale::Small, 7)
        .await
        .unwrap();
    assert!(
        again.contains("nothing loaded"),
        "a second run leaves the tenant alone"
    );

    let staff = Identity::operator_service("test");
    let tenant = app
        .tenants
        .as_ref()
        .unwrap()
        .resolve(&staff, TenantLookup::Slug("demo".into()))
        .await
        .unwrap()
        .id;
    let council = app.council.clone().unwrap();

    // The development provider's `demo-rat` signs in as a current committee member.
    let persons = all(council.as_ref(), tenant, Kind::Person).await;
    let rat = persons
        .iter()
        .find_map(|o| match o {
            Object::Person(p)
                if p.fields.email.as_deref() == Some(plenum::demo::SIGN_IN_MEMBER_EMAIL) =>
            {
                Some(p.meta.id)
            }
            _ => None,
        })
        .expect("the sign-in member");
    let organizations: HashMap<uuid::Uuid, OrganizationKind> =
        all(council.as_ref(), tenant, Kind::Organization)
            .await
            .into_iter()
            .filter_map(|o| match o {
                Object::Organization(org) => Some((org.meta.id, org.fields.organization_kind)),
                _ => None,
            })
            .collect();
    assert!(
        all(council.as_ref(), tenant, Kind::Membership).await.iter().any(|o| matches!(o,
            Object::Membership(m) if m.fields.person_id == rat && m.fields.end_date.is_none()
                && organizations.get(&m.fields.organization_id) == Some(&OrganizationKind::Committee))),
        "demo-rat is a current committee member"
    );

    // The load ends with fresh planner statistics (never-analyzed tables have reltuples -1).
    let raw = db.raw().await;
    let analyzed: i64 = raw
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname IN ('paper', 'meeting', 'agenda_item') \
             AND c.reltuples > 0",
            [format!("t_{}", tenant.simple()).into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(analyzed, 3, "the demo load refreshes statistics");

    // References run 1..n per year without gaps; supplements add /k to their main paper's.
    let papers: Vec<Paper> = all(council.as_ref(), tenant, Kind::Paper)
        .await
        .into_iter()
        .filter_map(|o| Paper::try_from(o).ok())
        .collect();
    assert!(papers.len() > 50);
    let mut per_year: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
    let by_id: HashMap<_, _> = papers.iter().map(|p| (p.meta.id, p)).collect();
    for p in &papers {
        match p.fields.main_paper_id {
            Some(main) => assert!(
                p.reference
                    .starts_with(&format!("{}/", by_id[&main].reference))
            ),
            None => {
                let (yy, seq) = p.reference.split_once('-').unwrap();
                assert_eq!(yy.parse::<i32>().unwrap(), p.fields.paper_date.year() % 100);
                per_year
                    .entry(p.fields.paper_date.year())
                    .or_default()
                    .push(seq.parse().unwrap());
            }
        }
    }
    for (year, mut seqs) in per_year {
        seqs.sort();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u32).collect::<Vec<_>>(),
            "references of {year}"
        );
    }

    // Agendas read back in order, numbered as the service numbers them; meetings fall on
    // working days.
    let meetings: Vec<Meeting> = all(council.as_ref(), tenant, Kind::Meeting)
        .await
        .into_iter()
        .filter_map(|o| Meeting::try_from(o).ok())
        .collect();
    let ids: Vec<_> = meetings.iter().map(|m| m.meta.id).collect();
    let agenda = council
        .related(&staff, tenant, Relation::MeetingAgenda, ids)
        .await
        .unwrap();
    let mut items: HashMap<uuid::Uuid, Vec<AgendaItem>> = HashMap::new();
    for o in agenda {
        let a = AgendaItem::try_from(o).unwrap();
        items.entry(a.fields.meeting_id).or_default().push(a);
    }
    for m in &meetings {
        let local = m.fields.start_at.with_timezone(&chrono_tz::Europe::Berlin);
        assert!(
            local.weekday().number_from_monday() <= 5,
            "{} on a weekend",
            m.number
        );
        let list = items.remove(&m.meta.id).unwrap_or_default();
        let keys: Vec<(bool, bool)> = list
            .iter()
            .map(|a| (a.fields.public, a.fields.sub_item))
            .collect();
        let numbers: Vec<&str> = list.iter().map(|a| a.number.as_str()).collect();
        assert_eq!(numbers, agenda_numbers(&keys), "agenda of {}", m.number);
        let orders: Vec<i32> = list.iter().map(|a| a.item_order).collect();
        assert_eq!(orders, (0..list.len() as i32).collect::<Vec<_>>());
    }

    // Every Beratungsfolge ends in a decision or a notice.
    let consultations = council
        .related(
            &staff,
            tenant,
            Relation::PaperConsultations,
            papers.iter().map(|p| p.meta.id).collect(),
        )
        .await
        .unwrap();
    let mut last: HashMap<uuid::Uuid, Consultation> = HashMap::new();
    for o in consultations {
        let c = Consultation::try_from(o).unwrap();
        last.insert(c.fields.paper_id, c);
    }
    assert!(!last.is_empty());
    for c in last.values() {
        assert!(matches!(
            c.fields.role,
            ConsultationRole::Decision | ConsultationRole::Notice
        ));
    }
}
