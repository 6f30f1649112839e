//! The generator: `plan(scale, seed, today)` builds a whole municipality in memory.
//!
//! Phases, each with its own random stream: body and places, legislative terms, organizations
//! (with the seats of every faction per term), persons and memberships term by term, meetings
//! per organization, papers day by day (each paper's Beratungsfolge is scheduled into the next
//! suitable meetings of its committees as it is written), and finally the agendas with
//! participants, results and votes.

use super::data::{
    self, ALL_TOPICS, BodyKind, COMMITTEES, Cost, DEPARTMENTS, EXTERNAL, PAPERS, PARTIES, PaperTpl,
    TOPIC_COUNT, Topic,
};
use super::model::*;
use super::rng::Rng;
use super::text::{self, Ctx};
#[cfg(test)]
use chrono::Timelike;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// Generates a plausible municipality. The same scale, seed and day give the same plan.
pub fn plan(scale: Scale, seed: u64, today: NaiveDate) -> Plan {
    let mut g = Gen::new(scale, seed, today);
    g.body_and_places();
    g.terms();
    g.organizations();
    g.unique_codes();
    g.memberships();
    g.meetings();
    g.papers();
    g.agendas();
    g.finish()
}

// ---------------------------------------------------------------------------------------------
// Parameters

struct Params {
    years: u32,
    council_seats: u32,
    committee_seats: u32,
    sub_seats: u32,
    beirat_seats: u32,
    beirat_council: usize,
    bv_count: usize,
    bv_seats: u32,
    bv_factions: bool,
    parties: bool,
    council_freq: f64,
    committee_factor: f64,
    bv_freq: f64,
    faction_freq: f64,
    group_factions: usize,
    group_freq: f64,
    bv_faction_freq: f64,
    faction_board: bool,
    groups_per_faction: usize,
    external_freq: f64,
    papers_per_year: f64,
    citizen_share: f64,
    council_carry: f64,
    citizen_carry: f64,
    deputies: usize,
    rooms: usize,
    districts: usize,
    committee_start: (u32, u32),
    council_start: u32,
    council_share: f64,
    council_cap: u16,
    committee_cap: u16,
    bv_cap: u16,
    small_cap: u16,
}

impl Params {
    fn of(scale: Scale) -> Params {
        match scale {
            Scale::Small => Params {
                years: 2,
                council_seats: 18,
                committee_seats: 9,
                sub_seats: 7,
                beirat_seats: 9,
                beirat_council: 2,
                bv_count: 0,
                bv_seats: 0,
                bv_factions: false,
                parties: false,
                council_freq: 7.0,
                committee_factor: 1.0,
                bv_freq: 0.0,
                faction_freq: 0.0,
                group_factions: 0,
                group_freq: 0.0,
                bv_faction_freq: 0.0,
                faction_board: false,
                groups_per_faction: 0,
                external_freq: 0.0,
                papers_per_year: 60.0,
                citizen_share: 0.3,
                council_carry: 0.7,
                citizen_carry: 0.5,
                deputies: 2,
                rooms: 2,
                districts: 6,
                committee_start: (18 * 60, 18 * 60 + 30),
                council_start: 18 * 60,
                council_share: 0.35,
                council_cap: 30,
                committee_cap: 12,
                bv_cap: 12,
                small_cap: 8,
            },
            Scale::City => Params {
                years: 4,
                council_seats: 44,
                committee_seats: 13,
                sub_seats: 9,
                beirat_seats: 9,
                beirat_council: 3,
                bv_count: 3,
                bv_seats: 11,
                bv_factions: false,
                parties: false,
                council_freq: 9.0,
                committee_factor: 1.0,
                bv_freq: 8.0,
                faction_freq: 0.0,
                group_factions: 0,
                group_freq: 0.0,
                bv_faction_freq: 0.0,
                faction_board: false,
                groups_per_faction: 0,
                external_freq: 4.0,
                papers_per_year: 600.0,
                citizen_share: 0.2,
                council_carry: 0.65,
                citizen_carry: 0.5,
                deputies: 2,
                rooms: 4,
                districts: 10,
                committee_start: (16 * 60, 17 * 60 + 30),
                council_start: 17 * 60,
                council_share: 0.25,
                council_cap: 60,
                committee_cap: 30,
                bv_cap: 30,
                small_cap: 15,
            },
            Scale::Large => Params {
                years: 10,
                council_seats: 84,
                committee_seats: 19,
                sub_seats: 11,
                beirat_seats: 11,
                beirat_council: 4,
                bv_count: 7,
                bv_seats: 19,
                bv_factions: true,
                parties: true,
                council_freq: 10.0,
                committee_factor: 1.75,
                bv_freq: 11.0,
                faction_freq: 124.0,
                group_factions: 3,
                group_freq: 28.0,
                bv_faction_freq: 22.0,
                faction_board: true,
                groups_per_faction: 2,
                external_freq: 5.0,
                papers_per_year: 2600.0,
                citizen_share: 0.2,
                council_carry: 0.65,
                citizen_carry: 0.5,
                deputies: 3,
                rooms: 5,
                districts: 16,
                committee_start: (14 * 60, 17 * 60),
                council_start: 15 * 60,
                council_share: 0.15,
                council_cap: 140,
                committee_cap: 45,
                bv_cap: 40,
                small_cap: 20,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generator state

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Council,
    Elders,
    Committee,
    Sub,
    Beirat,
    District,
    Faction,
    DistrictFaction,
    Group,
    Party,
    Dezernat,
    Department,
    External,
}

struct Meta {
    role: Role,
    topics: Vec<Topic>,
    freq: f64,
    seats: u32,
    citizens: bool,
    cap: u16,
    weekday: u32,
    start_min: u32,
    slot: Option<usize>,
    district: Option<usize>,
    active: Vec<bool>,
    genitive: String,
    nominative: String,
    has_head: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mayor,
    Council,
    Citizen,
    District,
    Beirat,
    Admin,
    Youth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    None,
    Constituent,
    Extra,
    /// A faction's board (Fraktionsvorstand).
    Board,
}

#[derive(Debug, Clone, Copy)]
struct Holder {
    person: usize,
    slot: usize,
    council: bool,
}

#[derive(Debug, Clone, Copy)]
struct Att {
    person: usize,
    faction: Option<usize>,
    voting: bool,
}

#[derive(Debug, Clone, Copy)]
enum Cal {
    BudgetIntro,
    Budget,
    Accounts,
    Quarter(u32),
    Fees(usize),
    Holdings,
}

enum Follow {
    Calendar(Cal),
    Answer {
        anfrage: usize,
        org: usize,
        meeting: Option<usize>,
    },
    Statement {
        antrag: usize,
    },
    Amendment {
        main: usize,
    },
    Series {
        prev: usize,
        phase: u8,
        ctx: Box<Ctx>,
        district: usize,
    },
}

struct Gen {
    scale: Scale,
    seed: u64,
    today: NaiveDate,
    p: Params,
    history_start: NaiveDate,
    horizon: NaiveDate,
    plan: Plan,
    meta: Vec<Meta>,
    person_kind: Vec<Kind>,
    birth_year: Vec<i32>,
    names_used: HashSet<(String, String)>,
    emails_used: HashSet<String>,
    city: String,
    kind_word: String,
    domain: String,
    area: String,
    stadtteile: Vec<String>,
    bv_names: Vec<String>,
    ratssaal: usize,
    rooms: Vec<usize>,
    bv_rooms: Vec<usize>,
    rat: usize,
    hfa: usize,
    vga: Option<usize>,
    bvs: Vec<usize>,
    faction_org: Vec<Option<usize>>,
    party_org: Vec<Option<usize>>,
    bv_faction_org: Vec<Vec<Option<usize>>>,
    council_seats: Vec<Vec<(usize, u32)>>,
    bv_seats: Vec<Vec<Vec<(usize, u32)>>>,
    dept_for_topic: Vec<Vec<usize>>,
    topic_committees: Vec<Vec<usize>>,
    topic_beiraete: Vec<Vec<usize>>,
    topic_subs: Vec<Vec<usize>>,
    mem_by_org: Vec<Vec<usize>>,
    org_meetings: Vec<Vec<usize>>,
    meeting_special: Vec<Special>,
    meeting_cons: Vec<Vec<usize>>,
    meeting_load: Vec<u16>,
    proposal: Vec<String>,
    supp_count: Vec<u32>,
    seq_by_year: HashMap<i32, u32>,
    queue: BinaryHeap<Reverse<(NaiveDate, usize)>>,
    queue_items: Vec<Option<Follow>>,
    tpl_index: [Vec<Vec<usize>>; 2],
    titles_used: HashSet<String>,
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn weekday_idx(d: NaiveDate) -> u32 {
    d.weekday().num_days_from_monday()
}

fn working_day(d: NaiveDate) -> NaiveDate {
    let mut d = d;
    while weekday_idx(d) >= 5 {
        d += days(1);
    }
    d
}

fn next_weekday(d: NaiveDate, wd: u32) -> NaiveDate {
    let delta = (wd + 7 - weekday_idx(d)) % 7;
    d + days(i64::from(delta))
}

/// Moves a day out of the summer and Christmas breaks.
fn out_of_break(d: NaiveDate) -> NaiveDate {
    let (m, day) = (d.month(), d.day());
    if (m == 7 && day >= 8) || (m == 8 && day <= 18) {
        ymd(d.year(), 8, 19)
    } else if m == 12 && day >= 20 {
        ymd(d.year() + 1, 1, 8)
    } else if m == 1 && day < 8 {
        ymd(d.year(), 1, 8)
    } else {
        d
    }
}

fn season(d: NaiveDate) -> f64 {
    let (m, day) = (d.month(), d.day());
    if (m == 7 && day >= 10) || (m == 8 && day <= 15) {
        0.5
    } else if (m == 12 && day >= 20) || (m == 1 && day <= 6) {
        0.2
    } else {
        1.0
    }
}

/// D'Hondt: seats for each weight; ties go to the earlier entry.
fn dhondt(weights: &[f64], seats: u32) -> Vec<u32> {
    let mut alloc = vec![0u32; weights.len()];
    for _ in 0..seats {
        let mut best = None;
        let mut best_q = -1.0;
        for (i, w) in weights.iter().enumerate() {
            let q = w / f64::from(alloc[i] + 1);
            if *w > 0.0 && q > best_q {
                best_q = q;
                best = Some(i);
            }
        }
        match best {
            Some(i) => alloc[i] += 1,
            None => break,
        }
    }
    alloc
}

fn scale_bit(scale: Scale) -> u8 {
    match scale {
        Scale::Small => data::S,
        Scale::City => data::C,
        Scale::Large => data::L,
    }
}

fn scale_index(scale: Scale) -> usize {
    match scale {
        Scale::Small => 0,
        Scale::City => 1,
        Scale::Large => 2,
    }
}

impl Gen {
    /// Codes name one organization each: meeting numbers ("{code}/{yyyy}/{seq}") are built
    /// from them and must not collide. A repeated code takes its parent's code as a suffix, or
    /// a running number.
    fn unique_codes(&mut self) {
        let mut seen: HashSet<String> = HashSet::new();
        for i in 0..self.plan.organizations.len() {
            let org = &self.plan.organizations[i];
            let mut code = org.code.clone();
            if seen.contains(&code) {
                if let Some(parent) = org.parent {
                    code = format!("{} {}", org.code, self.plan.organizations[parent].code);
                }
                let mut n = 2;
                let base = code.clone();
                while seen.contains(&code) {
                    code = format!("{base} {n}");
                    n += 1;
                }
            }
            seen.insert(code.clone());
            self.plan.organizations[i].code = code;
        }
    }

    fn new(scale: Scale, seed: u64, today: NaiveDate) -> Gen {
        let p = Params::of(scale);
        let history_start = today
            .checked_sub_months(chrono::Months::new(12 * p.years))
            .unwrap_or(today);
        let horizon = today + days(42);
        let mut tpl_index: [Vec<Vec<usize>>; 2] =
            [vec![Vec::new(); TOPIC_COUNT], vec![Vec::new(); TOPIC_COUNT]];
        for (i, t) in PAPERS.iter().enumerate() {
            tpl_index[usize::from(t.info)][t.topic as usize].push(i);
        }
        Gen {
            scale,
            seed,
            today,
            history_start,
            horizon,
            plan: Plan {
                scale,
                seed,
                today,
                history_start,
                body: Body {
                    name: String::new(),
                    short_name: String::new(),
                    classification: String::new(),
                    ags: String::new(),
                    website: String::new(),
                    email: String::new(),
                    phone: String::new(),
                    location: 0,
                    districts: Vec::new(),
                },
                terms: Vec::new(),
                locations: Vec::new(),
                organizations: Vec::new(),
                persons: Vec::new(),
                memberships: Vec::new(),
                meetings: Vec::new(),
                papers: Vec::new(),
                consultations: Vec::new(),
            },
            p,
            meta: Vec::new(),
            person_kind: Vec::new(),
            birth_year: Vec::new(),
            names_used: HashSet::new(),
            emails_used: HashSet::new(),
            city: String::new(),
            kind_word: String::new(),
            domain: String::new(),
            area: String::new(),
            stadtteile: Vec::new(),
            bv_names: Vec::new(),
            ratssaal: 0,
            rooms: Vec::new(),
            bv_rooms: Vec::new(),
            rat: 0,
            hfa: 0,
            vga: None,
            bvs: Vec::new(),
            faction_org: vec![None; PARTIES.len()],
            party_org: vec![None; PARTIES.len()],
            bv_faction_org: Vec::new(),
            council_seats: Vec::new(),
            bv_seats: Vec::new(),
            dept_for_topic: vec![Vec::new(); TOPIC_COUNT],
            topic_committees: vec![Vec::new(); TOPIC_COUNT],
            topic_beiraete: vec![Vec::new(); TOPIC_COUNT],
            topic_subs: vec![Vec::new(); TOPIC_COUNT],
            mem_by_org: Vec::new(),
            org_meetings: Vec::new(),
            meeting_special: Vec::new(),
            meeting_cons: Vec::new(),
            meeting_load: Vec::new(),
            proposal: Vec::new(),
            supp_count: Vec::new(),
            seq_by_year: HashMap::new(),
            queue: BinaryHeap::new(),
            queue_items: Vec::new(),
            tpl_index,
            titles_used: HashSet::new(),
        }
    }

    fn rng(&self, label: &str) -> Rng {
        Rng::derive(self.seed, label)
    }

    // -----------------------------------------------------------------------------------------
    // Body and places

    fn town_name(r: &mut Rng, avoid: &[String]) -> String {
        loop {
            let name = format!(
                "{}{}",
                r.pick(data::TOWN_PREFIXES),
                r.pick(data::TOWN_SUFFIXES)
            );
            if !avoid.contains(&name) {
                return name;
            }
        }
    }

    fn body_and_places(&mut self) {
        let mut r = self.rng("body");
        self.city = Gen::town_name(&mut r, &[]);
        self.kind_word = if self.scale == Scale::Small {
            "Gemeinde".into()
        } else {
            "Stadt".into()
        };
        let slug = text::ascii_slug(&self.city);
        self.domain = if self.scale == Scale::Small {
            format!("gemeinde-{slug}.de")
        } else {
            format!("{slug}.de")
        };
        self.area = format!("0{}", r.range(2031, 2999));
        let mut avoid = vec![self.city.clone()];
        for _ in 0..self.p.districts {
            let name = Gen::town_name(&mut r, &avoid);
            avoid.push(name.clone());
            self.stadtteile.push(name);
        }
        for i in 0..self.p.bv_count {
            let name = if i < data::COMPASS.len() {
                data::COMPASS[i].to_string()
            } else {
                let name = Gen::town_name(&mut r, &avoid);
                avoid.push(name.clone());
                name
            };
            self.bv_names.push(name);
        }
        let &(lat0, lon0) = r.pick(data::ANCHORS);
        let lat = lat0 + r.uniform(-0.12, 0.12);
        let lon = lon0 + r.uniform(-0.12, 0.12);
        let postal = format!("{}", r.range(40_210, 59_969));
        let town_hall_street = r
            .pick(&["Rathausplatz 1", "Markt 1", "Am Rathaus 1"])
            .to_string();
        let loc = |description: String,
                   street: &str,
                   room: Option<String>,
                   capacity: Option<u32>,
                   lat: f64,
                   lon: f64| Location {
            description,
            street_address: street.to_string(),
            postal_code: postal.clone(),
            locality: self.city.clone(),
            room,
            capacity,
            lon,
            lat,
        };
        let mut locations = vec![loc(
            format!("Rathaus {}", self.city),
            &town_hall_street,
            None,
            None,
            lat,
            lon,
        )];
        let council_capacity = match self.scale {
            Scale::Small => 60,
            Scale::City => 120,
            Scale::Large => 200,
        };
        locations.push(loc(
            "Rathaus, Ratssaal".into(),
            &town_hall_street,
            Some("Ratssaal".into()),
            Some(council_capacity),
            lat,
            lon,
        ));
        self.ratssaal = 1;
        for &(room, capacity) in data::ROOMS.iter().take(self.p.rooms) {
            self.rooms.push(locations.len());
            locations.push(loc(
                format!("Rathaus, {room}"),
                &town_hall_street,
                Some(room.to_string()),
                Some(capacity),
                lat,
                lon,
            ));
        }
        for name in &self.bv_names {
            let street = format!("{} {}", r.pick(data::STREETS), r.range(1, 80));
            let (building, room, capacity) = if self.scale == Scale::Large {
                (format!("Bezirksrathaus {name}"), "Sitzungssaal", 80)
            } else {
                (format!("Bürgerhaus {name}"), "Großer Saal", 60)
            };
            self.bv_rooms.push(locations.len());
            locations.push(loc(
                format!("{building}, {room}"),
                &street,
                Some(room.to_string()),
                Some(capacity),
                lat + r.uniform(-0.04, 0.04),
                lon + r.uniform(-0.05, 0.05),
            ));
        }
        self.plan.locations = locations;
        let classification = match self.scale {
            Scale::Small => "Gemeinde",
            Scale::City => "Stadt",
            Scale::Large => "kreisfreie Stadt",
        };
        self.plan.body = Body {
            name: format!("{} {}", self.kind_word, self.city),
            short_name: self.city.clone(),
            classification: classification.into(),
            ags: format!("05{:03}{:03}", r.range(111, 978), r.range(1, 99) * 4),
            website: format!("https://www.{}", self.domain),
            email: format!("rathaus@{}", self.domain),
            phone: format!("{} {}-0", self.area, r.range(10, 99)),
            location: 0,
            districts: self.stadtteile.clone(),
        };
    }

    // -----------------------------------------------------------------------------------------
    // Terms

    fn terms(&mut self) {
        // NRW rhythm: terms start on 1 November of 2020, 2025, …
        let term_start = |y: i32| ymd(y, 11, 1);
        let mut current = 2020 + (self.today.year() - 2020).div_euclid(5) * 5;
        while term_start(current) > self.today {
            current -= 5;
        }
        let mut first = current;
        while term_start(first) > self.history_start {
            first -= 5;
        }
        let mut y = first;
        while y <= current {
            self.plan.terms.push(LegislativeTerm {
                name: format!("Wahlperiode {y}–{}", y + 5),
                start: term_start(y),
                end: ymd(y + 5, 10, 31),
            });
            y += 5;
        }
    }

    fn term_of(&self, d: NaiveDate) -> usize {
        self.plan
            .term_on(d)
            .unwrap_or(if d < self.plan.terms[0].start {
                0
            } else {
                self.plan.terms.len() - 1
            })
    }

    // -----------------------------------------------------------------------------------------
    // Organizations

    #[allow(clippy::too_many_arguments)]
    fn add_org(
        &mut self,
        kind: OrganizationKind,
        name: String,
        short_name: String,
        code: String,
        classification: &str,
        start: NaiveDate,
        end: Option<NaiveDate>,
        parent: Option<usize>,
        location: Option<usize>,
        meta: Meta,
    ) -> usize {
        let idx = self.plan.organizations.len();
        self.plan.organizations.push(Organization {
            kind,
            name,
            short_name,
            code,
            classification: classification.to_string(),
            start,
            end,
            sort_order: idx as u32 + 1,
            parent,
            location,
        });
        let mut meta = meta;
        meta.genitive = text::genitive(&self.plan.organizations[idx].name);
        meta.nominative = text::nominative(&self.plan.organizations[idx].name);
        self.meta.push(meta);
        idx
    }

    fn blank_meta(&self, role: Role) -> Meta {
        Meta {
            role,
            topics: Vec::new(),
            freq: 0.0,
            seats: 0,
            citizens: false,
            cap: 0,
            weekday: 0,
            start_min: 17 * 60,
            slot: None,
            district: None,
            active: vec![true; self.plan.terms.len()],
            genitive: String::new(),
            nominative: String::new(),
            has_head: false,
        }
    }

    /// Lifetime from the active terms: (start, end).
    fn lifetime(&self, active: &[bool]) -> Option<(NaiveDate, Option<NaiveDate>)> {
        let first = active.iter().position(|a| *a)?;
        let last = active.iter().rposition(|a| *a)?;
        let start = self.plan.terms[first].start;
        let end = if last + 1 == active.len() {
            None
        } else {
            Some(self.plan.terms[last].end)
        };
        Some((start, end))
    }

    // `slot` indexes several parallel per-party tables at once.
    #[allow(clippy::needless_range_loop)]
    fn organizations(&mut self) {
        let mut r = self.rng("organizations");
        let n = self.plan.terms.len();
        let bit = scale_bit(self.scale);
        let old = ymd(1975, 1, 1);
        let t0 = self.plan.terms[0].start;

        // The council.
        let mut meta = self.blank_meta(Role::Council);
        meta.topics = ALL_TOPICS.to_vec();
        meta.freq = self.p.council_freq;
        meta.seats = self.p.council_seats;
        meta.cap = self.p.council_cap;
        meta.weekday = 3;
        meta.start_min = self.p.council_start;
        let name = format!("Rat der {} {}", self.kind_word, self.city);
        self.rat = self.add_org(
            OrganizationKind::Committee,
            name,
            "Rat".into(),
            "Rat".into(),
            "Parlament",
            old,
            None,
            None,
            Some(self.ratssaal),
            meta,
        );

        // Committees, sub-committees and advisory councils.
        let mut room_turn = 0usize;
        for tpl in COMMITTEES.iter().filter(|t| t.scales & bit != 0) {
            let mut active: Vec<bool> = (0..n)
                .map(|t| {
                    let ago = (n - 1 - t) as u8;
                    tpl.ago.0 <= ago && ago <= tpl.ago.1
                })
                .collect();
            let parent = tpl.parent.and_then(|code| {
                (0..self.plan.organizations.len()).find(|&o| {
                    self.plan.organizations[o].code == code
                        && matches!(self.meta[o].role, Role::Committee)
                })
            });
            if tpl.parent.is_some() {
                match parent {
                    Some(p) => {
                        for (a, pa) in active.iter_mut().zip(&self.meta[p].active) {
                            *a = *a && *pa;
                        }
                    }
                    None => continue,
                }
            }
            let Some((start, end)) = self.lifetime(&active) else {
                continue;
            };
            let role = match tpl.kind {
                BodyKind::Committee => Role::Committee,
                BodyKind::Sub => Role::Sub,
                BodyKind::Beirat => Role::Beirat,
                BodyKind::Elders => Role::Elders,
            };
            let mut meta = self.blank_meta(role);
            meta.topics = tpl.topics.to_vec();
            meta.freq = tpl.freq
                * if role == Role::Committee {
                    self.p.committee_factor
                } else {
                    1.0
                };
            meta.seats = match role {
                Role::Committee => self.p.committee_seats,
                Role::Sub => self.p.sub_seats,
                _ => self.p.beirat_seats,
            };
            meta.citizens = tpl.citizens;
            meta.cap = match role {
                Role::Committee => self.p.committee_cap,
                _ => self.p.small_cap,
            };
            if tpl.code == "HFA" {
                meta.cap = self.p.committee_cap * 2;
            }
            meta.weekday = r.range(0, 3) as u32;
            meta.start_min = r.range(
                i64::from(self.p.committee_start.0 / 30),
                i64::from(self.p.committee_start.1 / 30),
            ) as u32
                * 30;
            meta.active = active;
            let location = if tpl.code == "HFA" {
                self.ratssaal
            } else {
                room_turn += 1;
                self.rooms[room_turn % self.rooms.len()]
            };
            let start = if tpl.code == "HFA" || tpl.code == "RPA" {
                old
            } else {
                start
            };
            let o = self.add_org(
                OrganizationKind::Committee,
                tpl.name.into(),
                tpl.short.into(),
                tpl.code.into(),
                tpl.classification,
                start,
                end,
                parent,
                Some(location),
                meta,
            );
            match tpl.code {
                "HFA" => self.hfa = o,
                "VgA" => self.vga = Some(o),
                _ => {}
            }
            for &topic in tpl.topics {
                match role {
                    Role::Committee => self.topic_committees[topic as usize].push(o),
                    Role::Sub => self.topic_subs[topic as usize].push(o),
                    Role::Beirat => self.topic_beiraete[topic as usize].push(o),
                    _ => {}
                }
            }
        }
        if data::ELDERS.scales & bit != 0 {
            let mut meta = self.blank_meta(Role::Elders);
            meta.freq = data::ELDERS.freq;
            meta.weekday = 1;
            meta.start_min = 16 * 60;
            meta.cap = 4;
            self.add_org(
                OrganizationKind::Committee,
                data::ELDERS.name.into(),
                data::ELDERS.short.into(),
                data::ELDERS.code.into(),
                data::ELDERS.classification,
                t0,
                None,
                None,
                self.rooms.first().copied(),
                meta,
            );
        }

        // Seats in the council per term.
        let sidx = scale_index(self.scale);
        let mut present_prev = vec![false; PARTIES.len()];
        let mut term_weights: Vec<Vec<f64>> = Vec::new();
        for t in 0..n {
            let ago = (n - 1 - t) as u8;
            let mut present: Vec<usize> = Vec::new();
            for (slot, tpl) in PARTIES.iter().enumerate() {
                let chance = tpl.presence[sidx];
                if ago > tpl.max_ago || chance <= 0.0 {
                    continue;
                }
                let on = if present_prev[slot] {
                    r.chance(chance.max(0.92))
                } else {
                    r.chance(chance)
                };
                if on {
                    present.push(slot);
                }
            }
            let mut weights = vec![0.0; PARTIES.len()];
            for &slot in &present {
                weights[slot] = PARTIES[slot].weight * r.uniform(0.75, 1.25);
            }
            let seats = loop {
                let alloc = dhondt(&weights, self.p.council_seats);
                let weak: Vec<usize> = (0..PARTIES.len())
                    .filter(|&s| weights[s] > 0.0 && alloc[s] < 2)
                    .collect();
                if weak.is_empty() {
                    break alloc;
                }
                for s in weak {
                    weights[s] = 0.0;
                }
            };
            let mut list: Vec<(usize, u32)> = (0..PARTIES.len())
                .filter(|&s| seats[s] > 0)
                .map(|s| (s, seats[s]))
                .collect();
            list.sort_by_key(|&(s, k)| (Reverse(k), s));
            present_prev = (0..PARTIES.len()).map(|s| seats[s] > 0).collect();
            self.council_seats.push(list);
            term_weights.push(weights);
        }

        // Bezirksvertretungen and their seats.
        for b in 0..self.p.bv_count {
            let mut meta = self.blank_meta(Role::District);
            meta.topics = ALL_TOPICS.to_vec();
            meta.freq = self.p.bv_freq;
            meta.seats = self.p.bv_seats;
            meta.cap = self.p.bv_cap;
            meta.weekday = r.range(1, 3) as u32;
            meta.start_min = if self.scale == Scale::Large {
                16 * 60
            } else {
                17 * 60
            } + r.range(0, 1) as u32 * 30;
            meta.district = Some(b);
            let name = self.bv_names[b].clone();
            let o = self.add_org(
                OrganizationKind::Committee,
                format!("Bezirksvertretung {name}"),
                format!("BV {name}"),
                format!("BV {name}"),
                "Bezirksvertretung",
                old,
                None,
                None,
                Some(self.bv_rooms[b]),
                meta,
            );
            self.bvs.push(o);
        }
        for weights in term_weights.iter().take(n) {
            let mut per_bv = Vec::new();
            for _ in 0..self.p.bv_count {
                let local: Vec<f64> = weights.iter().map(|w| w * r.uniform(0.6, 1.4)).collect();
                let alloc = dhondt(&local, self.p.bv_seats);
                let mut list: Vec<(usize, u32)> = (0..PARTIES.len())
                    .filter(|&s| alloc[s] > 0)
                    .map(|s| (s, alloc[s]))
                    .collect();
                list.sort_by_key(|&(s, k)| (Reverse(k), s));
                per_bv.push(list);
            }
            self.bv_seats.push(per_bv);
        }

        // Factions in the council.
        for slot in 0..PARTIES.len() {
            let active: Vec<bool> = (0..n)
                .map(|t| self.council_seats[t].iter().any(|&(s, _)| s == slot))
                .collect();
            let Some((start, end)) = self.lifetime(&active) else {
                continue;
            };
            let tpl = &PARTIES[slot];
            let mut meta = self.blank_meta(Role::Faction);
            meta.slot = Some(slot);
            meta.active = active;
            meta.freq = if slot < 3 {
                self.p.faction_freq
            } else {
                self.p.faction_freq * 0.5
            };
            meta.weekday = 0;
            meta.start_min = 17 * 60 + r.range(0, 3) as u32 * 30;
            meta.cap = 4;
            let location = self.rooms[slot % self.rooms.len()];
            let o = self.add_org(
                OrganizationKind::Faction,
                tpl.faction.into(),
                tpl.faction_short.into(),
                tpl.code.into(),
                "Fraktion",
                start,
                end,
                None,
                Some(location),
                meta,
            );
            self.faction_org[slot] = Some(o);
        }

        // Factions in the Bezirksvertretungen.
        self.bv_faction_org = vec![vec![None; PARTIES.len()]; self.p.bv_count];
        if self.p.bv_factions {
            for b in 0..self.p.bv_count {
                for slot in 0..PARTIES.len() {
                    let active: Vec<bool> = (0..n)
                        .map(|t| {
                            self.bv_seats[t][b]
                                .iter()
                                .any(|&(s, k)| s == slot && k >= 2)
                        })
                        .collect();
                    let Some((start, end)) = self.lifetime(&active) else {
                        continue;
                    };
                    let tpl = &PARTIES[slot];
                    let bv = self.bv_names[b].clone();
                    let mut meta = self.blank_meta(Role::DistrictFaction);
                    meta.slot = Some(slot);
                    meta.district = Some(b);
                    meta.active = active;
                    meta.freq = self.p.bv_faction_freq;
                    meta.weekday = r.range(0, 4) as u32;
                    meta.start_min = 18 * 60 + r.range(0, 1) as u32 * 30;
                    meta.cap = 4;
                    let o = self.add_org(
                        OrganizationKind::Faction,
                        format!("{} in der Bezirksvertretung {bv}", tpl.faction),
                        format!("{} BV {bv}", tpl.faction_short),
                        format!("{} BV {bv}", tpl.code),
                        "Fraktion",
                        start,
                        end,
                        self.faction_org[slot],
                        Some(self.bv_rooms[b]),
                        meta,
                    );
                    self.bv_faction_org[b][slot] = Some(o);
                }
            }
        }

        // Working groups of the big factions.
        for slot in 0..self.p.group_factions.min(PARTIES.len()) {
            let Some(f) = self.faction_org[slot] else {
                continue;
            };
            for (gi, &(gname, gshort)) in data::FACTION_GROUPS
                .iter()
                .take(self.p.groups_per_faction)
                .enumerate()
            {
                let tpl = &PARTIES[slot];
                let mut meta = self.blank_meta(Role::Group);
                meta.slot = Some(slot);
                meta.active = self.meta[f].active.clone();
                meta.freq = self.p.group_freq;
                meta.weekday = r.range(1, 4) as u32;
                meta.start_min = 17 * 60 + r.range(0, 3) as u32 * 30;
                meta.cap = 4;
                meta.topics = match gi {
                    0 => vec![Topic::Planning, Topic::Traffic, Topic::Building],
                    1 => vec![Topic::School, Topic::Youth, Topic::Social],
                    2 => vec![Topic::Finance, Topic::Economy],
                    _ => vec![Topic::Environment],
                };
                let (start, end) = (
                    self.plan.organizations[f].start,
                    self.plan.organizations[f].end,
                );
                self.add_org(
                    OrganizationKind::Other,
                    format!("{gname} der {}", tpl.faction),
                    format!("{gshort} {}", tpl.faction_short),
                    format!("{} {gshort}", tpl.code),
                    "Arbeitskreis",
                    start,
                    end,
                    Some(f),
                    Some(self.rooms[(slot + gi) % self.rooms.len()]),
                    meta,
                );
            }
        }

        // Parties.
        if self.p.parties {
            for slot in 0..PARTIES.len() {
                if self.faction_org[slot].is_none() {
                    continue;
                }
                let tpl = &PARTIES[slot];
                let mut meta = self.blank_meta(Role::Party);
                meta.slot = Some(slot);
                let o = self.add_org(
                    OrganizationKind::Party,
                    tpl.party.into(),
                    tpl.code.into(),
                    tpl.code.into(),
                    "Partei",
                    t0,
                    None,
                    None,
                    None,
                    meta,
                );
                self.party_org[slot] = Some(o);
            }
        }

        // Departments.
        let dept_start = ymd(2005, 1, 1).min(t0);
        for tpl in DEPARTMENTS.iter().filter(|t| t.scales & bit != 0) {
            let parent = tpl.parent.and_then(|code| {
                (0..self.plan.organizations.len()).find(|&o| {
                    self.plan.organizations[o].code == code
                        && self.plan.organizations[o].kind == OrganizationKind::Department
                })
            });
            let role = if tpl.classification == "Dezernat" {
                Role::Dezernat
            } else {
                Role::Department
            };
            let mut meta = self.blank_meta(role);
            meta.topics = tpl.topics.to_vec();
            meta.has_head = role == Role::Dezernat || self.scale == Scale::Small;
            let o = self.add_org(
                OrganizationKind::Department,
                tpl.name.into(),
                tpl.short.into(),
                tpl.code.into(),
                tpl.classification,
                dept_start,
                None,
                parent,
                None,
                meta,
            );
            for &topic in tpl.topics {
                self.dept_for_topic[topic as usize].push(o);
            }
        }

        // External bodies.
        for &(name, short, classification, scales) in EXTERNAL {
            if scales & bit == 0 {
                continue;
            }
            let mut meta = self.blank_meta(Role::External);
            meta.freq = self.p.external_freq;
            meta.weekday = r.range(0, 4) as u32;
            meta.start_min = 14 * 60 + r.range(0, 4) as u32 * 30;
            meta.cap = 6;
            let location = Some(self.rooms[r.index(self.rooms.len())]);
            self.add_org(
                OrganizationKind::ExternalBody,
                name.replace("{city}", &self.city),
                short.into(),
                short.into(),
                classification,
                t0,
                None,
                None,
                location,
                meta,
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // Persons

    fn new_person(&mut self, r: &mut Rng, kind: Kind) -> usize {
        let female_share = match kind {
            Kind::Mayor => 0.3,
            Kind::Admin => 0.4,
            Kind::Council | Kind::District => 0.38,
            Kind::Citizen => 0.42,
            Kind::Beirat => 0.5,
            Kind::Youth => 0.6,
        };
        let x = r.unit();
        let gender = if x < 0.008 {
            Gender::Other
        } else if x < 0.018 {
            Gender::Unknown
        } else if r.chance(female_share) {
            Gender::Female
        } else {
            Gender::Male
        };
        let mut looks_female = gender == Gender::Female;
        let (mut given, mut family) = (String::new(), String::new());
        for attempt in 0..30 {
            given = match gender {
                Gender::Female => r.pick(data::FEMALE_NAMES).to_string(),
                Gender::Male => r.pick(data::MALE_NAMES).to_string(),
                Gender::Other => r.pick(data::NEUTRAL_NAMES).to_string(),
                Gender::Unknown => {
                    looks_female = r.chance(0.5);
                    if looks_female {
                        r.pick(data::FEMALE_NAMES).to_string()
                    } else {
                        r.pick(data::MALE_NAMES).to_string()
                    }
                }
            };
            family = r.pick(data::FAMILY_NAMES).to_string();
            if (looks_female && r.chance(0.06)) || attempt > 20 {
                family = format!("{family}-{}", r.pick(data::FAMILY_NAMES));
            }
            if !self.names_used.contains(&(given.clone(), family.clone())) {
                break;
            }
        }
        self.names_used.insert((given.clone(), family.clone()));
        let title = if r.chance(if kind == Kind::Admin { 0.25 } else { 0.05 }) {
            Some(if r.chance(0.08) { "Prof. Dr." } else { "Dr." }.to_string())
        } else {
            None
        };
        let form_of_address = match gender {
            Gender::Other => None,
            _ => Some(if looks_female { "Frau" } else { "Herr" }.to_string()),
        };
        let birth = match kind {
            Kind::Mayor => r.range(1960, 1982),
            Kind::Admin => r.range(1960, 1986),
            Kind::Youth | Kind::Citizen | Kind::Beirat => r.range(1948, 2004),
            Kind::Council | Kind::District => r.range(1946, 2001),
        } as i32;
        let local = format!("{}.{}", text::ascii_slug(&given), text::ascii_slug(&family));
        let providers = [
            "web.de",
            "gmx.de",
            "t-online.de",
            "gmail.com",
            "posteo.de",
            "outlook.de",
        ];
        let mut email = match kind {
            Kind::Mayor | Kind::Admin => Some(format!("{local}@{}", self.domain)),
            Kind::Council | Kind::District => {
                let x = r.unit();
                if x < 0.45 {
                    Some(format!("{local}@{}", r.pick(&providers)))
                } else if x < 0.8 {
                    Some(format!("{local}@rat.{}", self.domain))
                } else {
                    None
                }
            }
            _ => {
                if r.chance(0.5) {
                    Some(format!("{local}@{}", r.pick(&providers)))
                } else {
                    None
                }
            }
        };
        if let Some(e) = &email
            && self.emails_used.contains(e)
        {
            let (l, d) = e.split_once('@').unwrap_or((e, ""));
            email = Some(format!("{l}{birth}@{d}"));
        }
        if let Some(e) = &email {
            self.emails_used.insert(e.clone());
        }
        let mobile = |r: &mut Rng| {
            format!(
                "01{} {}",
                r.pick(&[
                    "51", "52", "57", "60", "62", "70", "71", "72", "76", "77", "79"
                ]),
                r.range(1_000_000, 9_999_999)
            )
        };
        let phone = match kind {
            Kind::Mayor | Kind::Admin => Some(format!(
                "{} {}-{}",
                self.area,
                r.range(10, 99),
                r.range(1000, 9999)
            )),
            Kind::Council | Kind::District => {
                let x = r.unit();
                if x < 0.35 {
                    Some(format!("{} {}", self.area, r.range(10_000, 999_999)))
                } else if x < 0.65 {
                    Some(mobile(r))
                } else {
                    None
                }
            }
            _ => {
                if r.chance(0.3) {
                    Some(mobile(r))
                } else {
                    None
                }
            }
        };
        let idx = self.plan.persons.len();
        self.plan.persons.push(Person {
            title,
            given_name: given,
            family_name: family,
            form_of_address,
            gender,
            email,
            phone,
            status: Vec::new(),
            life: None,
        });
        self.person_kind.push(kind);
        self.birth_year.push(birth);
        idx
    }

    // -----------------------------------------------------------------------------------------
    // Memberships

    #[allow(clippy::too_many_arguments)]
    fn member(
        &mut self,
        person: usize,
        org: usize,
        role: MembershipRole,
        on_behalf_of: Option<usize>,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> usize {
        self.plan.memberships.push(Membership {
            person,
            organization: org,
            role,
            voting_right: role != MembershipRole::AdvisoryMember,
            on_behalf_of,
            start,
            end,
        });
        self.plan.memberships.len() - 1
    }

    #[allow(clippy::needless_range_loop)]
    fn memberships(&mut self) {
        let mut r = self.rng("memberships");
        let n = self.plan.terms.len();
        let slots = PARTIES.len();
        let mut mayor: Option<usize> = None;
        let mut prev_council: Vec<Vec<usize>> = vec![Vec::new(); slots];
        let mut prev_citizens: Vec<Vec<usize>> = vec![Vec::new(); slots];
        let mut prev_bv: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); slots]; self.p.bv_count];
        let mut prev_external: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut prev_head: HashMap<usize, usize> = HashMap::new();
        for t in 0..n {
            let start = self.plan.terms[t].start;
            let end = if t + 1 == n {
                None
            } else {
                Some(self.plan.terms[t].end)
            };
            let first_membership = self.plan.memberships.len();
            let seats = self.council_seats[t].clone();

            // Mayor.
            let m = match mayor {
                Some(p) if r.chance(0.7) => p,
                _ => self.new_person(&mut r, Kind::Mayor),
            };
            mayor = Some(m);
            self.member(m, self.rat, MembershipRole::Chair, None, start, end);

            // Council and factions.
            let mut council: Vec<Vec<usize>> = vec![Vec::new(); slots];
            let mut rat_membership: Vec<(usize, usize)> = Vec::new();
            for &(slot, k) in &seats {
                let mut carry = prev_council[slot].clone();
                r.shuffle(&mut carry);
                for p in carry {
                    if council[slot].len() < k as usize && r.chance(self.p.council_carry) {
                        council[slot].push(p);
                    }
                }
                while council[slot].len() < k as usize {
                    let p = self.new_person(&mut r, Kind::Council);
                    council[slot].push(p);
                }
                let f = self.faction_org[slot].expect("faction exists for seated party");
                let members = council[slot].clone();
                for (i, &p) in members.iter().enumerate() {
                    let mi = self.member(p, self.rat, MembershipRole::Member, Some(f), start, end);
                    rat_membership.push((p, mi));
                    let role = if i == 0 {
                        MembershipRole::Chair
                    } else if i == 1 && members.len() >= 4 {
                        MembershipRole::DeputyChair
                    } else {
                        MembershipRole::Member
                    };
                    self.member(p, f, role, None, start, end);
                    if let Some(party) = self.party_org[slot] {
                        self.member(p, party, MembershipRole::Member, None, start, end);
                    }
                }
            }
            // Deputy mayors: a senior member of each of the biggest factions.
            for &(slot, _) in seats.iter().take(self.p.deputies) {
                if let Some(&p) = council[slot].get(1).or(council[slot].first())
                    && let Some(&(_, mi)) = rat_membership.iter().find(|(q, _)| *q == p)
                {
                    self.plan.memberships[mi].role = MembershipRole::DeputyChair;
                }
            }

            // Committees.
            let mut carry_citizens: Vec<Vec<usize>> = prev_citizens
                .iter()
                .map(|list| {
                    let mut l: Vec<usize> = list
                        .iter()
                        .copied()
                        .filter(|_| r.chance(self.p.citizen_carry))
                        .collect();
                    r.shuffle(&mut l);
                    l
                })
                .collect();
            let mut tc = TermStaff {
                t,
                start,
                end,
                council: council.clone(),
                citizens: vec![Vec::new(); slots],
                load: HashMap::new(),
                holders: vec![Vec::new(); self.plan.organizations.len()],
            };
            let orgs: Vec<usize> = (0..self.plan.organizations.len())
                .filter(|&o| self.meta[o].active[t])
                .collect();
            for &o in &orgs {
                let role = self.meta[o].role;
                match role {
                    Role::Committee => {
                        self.staff_committee(&mut r, &mut tc, &mut carry_citizens, o, m)
                    }
                    Role::Sub => self.staff_sub(&mut r, &mut tc, &mut carry_citizens, o, m),
                    Role::Beirat => {
                        let prev = prev_external.remove(&o).unwrap_or_default();
                        let now = self.staff_beirat(&mut r, &mut tc, o, prev);
                        prev_external.insert(o, now);
                    }
                    Role::Elders => {
                        self.member(m, o, MembershipRole::Chair, None, start, end);
                        for &(slot, _) in &seats {
                            if let Some(&p) = council[slot].first() {
                                self.member(
                                    p,
                                    o,
                                    MembershipRole::Member,
                                    self.faction_org[slot],
                                    start,
                                    end,
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }

            // Bezirksvertretungen.
            for b in 0..self.p.bv_count {
                let org = self.bvs[b];
                let bv_seats = self.bv_seats[t][b].clone();
                let mut members: Vec<Vec<usize>> = vec![Vec::new(); slots];
                for &(slot, k) in &bv_seats {
                    let mut carry = prev_bv[b][slot].clone();
                    r.shuffle(&mut carry);
                    for p in carry {
                        if members[slot].len() < k as usize && r.chance(self.p.council_carry) {
                            members[slot].push(p);
                        }
                    }
                    while members[slot].len() < k as usize {
                        let p = self.new_person(&mut r, Kind::District);
                        members[slot].push(p);
                    }
                }
                for (rank, &(slot, k)) in bv_seats.iter().enumerate() {
                    let group = if k >= 2 {
                        self.bv_faction_org[b][slot]
                    } else {
                        None
                    };
                    let behalf = group.or(self.party_org[slot]).or(self.faction_org[slot]);
                    let list = members[slot].clone();
                    for (i, &p) in list.iter().enumerate() {
                        let role = match (rank, i) {
                            (0, 0) => MembershipRole::Chair,
                            (1, 0) => MembershipRole::DeputyChair,
                            _ => MembershipRole::Member,
                        };
                        self.member(p, org, role, behalf, start, end);
                        if let Some(g) = group {
                            let role = if i == 0 {
                                MembershipRole::Chair
                            } else {
                                MembershipRole::Member
                            };
                            self.member(p, g, role, None, start, end);
                        }
                        if let Some(party) = self.party_org[slot] {
                            self.member(p, party, MembershipRole::Member, None, start, end);
                        }
                    }
                }
                prev_bv[b] = members;
            }

            // Working groups of the factions, heads of departments, external bodies.
            for &o in &orgs {
                let role = self.meta[o].role;
                match role {
                    Role::Group => {
                        let slot = self.meta[o].slot.expect("group has a party");
                        let mut pool = council[slot].clone();
                        r.shuffle(&mut pool);
                        let k = (r.range(5, 8) as usize).min(pool.len());
                        for (i, &p) in pool.iter().take(k).enumerate() {
                            let role = if i == 0 {
                                MembershipRole::Chair
                            } else {
                                MembershipRole::Member
                            };
                            self.member(p, o, role, self.faction_org[slot], start, end);
                        }
                    }
                    Role::Dezernat | Role::Department if self.meta[o].has_head => {
                        let head = if self.plan.organizations[o].code == "Dez. OB" {
                            m
                        } else {
                            match prev_head.get(&o) {
                                Some(&p) if r.chance(0.75) => p,
                                _ => self.new_person(&mut r, Kind::Admin),
                            }
                        };
                        prev_head.insert(o, head);
                        self.member(head, o, MembershipRole::Chair, None, start, end);
                    }
                    Role::External => {
                        let k = r.range(3, 5) as usize;
                        let weights: Vec<f64> = seats.iter().map(|&(_, s)| f64::from(s)).collect();
                        let mut chosen: Vec<(usize, usize)> = Vec::new();
                        for _ in 0..k * 3 {
                            if chosen.len() >= k {
                                break;
                            }
                            let (slot, _) = seats[r.weighted(&weights)];
                            let p = *r.pick(&council[slot]);
                            if !chosen.iter().any(|&(q, _)| q == p) {
                                chosen.push((p, slot));
                            }
                        }
                        let mayor_chairs = self.plan.organizations[o].classification
                            == "Verwaltungsrat"
                            || r.chance(0.2);
                        if mayor_chairs {
                            self.member(m, o, MembershipRole::Chair, None, start, end);
                        }
                        for (i, &(p, slot)) in chosen.iter().enumerate() {
                            let role = if i == 0 && !mayor_chairs {
                                MembershipRole::Chair
                            } else if i == 1 {
                                MembershipRole::DeputyChair
                            } else {
                                MembershipRole::Member
                            };
                            self.member(p, o, role, self.faction_org[slot], start, end);
                        }
                    }
                    _ => {}
                }
            }

            // Resignations: a successor takes over every seat for the rest of the term.
            let term_end = self.plan.terms[t].end;
            let limit = term_end.min(self.today - days(30));
            let span = (limit - start).num_days() - 120;
            if span > 0 {
                for slot in 0..slots {
                    for i in 0..council[slot].len() {
                        if !r.chance(0.05) {
                            continue;
                        }
                        let p = council[slot][i];
                        let resign = start + days(90 + r.range(0, span));
                        let successor = self.new_person(&mut r, Kind::Council);
                        let mut clones = Vec::new();
                        for mi in first_membership..self.plan.memberships.len() {
                            let ms = &mut self.plan.memberships[mi];
                            if ms.person == p && ms.start == start && ms.end == end {
                                ms.end = Some(resign);
                                let mut c = ms.clone();
                                c.person = successor;
                                c.start = resign + days(1);
                                c.end = end;
                                clones.push(c);
                            }
                        }
                        self.plan.memberships.extend(clones);
                        council[slot][i] = successor;
                    }
                }
            }
            prev_council = council;
            prev_citizens = tc
                .citizens
                .iter()
                .map(|l| l.iter().map(|&(p, _)| p).collect())
                .collect();
        }
        let mut by_org = vec![Vec::new(); self.plan.organizations.len()];
        for (i, ms) in self.plan.memberships.iter().enumerate() {
            by_org[ms.organization].push(i);
        }
        self.mem_by_org = by_org;
    }

    fn least_loaded(
        &self,
        r: &mut Rng,
        tc: &TermStaff,
        slot: usize,
        taken: &[Holder],
        extra_taken: &[usize],
    ) -> Option<usize> {
        let cands: Vec<usize> = tc.council[slot]
            .iter()
            .copied()
            .filter(|p| !taken.iter().any(|h| h.person == *p) && !extra_taken.contains(p))
            .collect();
        let min = cands
            .iter()
            .map(|p| tc.load.get(p).copied().unwrap_or(0))
            .min()?;
        let best: Vec<usize> = cands
            .into_iter()
            .filter(|p| tc.load.get(p).copied().unwrap_or(0) == min)
            .collect();
        Some(*r.pick(&best))
    }

    fn citizen(
        &mut self,
        r: &mut Rng,
        tc: &mut TermStaff,
        carry: &mut [Vec<usize>],
        slot: usize,
        taken: &[Holder],
    ) -> usize {
        let cands: Vec<usize> = tc.citizens[slot]
            .iter()
            .enumerate()
            .filter(|(_, (p, load))| *load < 2 && !taken.iter().any(|h| h.person == *p))
            .map(|(i, _)| i)
            .collect();
        if !cands.is_empty() && r.chance(0.45) {
            let i = *r.pick(&cands);
            tc.citizens[slot][i].1 += 1;
            return tc.citizens[slot][i].0;
        }
        let p = match carry[slot].pop() {
            Some(p) => p,
            None => self.new_person(r, Kind::Citizen),
        };
        tc.citizens[slot].push((p, 1));
        p
    }

    fn staff_committee(
        &mut self,
        r: &mut Rng,
        tc: &mut TermStaff,
        carry: &mut [Vec<usize>],
        org: usize,
        mayor: usize,
    ) {
        let seats = self.council_seats[tc.t].clone();
        let strengths: Vec<f64> = seats.iter().map(|&(_, k)| f64::from(k)).collect();
        let alloc = dhondt(&strengths, self.meta[org].seats);
        let allow_citizens = self.meta[org].citizens;
        let mut holders: Vec<Holder> = Vec::new();
        for (i, &(slot, _)) in seats.iter().enumerate() {
            let k = alloc[i];
            let max_citizens = if allow_citizens {
                k.saturating_sub(1) / 2
            } else {
                0
            };
            let mut citizens = 0;
            for _ in 0..k {
                let want_citizen = citizens < max_citizens && r.chance(self.p.citizen_share);
                let council_member = if want_citizen {
                    None
                } else {
                    self.least_loaded(r, tc, slot, &holders, &[])
                };
                match council_member {
                    Some(p) => {
                        *tc.load.entry(p).or_insert(0) += 1;
                        holders.push(Holder {
                            person: p,
                            slot,
                            council: true,
                        });
                    }
                    None if allow_citizens => {
                        let p = self.citizen(r, tc, carry, slot, &holders);
                        citizens += 1;
                        holders.push(Holder {
                            person: p,
                            slot,
                            council: false,
                        });
                    }
                    None => {}
                }
            }
        }
        // Chair and deputy from the council members, big factions first.
        let is_hfa = org == self.hfa;
        if is_hfa {
            self.member(mayor, org, MembershipRole::Chair, None, tc.start, tc.end);
        }
        let council_holders: Vec<usize> =
            (0..holders.len()).filter(|&i| holders[i].council).collect();
        let weight_of = |h: &Holder| {
            let k = seats
                .iter()
                .find(|(s, _)| *s == h.slot)
                .map(|&(_, k)| f64::from(k))
                .unwrap_or(1.0);
            k * k
        };
        let mut chair = None;
        let mut deputy = None;
        if !council_holders.is_empty() {
            let w: Vec<f64> = council_holders
                .iter()
                .map(|&i| weight_of(&holders[i]))
                .collect();
            let c = council_holders[r.weighted(&w)];
            let others: Vec<usize> = council_holders
                .iter()
                .copied()
                .filter(|&i| holders[i].slot != holders[c].slot)
                .collect();
            let d = if others.is_empty() {
                None
            } else {
                let w: Vec<f64> = others.iter().map(|&i| weight_of(&holders[i])).collect();
                Some(others[r.weighted(&w)])
            };
            if is_hfa {
                deputy = Some(c);
            } else {
                chair = Some(c);
                deputy = d;
            }
        }
        for (i, h) in holders.iter().enumerate() {
            let role = if Some(i) == chair {
                MembershipRole::Chair
            } else if Some(i) == deputy {
                MembershipRole::DeputyChair
            } else if h.council {
                MembershipRole::Member
            } else {
                MembershipRole::CitizenMember
            };
            self.member(
                h.person,
                org,
                role,
                self.faction_org[h.slot],
                tc.start,
                tc.end,
            );
        }
        // One substitute per seat.
        let mut subs: Vec<usize> = Vec::new();
        for h in &holders {
            let pool: Vec<usize> = tc.council[h.slot]
                .iter()
                .copied()
                .filter(|p| !holders.iter().any(|x| x.person == *p) && !subs.contains(p))
                .collect();
            let sub = if pool.is_empty() {
                tc.citizens[h.slot]
                    .iter()
                    .map(|&(p, _)| p)
                    .find(|p| !holders.iter().any(|x| x.person == *p) && !subs.contains(p))
            } else {
                Some(*r.pick(&pool))
            };
            if let Some(s) = sub {
                subs.push(s);
                self.member(
                    s,
                    org,
                    MembershipRole::Substitute,
                    self.faction_org[h.slot],
                    tc.start,
                    tc.end,
                );
            }
        }
        // Factions without a seat send an advisory member.
        for (i, &(slot, _)) in seats.iter().enumerate() {
            if alloc[i] == 0
                && let Some(p) = self.least_loaded(r, tc, slot, &holders, &subs)
            {
                self.member(
                    p,
                    org,
                    MembershipRole::AdvisoryMember,
                    self.faction_org[slot],
                    tc.start,
                    tc.end,
                );
            }
        }
        // The Jugendhilfeausschuss has voting members from the independent youth welfare
        // organizations.
        if self.plan.organizations[org].code == "JHA" {
            for _ in 0..4 {
                let p = self.new_person(r, Kind::Youth);
                self.member(p, org, MembershipRole::Member, None, tc.start, tc.end);
            }
        }
        tc.holders[org] = holders;
    }

    fn staff_sub(
        &mut self,
        r: &mut Rng,
        tc: &mut TermStaff,
        carry: &mut [Vec<usize>],
        org: usize,
        mayor: usize,
    ) {
        let parent = self.plan.organizations[org].parent;
        let parent_holders = parent.map(|p| tc.holders[p].clone()).unwrap_or_default();
        if parent_holders.is_empty() {
            self.staff_committee(r, tc, carry, org, mayor);
            return;
        }
        let seats = self.council_seats[tc.t].clone();
        let counts: Vec<f64> = seats
            .iter()
            .map(|&(s, _)| parent_holders.iter().filter(|h| h.slot == s).count() as f64)
            .collect();
        let alloc = dhondt(&counts, self.meta[org].seats);
        let mut holders = Vec::new();
        for (i, &(slot, _)) in seats.iter().enumerate() {
            let mut pool: Vec<Holder> = parent_holders
                .iter()
                .copied()
                .filter(|h| h.slot == slot)
                .collect();
            r.shuffle(&mut pool);
            holders.extend(pool.into_iter().take(alloc[i] as usize));
        }
        let chair = holders.iter().position(|h| h.council);
        for (i, h) in holders.iter().enumerate() {
            let role = if Some(i) == chair {
                MembershipRole::Chair
            } else if h.council {
                MembershipRole::Member
            } else {
                MembershipRole::CitizenMember
            };
            self.member(
                h.person,
                org,
                role,
                self.faction_org[h.slot],
                tc.start,
                tc.end,
            );
        }
        tc.holders[org] = holders;
    }

    fn staff_beirat(
        &mut self,
        r: &mut Rng,
        tc: &mut TermStaff,
        org: usize,
        prev: Vec<usize>,
    ) -> Vec<usize> {
        let seats = self.council_seats[tc.t].clone();
        for &(slot, _) in seats.iter().take(self.p.beirat_council) {
            if let Some(p) = self.least_loaded(r, tc, slot, &[], &[]) {
                *tc.load.entry(p).or_insert(0) += 1;
                self.member(
                    p,
                    org,
                    MembershipRole::Member,
                    self.faction_org[slot],
                    tc.start,
                    tc.end,
                );
            }
        }
        let k = (self.meta[org].seats as usize).saturating_sub(self.p.beirat_council);
        let mut members: Vec<usize> = prev.into_iter().filter(|_| r.chance(0.6)).collect();
        members.truncate(k);
        while members.len() < k {
            let p = self.new_person(r, Kind::Beirat);
            members.push(p);
        }
        r.shuffle(&mut members);
        for (i, &p) in members.iter().enumerate() {
            let role = match i {
                0 => MembershipRole::Chair,
                1 => MembershipRole::DeputyChair,
                _ => MembershipRole::Member,
            };
            self.member(p, org, role, None, tc.start, tc.end);
        }
        members
    }

    // -----------------------------------------------------------------------------------------
    // Meetings

    fn meetings(&mut self) {
        let mut r = self.rng("meetings");
        let n = self.plan.terms.len();
        // (date, start minute, org, partner, special)
        let mut drafts: Vec<(NaiveDate, u32, usize, Option<usize>, Special)> = Vec::new();
        for org in 0..self.plan.organizations.len() {
            if self.meta[org].freq <= 0.0 {
                continue;
            }
            for t in 0..n {
                if !self.meta[org].active[t] {
                    continue;
                }
                let term = self.plan.terms[t].clone();
                let role = self.meta[org].role;
                let offset = match role {
                    Role::Council => 0,
                    Role::Faction | Role::DistrictFaction | Role::Group => 7,
                    _ => 21,
                };
                let o = &self.plan.organizations[org];
                let mut from = (term.start + days(offset))
                    .max(self.history_start)
                    .max(o.start);
                let to = term
                    .end
                    .min(o.end.unwrap_or(self.horizon))
                    .min(self.horizon);
                if from > to {
                    continue;
                }
                if role == Role::Council && term.start >= self.history_start - days(3) {
                    let d = working_day(term.start + days(r.range(3, 12)));
                    if d <= to {
                        drafts.push((d, self.meta[org].start_min, org, None, Special::Constituent));
                        from = d + days(21);
                    }
                }
                let meta = &self.meta[org];
                let (freq, weekday) = (meta.freq, meta.weekday);
                if role == Role::Faction && self.p.faction_board {
                    // Weekly: the faction on its day, its board the day after.
                    self.schedule_org(
                        &mut r,
                        org,
                        from,
                        to,
                        freq / 2.0,
                        weekday,
                        Special::None,
                        &mut drafts,
                    );
                    self.schedule_org(
                        &mut r,
                        org,
                        from,
                        to,
                        freq / 2.0,
                        (weekday + 1) % 5,
                        Special::Board,
                        &mut drafts,
                    );
                } else {
                    self.schedule_org(
                        &mut r,
                        org,
                        from,
                        to,
                        freq,
                        weekday,
                        Special::None,
                        &mut drafts,
                    );
                }
            }
        }
        drafts.sort_by_key(|&(d, s, o, _, _)| (d, s, o));

        let mut seq: HashMap<(usize, i32), u32> = HashMap::new();
        self.org_meetings = vec![Vec::new(); self.plan.organizations.len()];
        for (date, start_min, org, partner, special) in drafts {
            let idx = self.plan.meetings.len();
            let genv = &self.meta[org].genitive;
            let name = match special {
                Special::Constituent => format!("Konstituierende Sitzung {genv}"),
                Special::Extra => format!("Sondersitzung {genv}"),
                Special::Board => format!("Sitzung des Fraktionsvorstands {genv}"),
                Special::None => match partner {
                    Some(p) => format!("Gemeinsame Sitzung {genv} und {}", self.meta[p].genitive),
                    None => format!("Sitzung {genv}"),
                },
            };
            let past = date < self.today;
            let state = if special == Special::Constituent {
                if past {
                    MeetingState::Held
                } else {
                    MeetingState::Invited
                }
            } else if past {
                if r.chance(0.03) {
                    MeetingState::Cancelled
                } else {
                    MeetingState::Held
                }
            } else if r.chance(0.01) {
                MeetingState::Cancelled
            } else if date <= self.today + days(10) {
                MeetingState::Invited
            } else {
                MeetingState::Planned
            };
            let location = match self.plan.organizations[org].location {
                Some(_) if self.meta[org].role == Role::Committee && r.chance(0.1) => {
                    Some(*r.pick(&self.rooms))
                }
                other => other,
            };
            let counter = seq.entry((org, date.year())).or_insert(0);
            *counter += 1;
            let start = date.and_time(
                NaiveTime::from_hms_opt(start_min / 60, start_min % 60, 0).expect("valid time"),
            );
            let mut organizations = vec![org];
            organizations.extend(partner);
            self.plan.meetings.push(Meeting {
                organizations,
                name,
                sequence: *counter,
                start,
                end: start + Duration::hours(2),
                location,
                state,
                minutes: MinutesState::None,
                participants: Vec::new(),
                agenda: Vec::new(),
            });
            self.meeting_special.push(special);
            self.org_meetings[org].push(idx);
        }
        self.meeting_cons = vec![Vec::new(); self.plan.meetings.len()];
        self.meeting_load = vec![0; self.plan.meetings.len()];
    }

    #[allow(clippy::too_many_arguments)]
    fn schedule_org(
        &self,
        r: &mut Rng,
        org: usize,
        from: NaiveDate,
        to: NaiveDate,
        freq: f64,
        weekday: u32,
        series: Special,
        drafts: &mut Vec<(NaiveDate, u32, usize, Option<usize>, Special)>,
    ) {
        let meta = &self.meta[org];
        let interval = 365.0 / freq;
        let mut target = r.uniform(0.0, interval.min(120.0));
        let mut last: Option<NaiveDate> = None;
        loop {
            let raw = from + days(target as i64);
            if raw > to {
                break;
            }
            target += interval * r.uniform(0.8, 1.2);
            let moved = out_of_break(raw);
            if moved != raw && interval < 21.0 {
                // Frequent meetings pause over the holidays.
                continue;
            }
            let wd = if r.chance(0.12) {
                r.range(0, 4) as u32
            } else {
                weekday
            };
            let mut d = next_weekday(moved, wd);
            if let Some(l) = last
                && d <= l
            {
                d = working_day(l + days(1));
            }
            if d > to {
                break;
            }
            let mut start_min = meta.start_min;
            if r.chance(0.1) {
                start_min = (start_min + 30).min(18 * 60 + 30);
            }
            let mut partner = None;
            let mut special = series;
            if meta.role == Role::Committee && r.chance(0.03) {
                let mut cands: Vec<usize> = Vec::new();
                for &topic in &meta.topics {
                    for &c in &self.topic_committees[topic as usize] {
                        if c != org
                            && !cands.contains(&c)
                            && self.plan.organizations[c].active_on(d)
                        {
                            cands.push(c);
                        }
                    }
                }
                cands.sort_unstable();
                if !cands.is_empty() {
                    partner = Some(*r.pick(&cands));
                }
            } else if matches!(meta.role, Role::Committee | Role::Council) && r.chance(0.02) {
                special = Special::Extra;
            }
            drafts.push((d, start_min, org, partner, special));
            last = Some(d);
        }
    }

    fn meeting_date(&self, m: usize) -> NaiveDate {
        self.plan.meetings[m].start.date()
    }

    /// The next usable meeting of `org` on or after `earliest`: not cancelled, preferably with
    /// room on the agenda.
    fn find_meeting(&self, org: usize, earliest: NaiveDate, respect_cap: bool) -> Option<usize> {
        let list = &self.org_meetings[org];
        let first = list.partition_point(|&m| self.meeting_date(m) < earliest);
        let mut fallback = None;
        for &m in list[first..].iter().take(6) {
            if self.plan.meetings[m].state == MeetingState::Cancelled {
                continue;
            }
            if !respect_cap || self.meeting_load[m] < self.meta[org].cap {
                return Some(m);
            }
            fallback.get_or_insert(m);
        }
        fallback
    }

    // -----------------------------------------------------------------------------------------
    // Papers

    fn enqueue(&mut self, date: NaiveDate, follow: Follow) {
        if date > self.today {
            return;
        }
        self.queue_items.push(Some(follow));
        self.queue.push(Reverse((date, self.queue_items.len() - 1)));
    }

    fn papers(&mut self) {
        let mut r = self.rng("papers");
        let paper_start = self.history_start - days(40);
        let small = self.scale == Scale::Small;
        for year in paper_start.year()..=self.today.year() {
            let mut at = |m: u32, d0: i64, d1: i64, cal: Cal, r: &mut Rng| {
                let d = working_day(ymd(year, m, 1) + days(r.range(d0, d1)));
                if d >= paper_start {
                    self.enqueue(d, Follow::Calendar(cal));
                }
            };
            at(10, 5, 25, Cal::BudgetIntro, &mut r);
            at(11, 10, 25, Cal::Budget, &mut r);
            at(5, 0, 25, Cal::Accounts, &mut r);
            at(5, 5, 15, Cal::Quarter(1), &mut r);
            at(8, 20, 28, Cal::Quarter(2), &mut r);
            at(11, 0, 8, Cal::Quarter(3), &mut r);
            for fee in 0..3 {
                at(11, 0, 10, Cal::Fees(fee), &mut r);
            }
            if !small {
                at(9, 0, 20, Cal::Holdings, &mut r);
            }
        }
        let main_share = 0.88;
        let rate = self.p.papers_per_year * main_share / 250.0;
        let mut d = paper_start;
        while d <= self.today {
            while let Some(&Reverse((fd, id))) = self.queue.peek() {
                if fd > d {
                    break;
                }
                self.queue.pop();
                if let Some(f) = self.queue_items[id].take() {
                    self.follow_up(&mut r, f, fd);
                }
            }
            if weekday_idx(d) < 5 {
                let k = r.poisson(rate * season(d));
                for _ in 0..k {
                    self.new_main_paper(&mut r, d);
                }
            }
            d += days(1);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_paper(
        &mut self,
        paper_type: PaperType,
        title: String,
        date: NaiveDate,
        department: usize,
        persons: Vec<usize>,
        orgs: Vec<usize>,
        text: String,
        public: bool,
        release: ReleaseState,
        supplement_to: Option<usize>,
        proposal: String,
    ) -> usize {
        let (year, sequence, supplement_number) = match supplement_to {
            Some(main) => {
                self.supp_count[main] += 1;
                let m = &self.plan.papers[main];
                (m.year, m.sequence, self.supp_count[main])
            }
            None => {
                let c = self.seq_by_year.entry(date.year()).or_insert(0);
                *c += 1;
                (date.year(), *c, 0)
            }
        };
        self.plan.papers.push(Paper {
            year,
            sequence,
            supplement_to,
            supplement_number,
            paper_type,
            title,
            date,
            department,
            originator_persons: persons,
            originator_organizations: orgs,
            text,
            related: Vec::new(),
            public,
            release,
            consultations: Vec::new(),
        });
        self.proposal.push(proposal);
        self.supp_count.push(0);
        self.plan.papers.len() - 1
    }

    fn relate(&mut self, a: usize, b: usize) {
        self.plan.papers[a].related.push(b);
        self.plan.papers[b].related.push(a);
    }

    /// Schedules a Beratungsfolge: each step in the next meeting of its organization after
    /// the previous step; once a step finds no meeting, the rest stay unscheduled.
    fn schedule(
        &self,
        r: &mut Rng,
        path: &[(usize, ConsultationRole)],
        date: NaiveDate,
        lead: i64,
    ) -> Vec<Option<usize>> {
        let mut out = Vec::with_capacity(path.len());
        let mut earliest = date + days(lead);
        let mut open = true;
        for &(org, _) in path {
            let m = if open {
                self.find_meeting(org, earliest, true)
            } else {
                None
            };
            match m {
                Some(m) => {
                    earliest = self.meeting_date(m) + days(r.range(2, 7));
                }
                None => open = false,
            }
            out.push(m);
        }
        out
    }

    fn attach(
        &mut self,
        paper: usize,
        path: &[(usize, ConsultationRole)],
        meetings: &[Option<usize>],
        mirror: bool,
    ) {
        for (i, (&(org, role), &m)) in path.iter().zip(meetings).enumerate() {
            let c = self.plan.consultations.len();
            self.plan.consultations.push(Consultation {
                paper,
                organization: org,
                role,
                authoritative: role == ConsultationRole::Decision,
                position: i as u32 + 1,
                meeting: m,
                agenda_item: None,
            });
            self.plan.papers[paper].consultations.push(c);
            if let Some(m) = m {
                self.meeting_cons[m].push(c);
                if !mirror {
                    self.meeting_load[m] = self.meeting_load[m].saturating_add(1);
                }
            }
        }
    }

    fn active_at(&self, org: usize, d: NaiveDate) -> bool {
        self.plan.organizations[org].active_on(d)
    }

    fn committee_for(&self, topic: Topic, d: NaiveDate) -> usize {
        let list = &self.topic_committees[topic as usize];
        list.iter()
            .copied()
            .find(|&o| self.active_at(o, d + days(45)))
            .or_else(|| list.iter().copied().find(|&o| self.active_at(o, d)))
            .unwrap_or(self.hfa)
    }

    fn beirat_for(&self, topic: Topic, d: NaiveDate) -> Option<usize> {
        self.topic_beiraete[topic as usize]
            .iter()
            .copied()
            .find(|&o| self.active_at(o, d + days(45)))
    }

    fn sub_for(&self, primary: usize, topic: Topic, d: NaiveDate) -> Option<usize> {
        self.topic_subs[topic as usize].iter().copied().find(|&o| {
            self.plan.organizations[o].parent == Some(primary) && self.active_at(o, d + days(45))
        })
    }

    fn department_for(&self, topic: Topic) -> usize {
        self.dept_for_topic[topic as usize]
            .first()
            .copied()
            .or_else(|| self.dept_for_topic.iter().find_map(|l| l.first().copied()))
            .expect("departments exist")
    }

    fn active_chair(&self, org: usize, d: NaiveDate) -> Option<usize> {
        self.mem_by_org[org]
            .iter()
            .map(|&mi| &self.plan.memberships[mi])
            .find(|m| m.role == MembershipRole::Chair && m.active_on(d))
            .map(|m| m.person)
    }

    /// The head of a department (or of its Dezernat), else the mayor.
    fn head_of(&self, dept: usize, d: NaiveDate) -> Option<usize> {
        let mut o = Some(dept);
        while let Some(x) = o {
            if let Some(p) = self.active_chair(x, d) {
                return Some(p);
            }
            o = self.plan.organizations[x].parent;
        }
        self.active_chair(self.rat, d)
    }

    fn bv_for_district(&self, district: usize, d: NaiveDate) -> Option<usize> {
        if self.bvs.is_empty() {
            return None;
        }
        let bv = self.bvs[district % self.bvs.len()];
        self.active_at(bv, d).then_some(bv)
    }

    fn ctx(&self, r: &mut Rng, d: NaiveDate) -> (Ctx, usize) {
        let district = r.index(self.stadtteile.len());
        let street = r.pick(data::STREETS).to_string();
        let mut street2 = r.pick(data::STREETS).to_string();
        while street2 == street {
            street2 = r.pick(data::STREETS).to_string();
        }
        let mut street3 = r.pick(data::STREETS).to_string();
        while street3 == street || street3 == street2 {
            street3 = r.pick(data::STREETS).to_string();
        }
        let school = if r.chance(0.2) {
            r.pick(data::GYMNASIA).to_string()
        } else {
            format!("{} {}", r.pick(data::SCHOOL_KINDS), r.pick(data::STREETS))
        };
        let depts: Vec<usize> = (0..self.plan.organizations.len())
            .filter(|&o| self.meta[o].role == Role::Department)
            .collect();
        let (amt, amt_gen) = match depts.is_empty() {
            true => (String::new(), String::new()),
            false => {
                let o = *r.pick(&depts);
                let name = self.plan.organizations[o].name.clone();
                let genv = text::genitive(&name);
                (name, genv)
            }
        };
        let ctx = Ctx {
            city: self.city.clone(),
            kind: self.kind_word.clone(),
            street,
            street2,
            street3,
            flur: r.pick(data::FLUR_NAMES).to_string(),
            nr: r.range(10, 180) as u32,
            k: r.range(3, 120) as u32,
            district: self.stadtteile[district].clone(),
            year: d.year(),
            school,
            creek: r.pick(data::CREEKS).to_string(),
            quarter: (d.month() - 1) / 3 + 1,
            gem: r.pick(&self.stadtteile).clone(),
            n: r.range(2, 12) as u32,
            n2: r.range(3, 60) as u32,
            amt,
            amt_gen,
            partner: r.pick(data::PARTNER_TOWNS).to_string(),
            cost: text::euros(r.range(20, 900) as u64 * 1000),
        };
        (ctx, district)
    }

    fn finance_text(&self, r: &mut Rng, cost: Cost, year: i32) -> String {
        let product = format!(
            "{:02}.{:02}.{:02}",
            r.range(1, 16),
            r.range(1, 9),
            r.range(1, 20)
        );
        match cost {
            Cost::None => "Keine.".to_string(),
            Cost::Small => format!(
                "Die Kosten in Höhe von rund {} werden aus dem laufenden Budget des Produkts {product} gedeckt.",
                text::euros(r.range(5, 90) as u64 * 1000)
            ),
            Cost::Medium => format!(
                "Die Maßnahme verursacht Kosten in Höhe von rund {}. Die Mittel sind im Haushaltsplan {year} im Produkt {product} veranschlagt.",
                text::euros(r.range(100, 950) as u64 * 1000)
            ),
            Cost::Large => {
                let total = r.range(12, 250) as u64 * 100_000;
                format!(
                    "Die Gesamtkosten werden auf rund {} geschätzt; davon entfallen {} auf das Haushaltsjahr {year}. Fördermittel in Höhe von {} sind beantragt.",
                    text::euros(total),
                    text::euros(total / 4),
                    text::euros(total / 2)
                )
            }
            Cost::Income => format!(
                "Es entstehen Erträge in Höhe von rund {} im Produkt {product}.",
                text::euros(r.range(10, 500) as u64 * 1000)
            ),
        }
    }

    fn release_for(&self, r: &mut Rng, d: NaiveDate) -> ReleaseState {
        if d + days(14) > self.today && r.chance(0.35) {
            ReleaseState::Draft
        } else if r.chance(0.005) {
            ReleaseState::Withdrawn
        } else {
            ReleaseState::Released
        }
    }

    fn dedupe(path: &mut Vec<(usize, ConsultationRole)>) {
        let mut seen: Vec<usize> = Vec::new();
        path.retain(|&(o, _)| {
            if seen.contains(&o) {
                false
            } else {
                seen.push(o);
                true
            }
        });
    }

    fn new_main_paper(&mut self, r: &mut Rng, d: NaiveDate) {
        let weights: [f64; 4] = if self.scale == Scale::Small {
            [58.0, 22.0, 12.0, 8.0]
        } else {
            [48.0, 26.0, 14.0, 12.0]
        };
        match r.weighted(&weights) {
            0 => self.new_vorlage(r, d, false),
            1 => self.new_vorlage(r, d, true),
            2 => self.new_antrag(r, d),
            _ => self.new_anfrage(r, d),
        }
    }

    fn decision_path(
        &self,
        r: &mut Rng,
        topic: Topic,
        tpl: &PaperTpl,
        d: NaiveDate,
        bv: Option<usize>,
    ) -> Vec<(usize, ConsultationRole)> {
        use ConsultationRole::*;
        if tpl.vergabe {
            let o = self
                .vga
                .filter(|&v| self.active_at(v, d))
                .unwrap_or(self.hfa);
            return vec![(o, Decision)];
        }
        let primary = self.committee_for(topic, d);
        let mut path = Vec::new();
        if let Some(bv) = bv {
            if r.chance(0.15) && !matches!(topic, Topic::Planning | Topic::Finance) && !tpl.series {
                return vec![(bv, Decision)];
            }
            if r.chance(0.75) {
                path.push((bv, Hearing));
            }
        }
        if let Some(b) = self.beirat_for(topic, d)
            && r.chance(0.2)
        {
            path.push((b, Hearing));
        }
        if let Some(s) = self.sub_for(primary, topic, d)
            && r.chance(0.25)
        {
            path.push((s, Preliminary));
        }
        let council_level = matches!(topic, Topic::Audit)
            || (matches!(topic, Topic::Finance | Topic::General) && r.chance(0.5))
            || tpl.series
            || (tpl.cost == Cost::Large && r.chance(0.6))
            || r.chance(self.p.council_share);
        if council_level {
            if primary != self.hfa {
                path.push((primary, Preliminary));
            }
            if primary == self.hfa
                || (matches!(tpl.cost, Cost::Large | Cost::Medium) && r.chance(0.4))
            {
                path.push((self.hfa, Preliminary));
            }
            path.push((self.rat, Decision));
        } else {
            path.push((primary, Decision));
        }
        Gen::dedupe(&mut path);
        path
    }

    fn info_path(
        &self,
        r: &mut Rng,
        topic: Topic,
        d: NaiveDate,
        bv: Option<usize>,
    ) -> Vec<(usize, ConsultationRole)> {
        use ConsultationRole::*;
        if let Some(bv) = bv
            && r.chance(0.5)
        {
            return vec![(bv, Notice)];
        }
        if r.chance(0.08) {
            return vec![(self.rat, Notice)];
        }
        let primary = self.committee_for(topic, d);
        let mut path = Vec::new();
        if let Some(b) = self.beirat_for(topic, d)
            && r.chance(0.15)
        {
            path.push((b, Hearing));
        }
        path.push((primary, Notice));
        Gen::dedupe(&mut path);
        path
    }

    fn first_date(&self, paper: usize) -> Option<NaiveDate> {
        self.plan.papers[paper]
            .consultations
            .first()
            .and_then(|&c| self.plan.consultations[c].meeting)
            .map(|m| self.meeting_date(m))
    }

    fn new_vorlage(&mut self, r: &mut Rng, d: NaiveDate, info: bool) {
        let kind = usize::from(info);
        let weights: Vec<f64> = ALL_TOPICS
            .iter()
            .map(|&t| {
                if self.tpl_index[kind][t as usize].is_empty()
                    || (t == Topic::Petition && self.scale == Scale::Small)
                {
                    0.0
                } else {
                    data::topic_weight(t)
                }
            })
            .collect();
        // The same title twice in a year would look odd (a city-wide plan is adopted once);
        // try a few other topics, templates and places first.
        let mut topic = Topic::General;
        let (mut tpl, (mut ctx, mut district)) = (&PAPERS[0], (Ctx::default(), 0));
        for attempt in 0..8 {
            topic = ALL_TOPICS[r.weighted(&weights)];
            tpl = &PAPERS[*r.pick(&self.tpl_index[kind][topic as usize])];
            (ctx, district) = self.ctx(r, d);
            let key = format!("{}|{}", d.year(), text::fill(tpl.title, &ctx));
            if !self.titles_used.contains(&key) || attempt == 7 {
                self.titles_used.insert(key);
                break;
            }
        }
        let bv = if tpl.district {
            self.bv_for_district(district, d)
        } else {
            None
        };
        let path = if info {
            self.info_path(r, topic, d, bv)
        } else {
            self.decision_path(r, topic, tpl, d, bv)
        };
        let title = text::fill(tpl.title, &ctx);
        let public = tpl.public && !r.chance(0.015);
        let dept = self.department_for(topic);
        let persons: Vec<usize> = self.head_of(dept, d).into_iter().collect();
        let decider = path.last().expect("path is never empty").0;
        let proposal = if info {
            String::new()
        } else {
            text::fill(tpl.proposal, &ctx)
        };
        let text = self.vorlage_text(r, tpl, &ctx, decider, &proposal);
        let release = self.release_for(r, d);
        let paper = self.push_paper(
            if info {
                PaperType::Mitteilungsvorlage
            } else {
                PaperType::Beschlussvorlage
            },
            title,
            d,
            dept,
            persons,
            vec![dept],
            text,
            public,
            release,
            None,
            proposal,
        );
        let lead = r.range(5, 21);
        let meetings = if release == ReleaseState::Released {
            self.schedule(r, &path, d, lead)
        } else {
            vec![None; path.len()]
        };
        self.attach(paper, &path, &meetings, false);
        if release != ReleaseState::Released {
            return;
        }
        if tpl.series {
            let when = d + days(r.range(150, 300));
            self.enqueue(
                when,
                Follow::Series {
                    prev: paper,
                    phase: 1,
                    ctx: Box::new(ctx),
                    district,
                },
            );
        }
        if !info && r.chance(0.05) {
            let last = meetings
                .iter()
                .rev()
                .flatten()
                .next()
                .map(|&m| self.meeting_date(m));
            if let Some(last) = last {
                let gap = (last - d).num_days();
                if gap >= 3 {
                    let when = d + days(r.range(1, gap - 1));
                    self.enqueue(when, Follow::Amendment { main: paper });
                }
            }
        }
    }

    fn vorlage_text(
        &self,
        r: &mut Rng,
        tpl: &PaperTpl,
        ctx: &Ctx,
        decider: usize,
        proposal: &str,
    ) -> String {
        let mut s = String::with_capacity(900);
        s.push_str("Sachverhalt:\n");
        s.push_str(&text::fill(tpl.facts, ctx));
        s.push(' ');
        let opener: &&str = r.pick(data::FACT_OPENERS);
        s.push_str(opener);
        if tpl.info {
            s.push_str("\n\nDie Verwaltung bittet um Kenntnisnahme.");
        } else {
            s.push_str("\n\nBeschlussvorschlag:\n");
            s.push_str(&self.meta[decider].nominative);
            s.push_str(" beschließt:\n");
            s.push_str(proposal);
        }
        s.push_str("\n\nFinanzielle Auswirkungen:\n");
        s.push_str(&self.finance_text(r, tpl.cost, ctx.year));
        s.push_str("\n\n");
        // The first closer recommends the proposal; a Mitteilungsvorlage has none.
        let closers = if tpl.info {
            &data::FACT_CLOSERS[1..]
        } else {
            data::FACT_CLOSERS
        };
        let closer: &&str = r.pick(closers);
        s.push_str(closer);
        s
    }

    /// A faction (slot) weighted by seats, for motions and questions.
    fn pick_slot(&self, r: &mut Rng, seats: &[(usize, u32)]) -> Option<usize> {
        if seats.is_empty() {
            return None;
        }
        // Smaller factions are busier than their size suggests.
        let w: Vec<f64> = seats.iter().map(|&(_, k)| f64::from(k).sqrt()).collect();
        Some(seats[r.weighted(&w)].0)
    }

    fn new_antrag(&mut self, r: &mut Rng, d: NaiveDate) {
        use ConsultationRole::*;
        let t = self.term_of(d);
        let (ctx, mut district) = self.ctx(r, d);
        let mut pick = *r.pick(data::MOTIONS);
        for _ in 0..6 {
            if !self
                .titles_used
                .contains(&format!("{}|{}", d.year(), pick.1))
            {
                break;
            }
            pick = *r.pick(data::MOTIONS);
        }
        self.titles_used.insert(format!("{}|{}", d.year(), pick.1));
        let (topic, subject_tpl) = pick;
        let bv_motion = !self.bvs.is_empty() && r.chance(0.22);
        let (author, path) = if bv_motion {
            let b = r.index(self.bvs.len());
            district = b;
            let Some(slot) = self.pick_slot(r, &self.bv_seats[t][b]) else {
                return;
            };
            let author = self.bv_faction_org[b][slot]
                .filter(|&o| self.active_at(o, d))
                .or(self.faction_org[slot])
                .unwrap_or(self.bvs[b]);
            (author, vec![(self.bvs[b], Decision)])
        } else {
            let Some(slot) = self.pick_slot(r, &self.council_seats[t]) else {
                return;
            };
            let Some(author) = self.faction_org[slot] else {
                return;
            };
            let primary = self.committee_for(topic, d);
            let x = r.unit();
            let path = if x < 0.5 && primary != self.hfa {
                vec![(primary, Decision)]
            } else if x < 0.8 {
                let mut p = vec![(primary, Preliminary), (self.rat, Decision)];
                Gen::dedupe(&mut p);
                p
            } else {
                vec![(self.rat, Decision)]
            };
            (author, path)
        };
        let mut ctx = ctx;
        if bv_motion {
            // A district's motion is about one of its own Stadtteile.
            let k = self.stadtteile.len();
            let nbv = self.bvs.len();
            let options: Vec<usize> = (0..k).filter(|i| i % nbv == district).collect();
            if !options.is_empty() {
                ctx.district = self.stadtteile[*r.pick(&options)].clone();
            }
        }
        let subject = text::fill(subject_tpl, &ctx);
        let author_name = self.plan.organizations[author].name.clone();
        let title = format!("Antrag {}: {subject}", text::genitive(&author_name));
        let decider = path.last().expect("path").0;
        let deadline = text::date_de(d + days(r.range(90, 200)));
        let proposal = match r.index(3) {
            0 => format!(
                "Die Verwaltung wird beauftragt, ein Konzept zum Thema „{subject}“ zu erarbeiten und bis zum {deadline} vorzulegen."
            ),
            1 => format!(
                "Die Verwaltung wird beauftragt zu prüfen, wie das Anliegen „{subject}“ umgesetzt werden kann, und über Kosten und Zeitplan zu berichten."
            ),
            _ => format!(
                "Die Verwaltung wird beauftragt, die notwendigen Schritte zur Umsetzung des Anliegens „{subject}“ einzuleiten und die Mittel im nächsten Haushalt vorzusehen."
            ),
        };
        let reasons = [
            "Viele Bürgerinnen und Bürger haben sich in den vergangenen Monaten an uns gewandt.",
            "Andere Kommunen haben mit vergleichbaren Maßnahmen gute Erfahrungen gemacht.",
            "Das Anliegen ist seit Jahren bekannt; es ist Zeit zu handeln.",
            "Die Maßnahme ist kostengünstig und schnell umsetzbar.",
            "Fördermittel von Bund und Land stehen derzeit zur Verfügung.",
        ];
        let text = format!(
            "Antrag:\n{} möge beschließen:\n{proposal}\n\nBegründung:\n{} {}\n\nWeitere Begründung erfolgt mündlich.",
            self.meta[decider].nominative,
            r.pick(&reasons),
            r.pick(&reasons)
        );
        let mut persons: Vec<usize> = self.active_chair(author, d).into_iter().collect();
        if r.chance(0.4)
            && let Some(p) = self.random_member(r, author, d)
            && !persons.contains(&p)
        {
            persons.push(p);
        }
        let dept = self.department_for(topic);
        let release = if r.chance(0.003) {
            ReleaseState::Withdrawn
        } else {
            ReleaseState::Released
        };
        let paper = self.push_paper(
            PaperType::Antrag,
            title,
            d,
            dept,
            persons,
            vec![author],
            text,
            !r.chance(0.02),
            release,
            None,
            proposal,
        );
        let lead = r.range(7, 28);
        let meetings = if release == ReleaseState::Released {
            self.schedule(r, &path, d, lead)
        } else {
            vec![None; path.len()]
        };
        self.attach(paper, &path, &meetings, false);
        if release == ReleaseState::Released
            && r.chance(0.35)
            && let Some(first) = self.first_date(paper)
        {
            let gap = (first - d).num_days();
            if gap >= 3 {
                let when = d + days(r.range(1, gap - 1));
                self.enqueue(when, Follow::Statement { antrag: paper });
            }
        }
    }

    fn random_member(&self, r: &mut Rng, org: usize, d: NaiveDate) -> Option<usize> {
        let list: Vec<usize> = self.mem_by_org[org]
            .iter()
            .map(|&mi| &self.plan.memberships[mi])
            .filter(|m| m.active_on(d) && m.role != MembershipRole::Substitute)
            .map(|m| m.person)
            .collect();
        if list.is_empty() {
            None
        } else {
            Some(*r.pick(&list))
        }
    }

    fn new_anfrage(&mut self, r: &mut Rng, d: NaiveDate) {
        use ConsultationRole::*;
        let t = self.term_of(d);
        let (ctx, district) = self.ctx(r, d);
        let mut pick = *r.pick(data::QUESTIONS);
        for _ in 0..6 {
            if !self
                .titles_used
                .contains(&format!("{}|{}", d.year(), pick.1))
            {
                break;
            }
            pick = *r.pick(data::QUESTIONS);
        }
        self.titles_used.insert(format!("{}|{}", d.year(), pick.1));
        let (topic, subject_tpl, questions) = pick;
        let subject = text::fill(subject_tpl, &ctx);
        let bv = self.bv_for_district(district, d).filter(|_| r.chance(0.2));
        // Questions in a Bezirksvertretung come from its factions and members.
        let (faction, member_word) = match bv {
            Some(bv) => {
                let b = self.meta[bv]
                    .district
                    .expect("a Bezirksvertretung has a district");
                let Some(slot) = self.pick_slot(r, &self.bv_seats[t][b]) else {
                    return;
                };
                let author = self.bv_faction_org[b][slot]
                    .filter(|&o| self.active_at(o, d))
                    .or(self.faction_org[slot]);
                (author, "Bezirksvertretung")
            }
            None => {
                let Some(slot) = self.pick_slot(r, &self.council_seats[t]) else {
                    return;
                };
                (self.faction_org[slot], "Rat")
            }
        };
        let Some(faction) = faction else {
            return;
        };
        let (title, persons, orgs) = if r.chance(0.2)
            && let Some(p) = self.random_member(r, faction, d)
        {
            let person = &self.plan.persons[p];
            let label = match (member_word, person.gender) {
                ("Rat", _) => "Ratsmitglied",
                (_, Gender::Female) => "Bezirksvertreterin",
                _ => "Bezirksvertreter",
            };
            (
                format!(
                    "Anfrage von {label} {} ({}): {subject}",
                    person.name(),
                    PARTIES[self.meta[faction].slot.unwrap_or(0)].faction_short
                ),
                vec![p],
                Vec::new(),
            )
        } else {
            let name = &self.plan.organizations[faction].name;
            (
                format!("Anfrage {}: {subject}", text::genitive(name)),
                self.active_chair(faction, d).into_iter().collect(),
                vec![faction],
            )
        };
        let org = match bv {
            Some(bv) => bv,
            None if r.chance(0.2) => self.rat,
            None => self.committee_for(topic, d),
        };
        let path = vec![(org, Notice)];
        let asker = if orgs.is_empty() {
            "Das Mitglied bittet".to_string()
        } else {
            format!("{} bittet", self.meta[faction].nominative)
        };
        let mut text = format!("{asker} die Verwaltung um Beantwortung folgender Fragen:\n");
        for (i, q) in questions.iter().enumerate() {
            text.push_str(&format!("{}. {}\n", i + 1, text::fill(q, &ctx)));
        }
        text.push_str("\nBegründung:\nDie Öffentlichkeit hat ein berechtigtes Interesse an einer transparenten Darstellung.");
        let dept = self.department_for(topic);
        let paper = self.push_paper(
            PaperType::Anfrage,
            title,
            d,
            dept,
            persons,
            orgs,
            text,
            true,
            ReleaseState::Released,
            None,
            String::new(),
        );
        let lead = r.range(3, 14);
        let meetings = self.schedule(r, &path, d, lead);
        self.attach(paper, &path, &meetings, false);
        if !r.chance(0.85) {
            return;
        }
        match meetings[0] {
            Some(m1) => {
                let d1 = self.meeting_date(m1);
                let m2 = self.find_meeting(org, d1 + days(14), false);
                let when = match m2 {
                    Some(m2) => {
                        let gap = (self.meeting_date(m2) - d1).num_days();
                        d1 + days(r.range(1, (gap - 3).max(1)))
                    }
                    None => d1 + days(r.range(14, 40)),
                };
                self.enqueue(
                    when,
                    Follow::Answer {
                        anfrage: paper,
                        org,
                        meeting: m2,
                    },
                );
            }
            None => {
                let when = d + days(r.range(20, 45));
                self.enqueue(
                    when,
                    Follow::Answer {
                        anfrage: paper,
                        org,
                        meeting: None,
                    },
                );
            }
        }
    }

    fn follow_up(&mut self, r: &mut Rng, follow: Follow, d: NaiveDate) {
        use ConsultationRole::*;
        match follow {
            Follow::Calendar(cal) => self.calendar_paper(r, cal, d),
            Follow::Answer {
                anfrage,
                org,
                meeting,
            } => {
                let a = &self.plan.papers[anfrage];
                let subject = a
                    .title
                    .strip_prefix("Anfrage ")
                    .unwrap_or(&a.title)
                    .to_string();
                let title = format!("Beantwortung der Anfrage {subject}");
                let dept = a.department;
                let public = a.public;
                let asked = text::date_de(a.date);
                let reference = a.reference();
                let n_questions = a.text.lines().filter(|l| l.contains(". ")).count().max(1);
                let mut text = format!(
                    "Die Anfrage Nr. {reference} vom {asked} wird wie folgt beantwortet:\n"
                );
                let answers = [
                    "Die Verwaltung hat den Sachverhalt geprüft. Die Maßnahme befindet sich im Zeitplan.",
                    "Hierzu liegen der Verwaltung keine gesonderten Auswertungen vor.",
                    "Die Zahlen sind in der Anlage zusammengestellt.",
                    "Die Abstimmung mit den beteiligten Stellen ist noch nicht abgeschlossen; die Verwaltung wird erneut berichten.",
                    "Die Kosten bewegen sich im Rahmen der veranschlagten Mittel.",
                ];
                for i in 0..n_questions.min(4) {
                    text.push_str(&format!("\nZu {}.: {}", i + 1, r.pick(&answers)));
                }
                let persons: Vec<usize> = self.head_of(dept, d).into_iter().collect();
                let paper = self.push_paper(
                    PaperType::Anfragebeantwortung,
                    title,
                    d,
                    dept,
                    persons,
                    vec![dept],
                    text,
                    public,
                    ReleaseState::Released,
                    None,
                    String::new(),
                );
                self.relate(anfrage, paper);
                let meeting = meeting
                    .filter(|&m| self.meeting_date(m) > d)
                    .or_else(|| self.find_meeting(org, d + days(3), false));
                self.attach(paper, &[(org, Notice)], &[meeting], false);
            }
            Follow::Statement { antrag } => {
                let a = &self.plan.papers[antrag];
                let title = match a.title.strip_prefix("Antrag ") {
                    Some(rest) => format!("Stellungnahme der Verwaltung zum Antrag {rest}"),
                    None => format!("Stellungnahme der Verwaltung: {}", a.title),
                };
                let dept = a.department;
                let public = a.public;
                let statements = [
                    "Die Verwaltung begrüßt das Anliegen grundsätzlich. Die Umsetzung ist jedoch nur bei Bereitstellung zusätzlicher Haushaltsmittel möglich.",
                    "Die Verwaltung empfiehlt, den Antrag abzulehnen, da das Anliegen bereits im Rahmen laufender Maßnahmen berücksichtigt wird.",
                    "Die Verwaltung schlägt vor, den Antrag als Prüfauftrag zu beschließen.",
                    "Eine Umsetzung ist aus rechtlichen Gründen nicht in der beantragten Form möglich. Die Verwaltung schlägt eine Alternative vor.",
                ];
                let text = format!(
                    "Zum Antrag Nr. {} nimmt die Verwaltung wie folgt Stellung:\n\n{}\n\nFinanzielle Auswirkungen:\n{}",
                    a.reference(),
                    r.pick(&statements),
                    self.finance_text(r, Cost::Small, d.year())
                );
                let persons: Vec<usize> = self.head_of(dept, d).into_iter().collect();
                let paper = self.push_paper(
                    PaperType::Stellungnahme,
                    title,
                    d,
                    dept,
                    persons,
                    vec![dept],
                    text,
                    public,
                    ReleaseState::Released,
                    Some(antrag),
                    String::new(),
                );
                self.mirror(paper, antrag, d);
            }
            Follow::Amendment { main } => {
                let a = &self.plan.papers[main];
                let number = self.supp_count[main] + 1;
                let title = format!("{} – {number}. Ergänzung", a.title);
                let dept = a.department;
                let public = a.public;
                let text = format!(
                    "Ergänzend zur Vorlage Nr. {} wird mitgeteilt:\n\nNach Versand der Vorlage haben sich neue Erkenntnisse ergeben. Die geänderte Kostenschätzung und eine ergänzende Stellungnahme der Fachplanung sind als Anlage beigefügt. Der Beschlussvorschlag bleibt unverändert.",
                    a.reference()
                );
                let proposal = self.proposal[main].clone();
                let persons: Vec<usize> = self.head_of(dept, d).into_iter().collect();
                let paper = self.push_paper(
                    PaperType::Beschlussvorlage,
                    title,
                    d,
                    dept,
                    persons,
                    vec![dept],
                    text,
                    public,
                    ReleaseState::Released,
                    Some(main),
                    proposal,
                );
                self.mirror(paper, main, d);
            }
            Follow::Series {
                prev,
                phase,
                ctx,
                district,
            } => {
                let step = if phase == 1 {
                    "Beschluss zur Offenlage"
                } else {
                    "Satzungsbeschluss"
                };
                let title = format!("Bebauungsplan Nr. {} „{}“ – {step}", ctx.nr, ctx.flur);
                let primary = self.committee_for(Topic::Planning, d);
                let mut path = Vec::new();
                if let Some(bv) = self.bv_for_district(district, d) {
                    path.push((bv, Hearing));
                }
                if phase == 1 {
                    path.push((primary, Decision));
                } else {
                    path.push((primary, Preliminary));
                    path.push((self.rat, Decision));
                }
                Gen::dedupe(&mut path);
                let decider = path.last().expect("path").0;
                let proposal = if phase == 1 {
                    format!(
                        "Der Entwurf des Bebauungsplans Nr. {} „{}“ wird mit Begründung gemäß § 3 Abs. 2 BauGB für die Dauer eines Monats öffentlich ausgelegt.",
                        ctx.nr, ctx.flur
                    )
                } else {
                    format!(
                        "Die im Verfahren eingegangenen Stellungnahmen werden gemäß Abwägungsvorschlag behandelt. Der Bebauungsplan Nr. {} „{}“ wird gemäß § 10 Abs. 1 BauGB als Satzung beschlossen.",
                        ctx.nr, ctx.flur
                    )
                };
                let text = format!(
                    "Sachverhalt:\nDer Rat hat am {} die Aufstellung des Bebauungsplans beschlossen. Die frühzeitige Beteiligung der Öffentlichkeit und der Behörden ist abgeschlossen; die Anregungen sind in der Anlage mit Abwägungsvorschlag zusammengestellt.\n\nBeschlussvorschlag:\n{} beschließt:\n{proposal}\n\nFinanzielle Auswirkungen:\nDie Planungskosten trägt der Vorhabenträger.",
                    text::date_de(self.plan.papers[prev].date),
                    self.meta[decider].nominative
                );
                let dept = self.department_for(Topic::Planning);
                let persons: Vec<usize> = self.head_of(dept, d).into_iter().collect();
                let paper = self.push_paper(
                    PaperType::Beschlussvorlage,
                    title,
                    d,
                    dept,
                    persons,
                    vec![dept],
                    text,
                    true,
                    ReleaseState::Released,
                    None,
                    proposal,
                );
                self.relate(prev, paper);
                let lead = r.range(7, 21);
                let meetings = self.schedule(r, &path, d, lead);
                self.attach(paper, &path, &meetings, false);
                if phase == 1 {
                    let when = d + days(r.range(120, 240));
                    self.enqueue(
                        when,
                        Follow::Series {
                            prev: paper,
                            phase: 2,
                            ctx,
                            district,
                        },
                    );
                }
            }
        }
    }

    /// A supplement is discussed with its main paper in every step still ahead of it.
    fn mirror(&mut self, paper: usize, main: usize, d: NaiveDate) {
        let steps: Vec<(usize, ConsultationRole, Option<usize>)> = self.plan.papers[main]
            .consultations
            .iter()
            .map(|&c| &self.plan.consultations[c])
            .filter(|c| c.meeting.is_none_or(|m| self.meeting_date(m) > d))
            .map(|c| (c.organization, c.role, c.meeting))
            .collect();
        let path: Vec<(usize, ConsultationRole)> = steps.iter().map(|&(o, r, _)| (o, r)).collect();
        let meetings: Vec<Option<usize>> = steps.iter().map(|&(_, _, m)| m).collect();
        self.attach(paper, &path, &meetings, true);
    }

    fn calendar_paper(&mut self, r: &mut Rng, cal: Cal, d: NaiveDate) {
        use ConsultationRole::*;
        let y = d.year();
        let rpa = (0..self.plan.organizations.len())
            .find(|&o| self.plan.organizations[o].code == "RPA" && self.active_at(o, d))
            .unwrap_or(self.hfa);
        let fees = [
            "Abfallentsorgung",
            "Straßenreinigung und Winterdienst",
            "Abwasserbeseitigung",
        ];
        let (ty, title, path, proposal, facts) = match cal {
            Cal::BudgetIntro => (
                PaperType::Mitteilungsvorlage,
                format!("Entwurf der Haushaltssatzung {} mit Haushaltsplan – Einbringung", y + 1),
                vec![(self.rat, Notice)],
                String::new(),
                format!(
                    "Der Entwurf der Haushaltssatzung {} wird durch die Kämmerin bzw. den Kämmerer eingebracht. Der Ergebnisplan weist einen Fehlbetrag aus, der durch die Ausgleichsrücklage gedeckt werden kann.",
                    y + 1
                ),
            ),
            Cal::Budget => (
                PaperType::Beschlussvorlage,
                format!("Haushaltssatzung und Haushaltsplan {}", y + 1),
                vec![(self.hfa, Preliminary), (self.rat, Decision)],
                format!(
                    "Die Haushaltssatzung für das Haushaltsjahr {} wird einschließlich des Stellenplans in der Fassung der Veränderungsliste beschlossen.",
                    y + 1
                ),
                "Die Fraktionen haben ihre Haushaltsanträge eingereicht. Die Veränderungsliste der Verwaltung ist beigefügt.".to_string(),
            ),
            Cal::Accounts => (
                PaperType::Beschlussvorlage,
                format!("Jahresabschluss {} und Entlastung des Bürgermeisters", y - 1),
                vec![(rpa, Preliminary), (self.rat, Decision)],
                format!(
                    "Der geprüfte Jahresabschluss {} wird festgestellt. Der Jahresüberschuss wird der Ausgleichsrücklage zugeführt. Dem Bürgermeister wird Entlastung erteilt.",
                    y - 1
                ),
                "Der Rechnungsprüfungsausschuss hat den Jahresabschluss geprüft und einen uneingeschränkten Bestätigungsvermerk erteilt.".to_string(),
            ),
            Cal::Quarter(q) => (
                PaperType::Mitteilungsvorlage,
                format!("Bericht zur Haushaltsausführung {y} – Stand {q}. Quartal"),
                vec![(self.hfa, Notice)],
                String::new(),
                "Die Verwaltung berichtet über die Entwicklung der Erträge und Aufwendungen. Wesentliche Abweichungen ergeben sich bei der Gewerbesteuer und den Energiekosten.".to_string(),
            ),
            Cal::Fees(i) => (
                PaperType::Beschlussvorlage,
                format!("Gebührenkalkulation und Gebührensatzung {} {}", fees[i % 3], y + 1),
                vec![(self.hfa, Preliminary), (self.rat, Decision)],
                format!(
                    "Die Gebührensatzung für die {} wird mit den in der Anlage kalkulierten Gebührensätzen für {} beschlossen.",
                    fees[i % 3],
                    y + 1
                ),
                "Die Gebühren sind nach dem Kommunalabgabengesetz kostendeckend zu kalkulieren. Kostenüberdeckungen der Vorjahre werden ausgeglichen.".to_string(),
            ),
            Cal::Holdings => (
                PaperType::Mitteilungsvorlage,
                format!("Beteiligungsbericht {}", y - 1),
                vec![(self.rat, Notice)],
                String::new(),
                "Der Beteiligungsbericht informiert über die wirtschaftliche Lage der städtischen Gesellschaften und Beteiligungen.".to_string(),
            ),
        };
        let mut path = path;
        Gen::dedupe(&mut path);
        let dept = self.department_for(Topic::Finance);
        let persons: Vec<usize> = self.head_of(dept, d).into_iter().collect();
        let decider = path.last().expect("path").0;
        let mut text = format!("Sachverhalt:\n{facts}");
        if !proposal.is_empty() {
            text.push_str(&format!(
                "\n\nBeschlussvorschlag:\n{} beschließt:\n{proposal}",
                self.meta[decider].nominative
            ));
        }
        text.push_str("\n\nFinanzielle Auswirkungen:\nSiehe Anlage.");
        let paper = self.push_paper(
            ty,
            title,
            d,
            dept,
            persons,
            vec![dept],
            text,
            true,
            ReleaseState::Released,
            None,
            proposal,
        );
        if matches!(cal, Cal::Budget) {
            // Relate to this year's Einbringung.
            let intro = (0..paper).rev().take(1500).find(|&p| {
                self.plan.papers[p].title
                    == format!(
                        "Entwurf der Haushaltssatzung {} mit Haushaltsplan – Einbringung",
                        y + 1
                    )
            });
            if let Some(intro) = intro {
                self.relate(intro, paper);
            }
        }
        let lead = r.range(5, 14);
        let meetings = self.schedule(r, &path, d, lead);
        self.attach(paper, &path, &meetings, false);
    }

    // -----------------------------------------------------------------------------------------
    // Agendas, participants, results

    fn attendees(&self, r: &mut Rng, m: usize) -> Vec<Att> {
        let meeting = &self.plan.meetings[m];
        let date = meeting.start.date();
        let board = self.meeting_special[m] == Special::Board;
        let mut out: Vec<Att> = Vec::new();
        for &org in &meeting.organizations {
            let mems = &self.mem_by_org[org];
            let mut absent: Vec<Option<usize>> = Vec::new();
            for &mi in mems {
                let ms = &self.plan.memberships[mi];
                if !ms.active_on(date) || ms.role == MembershipRole::Substitute {
                    continue;
                }
                let p = match ms.role {
                    MembershipRole::Chair => 0.97,
                    MembershipRole::DeputyChair if board => 0.95,
                    _ if board => 0.2,
                    _ => 0.88,
                };
                if r.chance(p) {
                    out.push(Att {
                        person: ms.person,
                        faction: ms.on_behalf_of,
                        voting: ms.voting_right,
                    });
                } else if ms.voting_right && !board {
                    absent.push(ms.on_behalf_of);
                }
            }
            for f in absent {
                if !r.chance(0.55) {
                    continue;
                }
                let sub = mems
                    .iter()
                    .map(|&mi| &self.plan.memberships[mi])
                    .find(|ms| {
                        ms.role == MembershipRole::Substitute
                            && ms.on_behalf_of == f
                            && ms.active_on(date)
                            && !out.iter().any(|a| a.person == ms.person)
                    });
                if let Some(ms) = sub {
                    out.push(Att {
                        person: ms.person,
                        faction: ms.on_behalf_of,
                        voting: true,
                    });
                }
            }
        }
        let mut seen: HashSet<usize> = HashSet::new();
        out.retain(|a| seen.insert(a.person));
        out
    }

    fn vote(
        &self,
        r: &mut Rng,
        att: &[Att],
        intended: AgendaResult,
        big: bool,
    ) -> (AgendaResult, Votes) {
        let mut voters: Vec<(usize, Option<usize>)> = att
            .iter()
            .filter(|a| a.voting)
            .map(|a| (a.person, a.faction))
            .collect();
        let mut recused = Vec::new();
        if voters.len() > 3 && r.chance(0.025) {
            let i = r.index(voters.len());
            recused.push(voters.remove(i).0);
        }
        let approve = matches!(
            intended,
            AgendaResult::Approved | AgendaResult::ApprovedAmended
        );
        let unanimous = approve && r.chance(0.6);
        let mut choices: Vec<(usize, VoteChoice)> = Vec::with_capacity(voters.len());
        let mut stances: Vec<(Option<usize>, VoteChoice)> = Vec::new();
        let (p_yes, p_no) = if approve { (0.72, 0.18) } else { (0.3, 0.6) };
        let draw = |r: &mut Rng| {
            let x = r.unit();
            if x < p_yes {
                VoteChoice::Yes
            } else if x < p_yes + p_no {
                VoteChoice::No
            } else {
                VoteChoice::Abstain
            }
        };
        for &(p, f) in &voters {
            let c = if unanimous {
                VoteChoice::Yes
            } else {
                let stance = match stances.iter().find(|(g, _)| *g == f) {
                    Some(&(_, s)) => s,
                    None => {
                        let s = if f.is_none() {
                            VoteChoice::Yes
                        } else {
                            draw(r)
                        };
                        stances.push((f, s));
                        s
                    }
                };
                if r.chance(0.93) { stance } else { draw(r) }
            };
            choices.push((p, c));
        }
        let count = |v: VoteChoice| choices.iter().filter(|(_, c)| *c == v).count() as u32;
        let (yes, no, abstain) = (
            count(VoteChoice::Yes),
            count(VoteChoice::No),
            count(VoteChoice::Abstain),
        );
        let result = if unanimous {
            intended
        } else if yes > no {
            if approve {
                intended
            } else {
                AgendaResult::Approved
            }
        } else {
            AgendaResult::Rejected
        };
        let per_member = if !unanimous && r.chance(if big { 0.15 } else { 0.06 }) {
            choices
        } else {
            Vec::new()
        };
        (
            result,
            Votes {
                yes,
                no,
                abstain,
                per_member,
                recused,
            },
        )
    }

    fn agendas(&mut self) {
        let mut r = self.rng("agendas");
        for m in 0..self.plan.meetings.len() {
            self.build_agenda(&mut r, m);
        }
        // Minutes: approved once the next held meeting of the same body has taken place.
        for org in 0..self.org_meetings.len() {
            let held: Vec<usize> = self.org_meetings[org]
                .iter()
                .copied()
                .filter(|&m| self.plan.meetings[m].state == MeetingState::Held)
                .collect();
            for (i, &m) in held.iter().enumerate() {
                let date = self.meeting_date(m);
                self.plan.meetings[m].minutes = if i + 1 < held.len() {
                    MinutesState::Approved
                } else if date + days(3) <= self.today {
                    MinutesState::Draft
                } else {
                    MinutesState::None
                };
            }
        }
    }

    fn build_agenda(&mut self, r: &mut Rng, m: usize) {
        let lead = self.plan.meetings[m].organizations[0];
        let state = self.plan.meetings[m].state;
        let date = self.meeting_date(m);
        let held = state == MeetingState::Held;
        let role = self.meta[lead].role;
        let mut cons = std::mem::take(&mut self.meeting_cons[m]);
        if state == MeetingState::Cancelled {
            debug_assert!(cons.is_empty());
            cons.clear();
        }
        let att = if held {
            self.attendees(r, m)
        } else {
            Vec::new()
        };
        let mut items: Vec<AgendaItem> = Vec::new();
        let mut links: Vec<(usize, usize)> = Vec::new(); // (consultation, item)
        let plain = |position: u32, sub: Option<u32>, public: bool, title: String| {
            let part = if public { "Ö" } else { "N" };
            let number = match sub {
                Some(s) => format!("{part} {position}.{s}"),
                None => format!("{part} {position}"),
            };
            AgendaItem {
                position,
                sub_item: sub.is_some(),
                number,
                title,
                public,
                consultation: None,
                result: None,
                resolution_text: None,
                votes: None,
            }
        };
        if state != MeetingState::Cancelled {
            match role {
                Role::Faction | Role::DistrictFaction | Role::Group => {
                    let next_session = match role {
                        Role::DistrictFaction => self.meta[lead].district.map(|b| self.bvs[b]),
                        Role::Faction => Some(self.rat),
                        _ => None,
                    }
                    .and_then(|o| self.find_meeting(o, date + days(1), false))
                    .filter(|&x| self.meeting_date(x) <= date + days(21));
                    let prep = match next_session {
                        Some(x) => format!(
                            "Vorbereitung der {} am {}",
                            self.plan.meetings[x].name,
                            text::date_de(self.meeting_date(x))
                        ),
                        None => "Aktuelle kommunalpolitische Themen".to_string(),
                    };
                    let reports = if role == Role::Group {
                        "Beratung aktueller Vorlagen aus den Fachausschüssen"
                    } else {
                        "Berichte aus den Ausschüssen und Gremien"
                    };
                    for (i, t) in [
                        "Begrüßung und Feststellung der Tagesordnung".to_string(),
                        prep,
                        reports.to_string(),
                        "Verschiedenes".to_string(),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        items.push(plain(i as u32 + 1, None, false, t));
                    }
                }
                Role::External => {
                    let (y, month) = (date.year(), date.month());
                    let company = self.plan.organizations[lead].classification == "Aufsichtsrat"
                        || self.plan.organizations[lead].classification == "Verwaltungsrat";
                    let report = if company {
                        "Bericht der Geschäftsführung zur wirtschaftlichen Lage"
                    } else {
                        "Bericht der Verbandsvorsteherin bzw. des Verbandsvorstehers"
                    };
                    let business = if month >= 10 {
                        Some(format!("Wirtschaftsplan {}", y + 1))
                    } else if (4..=7).contains(&month) {
                        Some(format!("Feststellung des Jahresabschlusses {}", y - 1))
                    } else {
                        None
                    };
                    let mut titles = vec![
                        (
                            "Eröffnung und Feststellung der Beschlussfähigkeit".to_string(),
                            None,
                        ),
                        (
                            "Genehmigung der Niederschrift über die letzte Sitzung".to_string(),
                            Some(AgendaResult::Approved),
                        ),
                        (report.to_string(), Some(AgendaResult::Noted)),
                    ];
                    if let Some(b) = business {
                        titles.push((b, Some(AgendaResult::Approved)));
                    }
                    titles.push(("Verschiedenes".to_string(), None));
                    let nominative = self.meta[lead].nominative.clone();
                    for (i, (t, result)) in titles.into_iter().enumerate() {
                        let mut item = plain(i as u32 + 1, None, false, t);
                        if held && let Some(result) = result {
                            if result == AgendaResult::Noted {
                                item.result = Some(result);
                                item.resolution_text =
                                    Some(format!("{nominative} nimmt den Bericht zur Kenntnis."));
                            } else {
                                let (res, votes) = self.vote(r, &att, result, false);
                                item.result = Some(res);
                                item.resolution_text =
                                    Some(if item.title.starts_with("Genehmigung") {
                                        "Die Niederschrift wird ohne Änderungen genehmigt."
                                            .to_string()
                                    } else {
                                        format!("{nominative} stimmt dem Beschlussvorschlag zu.")
                                    });
                                if res == AgendaResult::Rejected {
                                    item.resolution_text =
                                        Some("Der Beschlussvorschlag wird abgelehnt.".into());
                                }
                                item.votes = Some(votes);
                            }
                        }
                        items.push(item);
                    }
                }
                _ => self.committee_agenda(r, m, &cons, &att, &mut items, &mut links),
            }
        }
        // Duration from the size of the agenda.
        let start = self.plan.meetings[m].start;
        let per_item = if role == Role::Council { 6 } else { 5 };
        let base = if role == Role::Council { 75 } else { 50 };
        let mut minutes = base + per_item * items.len() as i64 + r.range(-10, 20);
        minutes = minutes.clamp(60, 240);
        let latest = start
            .date()
            .and_time(NaiveTime::from_hms_opt(22, 0, 0).expect("time"));
        let end = (start + Duration::minutes(minutes)).min(latest);
        for (c, item) in links {
            self.plan.consultations[c].agenda_item = Some(item);
        }
        let meeting = &mut self.plan.meetings[m];
        meeting.end = end;
        meeting.agenda = items;
        meeting.participants = att.iter().map(|a| a.person).collect();
    }

    #[allow(clippy::too_many_arguments)]
    fn committee_agenda(
        &mut self,
        r: &mut Rng,
        m: usize,
        cons: &[usize],
        att: &[Att],
        items: &mut Vec<AgendaItem>,
        links: &mut Vec<(usize, usize)>,
    ) {
        let lead = self.plan.meetings[m].organizations[0];
        let held = self.plan.meetings[m].state == MeetingState::Held;
        let role = self.meta[lead].role;
        let nominative = self.meta[lead].nominative.clone();
        let big = matches!(role, Role::Council);
        let special = self.meeting_special[m];
        let date = self.meeting_date(m);
        let mayor_female = self
            .active_chair(self.rat, date)
            .map(|p| self.plan.persons[p].gender == Gender::Female)
            .unwrap_or(false);

        // Sort the consultations into main items, notices and questions, public or not.
        let mut main: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut notices: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut questions: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut supplements: Vec<usize> = Vec::new();
        for &c in cons {
            let con = &self.plan.consultations[c];
            let paper = &self.plan.papers[con.paper];
            if let Some(parent) = paper.supplement_to
                && cons
                    .iter()
                    .any(|&x| self.plan.consultations[x].paper == parent)
            {
                supplements.push(c);
                continue;
            }
            let public = usize::from(paper.public && !r.chance(0.01));
            match (paper.paper_type, con.role) {
                (PaperType::Anfrage, _) => questions[public].push(c),
                (
                    PaperType::Mitteilungsvorlage | PaperType::Anfragebeantwortung,
                    ConsultationRole::Notice,
                ) => notices[public].push(c),
                _ => main[public].push(c),
            }
        }
        let previous_held = self.org_meetings[lead]
            .iter()
            .copied()
            .take_while(|&x| x != m)
            .filter(|&x| self.plan.meetings[x].state == MeetingState::Held)
            .last();

        for public in [true, false] {
            let pi = usize::from(public);
            let has_papers =
                !main[0].is_empty() || !notices[0].is_empty() || !questions[0].is_empty();
            if !public && !has_papers && !r.chance(0.5) {
                continue;
            }
            let mut pos = 0u32;
            let push =
                |items: &mut Vec<AgendaItem>, sub: Option<u32>, title: String, pos: u32| -> usize {
                    let part = if public { "Ö" } else { "N" };
                    let number = match sub {
                        Some(s) => format!("{part} {pos}.{s}"),
                        None => format!("{part} {pos}"),
                    };
                    items.push(AgendaItem {
                        position: pos,
                        sub_item: sub.is_some(),
                        number,
                        title,
                        public,
                        consultation: None,
                        result: None,
                        resolution_text: None,
                        votes: None,
                    });
                    items.len() - 1
                };
            if public {
                pos += 1;
                push(
                    items,
                    None,
                    "Eröffnung der Sitzung, Feststellung der ordnungsgemäßen Einladung und der Beschlussfähigkeit".into(),
                    pos,
                );
                if matches!(role, Role::Council | Role::District) {
                    pos += 1;
                    push(items, None, "Einwohnerfragestunde".into(), pos);
                }
            }
            if special == Special::Constituent && public {
                let mayor = if mayor_female {
                    "der Bürgermeisterin"
                } else {
                    "des Bürgermeisters"
                };
                let titles = [
                    format!("Einführung und Verpflichtung {mayor}"),
                    "Einführung und Verpflichtung der Ratsmitglieder".to_string(),
                    format!("Wahl der ehrenamtlichen Stellvertreterinnen und Stellvertreter {mayor}"),
                    "Bildung der Ausschüsse und Festlegung der Zahl ihrer Mitglieder".to_string(),
                    "Wahl der Ausschussmitglieder und ihrer Stellvertretungen".to_string(),
                    "Bestellung von Vertreterinnen und Vertretern in Gesellschaften und Einrichtungen".to_string(),
                ];
                for (i, t) in titles.into_iter().enumerate() {
                    pos += 1;
                    let it = push(items, None, t, pos);
                    if held && i >= 2 {
                        let (res, votes) = self.vote(r, att, AgendaResult::Approved, big);
                        items[it].result = Some(res);
                        items[it].resolution_text = Some(format!(
                            "{nominative} beschließt gemäß dem vorgelegten Wahlvorschlag."
                        ));
                        items[it].votes = Some(votes);
                    }
                }
            } else if let Some(prev) = previous_held {
                pos += 1;
                let suffix = if public {
                    ""
                } else {
                    " – nichtöffentlicher Teil"
                };
                let it = push(
                    items,
                    None,
                    format!(
                        "Genehmigung der Niederschrift über die Sitzung vom {}{suffix}",
                        text::date_de(self.meeting_date(prev))
                    ),
                    pos,
                );
                if held {
                    let voters = att.iter().filter(|a| a.voting).count() as u32;
                    let abstain = (r.range(0, 2) as u32).min(voters);
                    items[it].result = Some(AgendaResult::Approved);
                    items[it].resolution_text =
                        Some("Die Niederschrift wird ohne Änderungen genehmigt.".into());
                    items[it].votes = Some(Votes {
                        yes: voters - abstain,
                        no: 0,
                        abstain,
                        per_member: Vec::new(),
                        recused: Vec::new(),
                    });
                }
            }
            // Papers.
            for &c in &main[pi] {
                pos += 1;
                let title = self.plan.papers[self.plan.consultations[c].paper]
                    .title
                    .clone();
                let it = push(items, None, title, pos);
                items[it].consultation = Some(c);
                links.push((c, it));
                if held {
                    self.resolve(r, c, att, big, &nominative, &mut items[it]);
                }
                // Its supplements as sub items.
                let paper = self.plan.consultations[c].paper;
                let mut subs: Vec<usize> = supplements
                    .iter()
                    .copied()
                    .filter(|&s| {
                        self.plan.papers[self.plan.consultations[s].paper].supplement_to
                            == Some(paper)
                    })
                    .collect();
                subs.sort_by_key(|&s| self.plan.consultations[s].paper);
                for (k, s) in subs.into_iter().enumerate() {
                    let sp = self.plan.consultations[s].paper;
                    let title = self.plan.papers[sp].title.clone();
                    let number = items[it].number.clone();
                    let si = push(items, Some(k as u32 + 1), title, pos);
                    items[si].consultation = Some(s);
                    links.push((s, si));
                    if held {
                        let (res, text) = if self.plan.papers[sp].paper_type
                            == PaperType::Stellungnahme
                        {
                            (
                                AgendaResult::Noted,
                                format!(
                                    "{nominative} nimmt die Stellungnahme der Verwaltung zur Kenntnis."
                                ),
                            )
                        } else {
                            (
                                items[it].result.unwrap_or(AgendaResult::Noted),
                                format!("Siehe Beschluss zu TOP {number}."),
                            )
                        };
                        items[si].result = Some(res);
                        items[si].resolution_text = Some(text);
                    }
                }
            }
            // Notices under "Mitteilungen der Verwaltung", questions under "Anfragen".
            for (group, title) in [
                (&notices[pi], "Mitteilungen der Verwaltung"),
                (&questions[pi], "Anfragen"),
            ] {
                pos += 1;
                let it = push(items, None, title.to_string(), pos);
                if held && !group.is_empty() && title.starts_with("Mitteilungen") {
                    items[it].result = Some(AgendaResult::Noted);
                }
                for (k, &c) in group.iter().enumerate() {
                    let paper = self.plan.consultations[c].paper;
                    let t = self.plan.papers[paper].title.clone();
                    let si = push(items, Some(k as u32 + 1), t, pos);
                    items[si].consultation = Some(c);
                    links.push((c, si));
                    if held {
                        let text = match self.plan.papers[paper].paper_type {
                            PaperType::Anfrage => {
                                "Die Anfrage wird von der Verwaltung schriftlich beantwortet."
                                    .to_string()
                            }
                            PaperType::Anfragebeantwortung => format!(
                                "{nominative} nimmt die Beantwortung der Anfrage zur Kenntnis."
                            ),
                            _ => format!("{nominative} nimmt die Mitteilung zur Kenntnis."),
                        };
                        items[si].result = Some(AgendaResult::Noted);
                        items[si].resolution_text = Some(text);
                    }
                }
            }
        }
        // A supplement whose main paper is not on this agenda would be lost; there is none by
        // construction (supplements mirror their main paper's meetings).
        debug_assert!(
            supplements
                .iter()
                .all(|s| links.iter().any(|(c, _)| c == s))
        );
    }

    /// Result, resolution text and votes of a paper item in a held meeting.
    fn resolve(
        &self,
        r: &mut Rng,
        c: usize,
        att: &[Att],
        big: bool,
        nominative: &str,
        item: &mut AgendaItem,
    ) {
        use AgendaResult::*;
        let con = &self.plan.consultations[c];
        let paper = &self.plan.papers[con.paper];
        let proposal = &self.proposal[con.paper];
        let is_motion = paper.paper_type == PaperType::Antrag;
        let is_final = con.position as usize == paper.consultations.len();
        let x = r.unit();
        let intended = match con.role {
            ConsultationRole::Notice => Noted,
            ConsultationRole::Hearing => {
                if x < 0.6 {
                    Noted
                } else {
                    Approved
                }
            }
            ConsultationRole::Preliminary => {
                if x < 0.85 {
                    Approved
                } else if x < 0.92 {
                    ApprovedAmended
                } else if x < 0.95 {
                    Rejected
                } else {
                    Deferred
                }
            }
            ConsultationRole::Decision => {
                let (reject, withdraw) = if is_motion {
                    (0.35, 0.06)
                } else {
                    (0.06, 0.01)
                };
                if x < withdraw && is_final {
                    Withdrawn
                } else if x < withdraw + 0.03 {
                    Deferred
                } else if x < withdraw + 0.03 + reject {
                    Rejected
                } else if x < withdraw + 0.03 + reject + 0.1 {
                    ApprovedAmended
                } else {
                    Approved
                }
            }
        };
        let (result, votes) = match intended {
            Approved | ApprovedAmended | Rejected => {
                let (res, v) = self.vote(r, att, intended, big);
                (res, Some(v))
            }
            other => (other, None),
        };
        let body = if proposal.is_empty() {
            "der Vorlage".to_string()
        } else {
            proposal.clone()
        };
        let text = match (result, con.role) {
            (Noted, _) => format!("{nominative} nimmt die Vorlage zur Kenntnis."),
            (Approved, ConsultationRole::Hearing) => {
                format!("{nominative} stimmt der Vorlage zu.")
            }
            (Approved, ConsultationRole::Preliminary) => {
                format!("{nominative} empfiehlt, wie folgt zu beschließen:\n{body}")
            }
            (ApprovedAmended, ConsultationRole::Preliminary) => format!(
                "{nominative} empfiehlt, wie folgt zu beschließen:\n{body}\n\nÄnderung: {}",
                text::fill(
                    r.pick::<&str>(data::AMENDMENTS),
                    &Ctx {
                        year: paper.date.year(),
                        ..Ctx::default()
                    }
                )
            ),
            (Approved, _) => format!("{nominative} beschließt:\n{body}"),
            (ApprovedAmended, _) => format!(
                "{nominative} beschließt:\n{body}\n\nÄnderung: {}",
                text::fill(
                    r.pick::<&str>(data::AMENDMENTS),
                    &Ctx {
                        year: paper.date.year(),
                        ..Ctx::default()
                    }
                )
            ),
            (Rejected, _) => {
                if is_motion {
                    "Der Antrag wird abgelehnt.".to_string()
                } else {
                    "Der Beschlussvorschlag wird abgelehnt.".to_string()
                }
            }
            (Deferred, _) => "Die Beratung wird auf die nächste Sitzung vertagt.".to_string(),
            (Withdrawn, _) => {
                if is_motion {
                    "Der Antrag wird von der antragstellenden Fraktion zurückgezogen.".to_string()
                } else {
                    "Die Vorlage wird von der Verwaltung zurückgezogen.".to_string()
                }
            }
        };
        item.result = Some(result);
        item.resolution_text = Some(text);
        item.votes = votes;
    }

    // -----------------------------------------------------------------------------------------
    // Finish: statuses and short biographies

    fn finish(mut self) -> Plan {
        let mut r = self.rng("persons");
        let n_persons = self.plan.persons.len();
        let mut by_person: Vec<Vec<usize>> = vec![Vec::new(); n_persons];
        for (i, ms) in self.plan.memberships.iter().enumerate() {
            by_person[ms.person].push(i);
        }
        let large = self.scale == Scale::Large;
        for (p, mems) in by_person.iter().enumerate() {
            let gender = self.plan.persons[p].gender;
            let female_form = gender == Gender::Female
                || (gender == Gender::Unknown
                    && self.plan.persons[p].form_of_address.as_deref() == Some("Frau"));
            let g = |f: &str, m: &str, n: &str| {
                if gender == Gender::Other {
                    n.to_string()
                } else if female_form {
                    f.to_string()
                } else {
                    m.to_string()
                }
            };
            let mut status: Vec<String> = Vec::new();
            let mut first_council: Option<i32> = None;
            let mut bv_name: Option<String> = None;
            for &mi in mems {
                let ms = &self.plan.memberships[mi];
                let org = &self.plan.organizations[ms.organization];
                let current = ms.end.is_none();
                let role = self.meta[ms.organization].role;
                let s = match (role, ms.role) {
                    (Role::Council, MembershipRole::Chair) => {
                        let (f, m, n) = if large {
                            (
                                "Oberbürgermeisterin",
                                "Oberbürgermeister",
                                "Oberbürgermeister*in",
                            )
                        } else {
                            ("Bürgermeisterin", "Bürgermeister", "Bürgermeister*in")
                        };
                        if current {
                            Some(g(f, m, n))
                        } else {
                            Some(format!(
                                "{} {}",
                                g("ehemalige", "ehemaliger", "ehemalige*r"),
                                g(f, m, n)
                            ))
                        }
                    }
                    (Role::Council, _) => {
                        first_council = Some(
                            first_council
                                .unwrap_or(ms.start.year())
                                .min(ms.start.year()),
                        );
                        if current {
                            Some("Ratsmitglied".to_string())
                        } else {
                            Some("ehemaliges Ratsmitglied".to_string())
                        }
                    }
                    (Role::District, role) => {
                        bv_name = Some(org.name.clone());
                        match (current, role) {
                            (true, MembershipRole::Chair) => Some(g(
                                "Bezirksbürgermeisterin",
                                "Bezirksbürgermeister",
                                "Bezirksbürgermeister*in",
                            )),
                            (true, _) => Some(g(
                                "Bezirksvertreterin",
                                "Bezirksvertreter",
                                "Bezirksvertreter*in",
                            )),
                            (false, _) => Some(g(
                                "ehemalige Bezirksvertreterin",
                                "ehemaliger Bezirksvertreter",
                                "ehemalige*r Bezirksvertreter*in",
                            )),
                        }
                    }
                    (_, MembershipRole::CitizenMember) => Some(g(
                        "sachkundige Bürgerin",
                        "sachkundiger Bürger",
                        "sachkundige*r Bürger*in",
                    )),
                    (Role::Dezernat, MembershipRole::Chair)
                        if current && self.person_kind[p] == Kind::Admin =>
                    {
                        Some(g("Beigeordnete", "Beigeordneter", "Beigeordnete*r"))
                    }
                    (Role::Department, MembershipRole::Chair) if current => Some(g(
                        "Fachbereichsleiterin",
                        "Fachbereichsleiter",
                        "Fachbereichsleitung",
                    )),
                    (Role::Beirat, _) if ms.on_behalf_of.is_none() => {
                        Some(format!("Mitglied {}", self.meta[ms.organization].genitive))
                    }
                    (Role::Committee, MembershipRole::Member) if ms.on_behalf_of.is_none() => {
                        Some(format!(
                            "stimmberechtigtes Mitglied {}",
                            self.meta[ms.organization].genitive
                        ))
                    }
                    _ => None,
                };
                if let Some(s) = s
                    && !status.contains(&s)
                {
                    status.push(s);
                }
            }
            // A current status hides the former one ("ehemaliger Bürgermeister").
            let current: Vec<String> = status
                .iter()
                .filter(|s| !s.starts_with("ehemalig"))
                .filter_map(|s| s.split(' ').next_back().map(str::to_string))
                .collect();
            status.retain(|s| {
                !s.starts_with("ehemalig")
                    || !s
                        .split(' ')
                        .next_back()
                        .is_some_and(|w| current.iter().any(|c| c == w))
            });
            if status.is_empty() {
                status.push(g("Einwohnerin", "Einwohner", "Einwohner*in"));
            }
            let kind = self.person_kind[p];
            let with_life = matches!(kind, Kind::Mayor | Kind::Council | Kind::District)
                && r.chance(if kind == Kind::Mayor { 1.0 } else { 0.45 });
            let life = if with_life {
                let &(f, m, n) = r.pick(data::PROFESSIONS);
                let job = g(f, m, n);
                let family = r.pick(&[
                    "verheiratet, zwei Kinder",
                    "ledig",
                    "verheiratet, drei Kinder",
                    "verwitwet",
                    "in Partnerschaft lebend, ein Kind",
                    "geschieden, zwei erwachsene Kinder",
                ]);
                let since = match (kind, first_council, &bv_name) {
                    (Kind::Mayor, _, _) => format!(
                        "Seit {} im Amt.",
                        self.plan.memberships[mems[0]].start.year()
                    ),
                    (_, Some(y), _) => format!("Seit {y} Mitglied des Rates."),
                    (_, None, Some(bv)) => format!("Mitglied {}.", text::genitive(bv)),
                    _ => String::new(),
                };
                Some(
                    format!("Jahrgang {}, {job}; {family}. {since}", self.birth_year[p])
                        .trim_end()
                        .to_string(),
                )
            } else {
                None
            };
            let person = &mut self.plan.persons[p];
            person.status = status;
            person.life = life;
        }
        self.plan
    }
}

struct TermStaff {
    t: usize,
    start: NaiveDate,
    end: Option<NaiveDate>,
    council: Vec<Vec<usize>>,
    citizens: Vec<Vec<(usize, u32)>>,
    load: HashMap<usize, u32>,
    holders: Vec<Vec<Holder>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn today() -> NaiveDate {
        ymd(2026, 3, 18)
    }

    fn count_kind(plan: &Plan, kind: OrganizationKind) -> usize {
        plan.organizations.iter().filter(|o| o.kind == kind).count()
    }

    fn report(plan: &Plan) -> String {
        let committees = plan
            .organizations
            .iter()
            .filter(|o| o.kind == OrganizationKind::Committee)
            .count();
        format!(
            "{} seed {}: {} | Gremien {committees}, Fraktionen {}, Verwaltung {}, agenda items with votes {}",
            plan.scale,
            plan.seed,
            plan.stats(),
            count_kind(plan, OrganizationKind::Faction),
            count_kind(plan, OrganizationKind::Department),
            plan.meetings
                .iter()
                .flat_map(|m| &m.agenda)
                .filter(|a| a.votes.is_some())
                .count()
        )
    }

    fn breakdown(plan: &Plan) -> String {
        let mut by: Vec<(String, usize, usize)> = Vec::new();
        for m in &plan.meetings {
            let o = &plan.organizations[m.organizations[0]];
            let key = o.classification.clone();
            match by.iter_mut().find(|(k, _, _)| *k == key) {
                Some(e) => e.1 += 1,
                None => by.push((key, 1, 0)),
            }
        }
        for o in &plan.organizations {
            if let Some(e) = by.iter_mut().find(|(k, _, _)| *k == o.classification) {
                e.2 += 1;
            }
        }
        by.iter()
            .map(|(k, n, orgs)| format!("{k}: {n} in {orgs}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every domain rule the plan promises.
    fn check(plan: &Plan) {
        let today = plan.today;
        let far = NaiveDate::MAX;
        // Codes are unique: meeting numbers are built from them.
        let codes: HashSet<&str> = plan.organizations.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(
            codes.len(),
            plan.organizations.len(),
            "organization codes repeat"
        );
        let numbers: HashSet<String> = (0..plan.meetings.len())
            .map(|m| plan.meeting_number(m))
            .collect();
        assert_eq!(numbers.len(), plan.meetings.len(), "meeting numbers repeat");
        // Terms.
        assert!(!plan.terms.is_empty());
        for w in plan.terms.windows(2) {
            assert!(w[0].end < w[1].start);
        }
        assert!(
            plan.term_on(today).is_some(),
            "the last term contains today"
        );
        // Places in Germany.
        for l in &plan.locations {
            assert!((47.2..55.1).contains(&l.lat) && (5.8..15.1).contains(&l.lon));
        }
        assert!(plan.body.location < plan.locations.len());
        // Organizations.
        for (i, o) in plan.organizations.iter().enumerate() {
            if let Some(p) = o.parent {
                assert!(p < i, "parent before child: {}", o.name);
            }
            if let Some(e) = o.end {
                assert!(o.start <= e);
            }
            assert!(!o.name.is_empty() && !o.code.is_empty());
        }
        let councils: Vec<usize> = (0..plan.organizations.len())
            .filter(|&o| plan.organizations[o].classification == "Parlament")
            .collect();
        assert_eq!(councils.len(), 1);
        let rat = councils[0];
        // Memberships: within the organization's lifetime and within one term.
        for m in &plan.memberships {
            let o = &plan.organizations[m.organization];
            assert!(m.start >= o.start, "membership before {} exists", o.name);
            if let Some(oe) = o.end {
                assert!(
                    m.end.is_some_and(|e| e <= oe),
                    "membership outlives {}",
                    o.name
                );
            }
            if let Some(e) = m.end {
                assert!(m.start <= e);
            }
            let t = plan.term_on(m.start).expect("membership starts in a term");
            assert!(m.end.unwrap_or(plan.terms[t].end) <= plan.terms[t].end);
            assert_eq!(m.voting_right, m.role != MembershipRole::AdvisoryMember);
            if let Some(f) = m.on_behalf_of {
                assert!(matches!(
                    plan.organizations[f].kind,
                    OrganizationKind::Faction | OrganizationKind::Party
                ));
            }
            assert!(m.person < plan.persons.len());
        }
        let mut council_of: Vec<Vec<&Membership>> = vec![Vec::new(); plan.persons.len()];
        for m in plan.memberships.iter().filter(|m| m.organization == rat) {
            council_of[m.person].push(m);
        }
        // Every council member belongs to one faction for the whole time.
        for m in plan.memberships.iter().filter(|m| {
            m.organization == rat
                && matches!(m.role, MembershipRole::Member | MembershipRole::DeputyChair)
        }) {
            let f = m.on_behalf_of.expect("council member sits for a faction");
            assert_eq!(plan.organizations[f].kind, OrganizationKind::Faction);
            assert!(plan.memberships.iter().any(|x| x.person == m.person
                && x.organization == f
                && x.start <= m.start
                && x.end.unwrap_or(far) >= m.end.unwrap_or(far)));
        }
        // Committee seats come from council members and citizen members.
        for m in &plan.memberships {
            let o = &plan.organizations[m.organization];
            if o.classification == "Ausschuss"
                && m.on_behalf_of.is_some()
                && matches!(
                    m.role,
                    MembershipRole::Member | MembershipRole::Chair | MembershipRole::DeputyChair
                )
            {
                assert!(
                    council_of[m.person].iter().any(|c| c.active_on(m.start)),
                    "{} seat in {} held by a non-council member",
                    plan.persons[m.person].name(),
                    o.name
                );
            }
        }
        for p in &plan.persons {
            assert!(!p.family_name.is_empty() && !p.given_name.is_empty());
            assert!(!p.status.is_empty());
            if let Some(life) = &p.life {
                assert!(life.chars().count() < 300);
            }
        }
        // Meetings.
        let mut members_of: Vec<Vec<&Membership>> = vec![Vec::new(); plan.organizations.len()];
        for m in &plan.memberships {
            members_of[m.organization].push(m);
        }
        let mut seq: HashMap<(usize, i32), u32> = HashMap::new();
        for (i, m) in plan.meetings.iter().enumerate() {
            if i > 0 {
                assert!(plan.meetings[i - 1].start <= m.start, "meetings sorted");
            }
            let d = m.start.date();
            assert!(weekday_idx(d) < 5, "{} on a weekend", m.name);
            let start_min = m.start.time().hour() * 60 + m.start.time().minute();
            assert!(
                (14 * 60..=18 * 60 + 30).contains(&start_min),
                "start {}",
                m.start
            );
            assert_eq!(m.end.date(), d);
            let end_min = m.end.time().hour() * 60 + m.end.time().minute();
            assert!(end_min <= 22 * 60 && m.start.time().hour() >= 8);
            let minutes = (m.end - m.start).num_minutes();
            assert!((60..=240).contains(&minutes), "duration {minutes}");
            let lead = m.organizations[0];
            assert!(plan.organizations[lead].active_on(d));
            let s = seq.entry((lead, d.year())).or_insert(0);
            *s += 1;
            assert_eq!(m.sequence, *s, "meeting sequence per body and year");
            let held = m.state == MeetingState::Held;
            if d < today {
                assert!(matches!(
                    m.state,
                    MeetingState::Held | MeetingState::Cancelled
                ));
            } else {
                assert!(m.state != MeetingState::Held);
            }
            if !held {
                assert!(m.participants.is_empty());
                assert!(m.minutes == MinutesState::None);
            }
            if m.state == MeetingState::Cancelled {
                assert!(m.agenda.is_empty());
            }
            // Participants are current members (or substitutes) of the meeting's bodies.
            for &person in &m.participants {
                assert!(
                    m.organizations.iter().any(|&o| members_of[o]
                        .iter()
                        .any(|ms| ms.person == person && ms.active_on(d))),
                    "participant without membership in {}",
                    m.name
                );
            }
            let mut unique = m.participants.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), m.participants.len());
            let mut seen_non_public = false;
            for (ai, a) in m.agenda.iter().enumerate() {
                if !a.public {
                    seen_non_public = true;
                }
                assert!(!(a.public && seen_non_public), "public part first");
                if a.sub_item {
                    assert!(ai > 0 && m.agenda[ai - 1].position == a.position);
                }
                assert!(a.number.starts_with(if a.public { "Ö " } else { "N " }));
                if !held {
                    assert!(a.result.is_none() && a.votes.is_none());
                }
                if let Some(c) = a.consultation {
                    assert_eq!(plan.consultations[c].meeting, Some(i));
                    assert_eq!(plan.consultations[c].agenda_item, Some(ai));
                }
                if let Some(v) = &a.votes {
                    let total = (v.yes + v.no + v.abstain) as usize;
                    assert!(total + v.recused.len() <= m.participants.len());
                    for r in &v.recused {
                        assert!(m.participants.contains(r));
                    }
                    if !v.per_member.is_empty() {
                        let tally = |c: VoteChoice| {
                            v.per_member.iter().filter(|(_, x)| *x == c).count() as u32
                        };
                        assert_eq!(
                            (
                                tally(VoteChoice::Yes),
                                tally(VoteChoice::No),
                                tally(VoteChoice::Abstain)
                            ),
                            (v.yes, v.no, v.abstain)
                        );
                        for (p, _) in &v.per_member {
                            assert!(m.participants.contains(p));
                        }
                    }
                    match a.result {
                        Some(AgendaResult::Approved | AgendaResult::ApprovedAmended) => {
                            assert!(v.yes > v.no)
                        }
                        Some(AgendaResult::Rejected) => assert!(v.yes <= v.no),
                        _ => {}
                    }
                }
            }
        }
        // Papers.
        let mut per_year: HashMap<i32, u32> = HashMap::new();
        let mut supplements: HashMap<usize, u32> = HashMap::new();
        for (i, p) in plan.papers.iter().enumerate() {
            assert!(p.date <= today);
            if i > 0 {
                assert!(plan.papers[i - 1].date <= p.date, "papers sorted by date");
            }
            match p.supplement_to {
                None => {
                    assert_eq!(p.year, p.date.year());
                    let n = per_year.entry(p.year).or_insert(0);
                    *n += 1;
                    assert_eq!(p.sequence, *n, "consecutive numbers per year");
                    assert_eq!(p.supplement_number, 0);
                }
                Some(main) => {
                    assert!(main < i, "supplement after its main paper");
                    let mp = &plan.papers[main];
                    assert!(mp.supplement_to.is_none());
                    assert!(mp.date <= p.date);
                    assert_eq!((p.year, p.sequence), (mp.year, mp.sequence));
                    let n = supplements.entry(main).or_insert(0);
                    *n += 1;
                    assert_eq!(p.supplement_number, *n);
                }
            }
            for &r in &p.related {
                assert!(plan.papers[r].related.contains(&i));
            }
            // The Beratungsfolge.
            assert!(
                !p.consultations.is_empty(),
                "{} has a Beratungsfolge",
                p.title
            );
            let last = p.consultations.len() - 1;
            let mut previous: Option<NaiveDate> = None;
            let mut open = true;
            for (k, &c) in p.consultations.iter().enumerate() {
                let con = &plan.consultations[c];
                assert_eq!(con.paper, i);
                assert_eq!(con.position as usize, k + 1);
                assert_eq!(con.authoritative, con.role == ConsultationRole::Decision);
                let final_role = matches!(
                    con.role,
                    ConsultationRole::Decision | ConsultationRole::Notice
                );
                assert_eq!(
                    final_role,
                    k == last,
                    "{}: only the last step decides",
                    p.title
                );
                match con.meeting {
                    Some(mi) => {
                        assert!(open, "no scheduled step after an unscheduled one");
                        assert!(p.release == ReleaseState::Released);
                        let m = &plan.meetings[mi];
                        assert_eq!(m.organizations[0], con.organization);
                        assert!(m.state != MeetingState::Cancelled);
                        let d = m.start.date();
                        if let Some(prev) = previous {
                            assert!(prev < d, "{}: steps in order", p.title);
                        } else {
                            assert!(p.date <= d, "paper dated before its first meeting");
                        }
                        previous = Some(d);
                        let item = &m.agenda[con.agenda_item.expect("on the agenda")];
                        assert_eq!(item.consultation, Some(c));
                        if !p.public {
                            assert!(!item.public, "non-public paper under a public item");
                        }
                    }
                    None => {
                        open = false;
                        assert!(con.agenda_item.is_none());
                    }
                }
            }
        }
    }

    #[test]
    fn same_seed_same_plan() {
        let a = plan(Scale::Small, 7, today());
        let b = plan(Scale::Small, 7, today());
        assert!(a == b);
        let c = plan(Scale::Small, 8, today());
        assert!(a != c);
        assert_ne!(a.persons, c.persons);
        assert_ne!(a.papers.len() + a.meetings.len(), 0);
    }

    #[test]
    fn other_days_keep_the_rules() {
        // Around a term change, in the holidays, at the start of a year, in another term.
        for day in [
            ymd(2025, 11, 3),
            ymd(2025, 10, 30),
            ymd(2024, 7, 20),
            ymd(2026, 1, 2),
            ymd(2030, 10, 20),
            ymd(2019, 5, 6),
        ] {
            for scale in [Scale::Small, Scale::City] {
                let p = plan(scale, 11, day);
                check(&p);
            }
        }
    }

    #[test]
    fn scale_names() {
        for s in [Scale::Small, Scale::City, Scale::Large] {
            assert_eq!(s.as_str().parse::<Scale>(), Ok(s));
        }
        assert!("huge".parse::<Scale>().is_err());
    }

    #[test]
    fn small_plans_keep_the_rules() {
        for seed in [1, 2, 3, 42, 2026] {
            let t = Instant::now();
            let p = plan(Scale::Small, seed, today());
            eprintln!("{} ({:?})", report(&p), t.elapsed());
            check(&p);
            let committees = p
                .organizations
                .iter()
                .filter(|o| o.classification == "Ausschuss")
                .count();
            assert!((4..=7).contains(&committees), "committees {committees}");
            assert!((3..=5).contains(&count_kind(&p, OrganizationKind::Faction)));
            assert_eq!(count_kind(&p, OrganizationKind::Department), 4);
            assert!((1..=2).contains(&p.terms.len()));
            assert!(
                (25..=50).contains(&p.persons.len()),
                "persons {}",
                p.persons.len()
            );
            assert!(
                (40..=85).contains(&p.meetings.len()),
                "meetings {}",
                p.meetings.len()
            );
            assert!(
                (85..=170).contains(&p.papers.len()),
                "papers {}",
                p.papers.len()
            );
        }
    }

    #[test]
    fn city_plan_keeps_the_rules() {
        let t = Instant::now();
        let p = plan(Scale::City, 1, today());
        eprintln!("{} ({:?})", report(&p), t.elapsed());
        check(&p);
        assert!(
            (35..=55).contains(&p.organizations.len()),
            "orgs {}",
            p.organizations.len()
        );
        assert!(
            (110..=200).contains(&p.persons.len()),
            "persons {}",
            p.persons.len()
        );
        assert!(p.meetings.iter().any(|m| m.start.date() >= p.today));
    }

    /// The full Duisburg-sized plan (about a second in a debug build).
    #[test]
    fn large_plan_keeps_the_rules() {
        let t = Instant::now();
        let p = plan(Scale::Large, 1, today());
        let took = t.elapsed();
        eprintln!("{} (generated in {took:?})", report(&p));
        assert!(p == plan(Scale::Large, 1, today()), "deterministic");
        eprintln!("{}", breakdown(&p));
        check(&p);
        let s = p.stats();
        assert!(
            (140..=175).contains(&s.organizations),
            "orgs {}",
            s.organizations
        );
        assert!((480..=720).contains(&s.persons), "persons {}", s.persons);
        assert!(
            (1300.0..=1900.0).contains(&s.meetings_per_year),
            "{}",
            s.meetings_per_year
        );
        assert!(
            (2200.0..=3000.0).contains(&s.papers_per_year),
            "{}",
            s.papers_per_year
        );
    }
}
