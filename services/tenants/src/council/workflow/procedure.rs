//! The tenant's rules of procedure (Geschäftsordnung) as settings: deadlines, quorum, room
//! booking length, standing agenda items. Read per command; checked when set.

use super::super::deadlines::{DeadlineRule, FederalState};
use super::super::service::setting;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use std::str::FromStr;

pub(crate) const INVITATION_DAYS: &str = "procedure.invitation_days";
pub(crate) const INVITATION_RULE: &str = "procedure.invitation_rule";
pub(crate) const ANNOUNCEMENT_DAYS: &str = "procedure.announcement_days";
pub(crate) const QUORUM_PERCENT: &str = "procedure.quorum_percent";
pub(crate) const DEFAULT_DURATION: &str = "procedure.default_duration_minutes";
/// The federal state, when the AGS (`oparl.ags`) does not say it.
pub(crate) const FEDERAL_STATE: &str = "procedure.federal_state";
pub(crate) const STANDING_ITEMS: &str = "agenda.standing_items";

/// Where a standing item goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Before the papers.
    Start,
    /// After the papers of the public part.
    End,
}

/// The rules as one tenant has set them.
#[derive(Debug, Clone)]
pub(crate) struct Procedure {
    pub invitation: DeadlineRule,
    pub announcement_days: u32,
    pub quorum_percent: u32,
    pub state: FederalState,
    pub standing_items: Vec<(Placement, String)>,
}

impl Procedure {
    pub async fn load(tx: &TenantTx) -> ServiceResult<Procedure> {
        let get = |key: &'static str| async move { setting(tx, key).await };
        let broken = |key: &str| ServiceError::internal(format!("setting {key} is invalid"));
        let days = parse_days(&get(INVITATION_DAYS).await?.unwrap_or_else(|| "7".into()))
            .ok_or_else(|| broken(INVITATION_DAYS))?;
        let invitation = parse_rule(
            &get(INVITATION_RULE)
                .await?
                .unwrap_or_else(|| "calendar".into()),
            days,
        )
        .ok_or_else(|| broken(INVITATION_RULE))?;
        let announcement_days =
            parse_days(&get(ANNOUNCEMENT_DAYS).await?.unwrap_or_else(|| "7".into()))
                .ok_or_else(|| broken(ANNOUNCEMENT_DAYS))?;
        let quorum_percent =
            parse_percent(&get(QUORUM_PERCENT).await?.unwrap_or_else(|| "50".into()))
                .ok_or_else(|| broken(QUORUM_PERCENT))?;
        // The AGS names the state in its first two digits; an explicit setting wins.
        let state = match get(FEDERAL_STATE).await? {
            Some(v) => FederalState::from_str(&v).map_err(|_| broken(FEDERAL_STATE))?,
            None => get("oparl.ags")
                .await?
                .and_then(|ags| FederalState::from_ags(&ags))
                .unwrap_or(FederalState::NW),
        };
        let standing_items = parse_standing_items(&get(STANDING_ITEMS).await?.unwrap_or_default())
            .map_err(|_| broken(STANDING_ITEMS))?;
        Ok(Procedure {
            invitation,
            announcement_days,
            quorum_percent,
            state,
            standing_items,
        })
    }
}

/// How long a meeting without an end books its room, in minutes: the one rule every meeting
/// change needs, read alone.
pub(crate) async fn default_duration(tx: &TenantTx) -> ServiceResult<u32> {
    Ok(setting(tx, DEFAULT_DURATION)
        .await?
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(180))
}

fn parse_days(value: &str) -> Option<u32> {
    value.trim().parse().ok().filter(|d| *d <= 365)
}

fn parse_percent(value: &str) -> Option<u32> {
    value.trim().parse().ok().filter(|p| (1..=100).contains(p))
}

fn parse_rule(value: &str, days: u32) -> Option<DeadlineRule> {
    match value.trim() {
        "calendar" => Some(DeadlineRule::CalendarDays(days)),
        "working" => Some(DeadlineRule::WorkingDays(days)),
        "werktage" => Some(DeadlineRule::Werktage(days)),
        _ => None,
    }
}

/// `start:Eröffnung|start:Genehmigung der Niederschrift|end:Anfragen`.
fn parse_standing_items(value: &str) -> Result<Vec<(Placement, String)>, String> {
    value
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (place, title) = item
                .split_once(':')
                .ok_or_else(|| format!("{item:?} lacks `start:` or `end:`"))?;
            let place = match place.trim() {
                "start" => Placement::Start,
                "end" => Placement::End,
                other => return Err(format!("{other:?} is neither `start` nor `end`")),
            };
            let title = title.trim();
            if title.is_empty() || title.chars().count() > 1000 {
                return Err(format!("{item:?} needs a title of 1–1000 characters"));
            }
            Ok((place, title.to_owned()))
        })
        .collect()
}

/// Checks a value for one of the keys above when a tenant administrator sets it.
pub(crate) fn validate_setting(key: &str, value: &str) -> Option<Result<(), String>> {
    let check = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("{key} is {what}"))
        }
    };
    Some(match key {
        INVITATION_DAYS | ANNOUNCEMENT_DAYS => check(
            parse_days(value).is_some(),
            "a number of days from 0 to 365",
        ),
        INVITATION_RULE => check(
            parse_rule(value, 1).is_some(),
            "`calendar`, `working` (Monday to Friday) or `werktage` (Monday to Saturday)",
        ),
        QUORUM_PERCENT => check(parse_percent(value).is_some(), "a percentage from 1 to 100"),
        DEFAULT_DURATION => check(
            value
                .trim()
                .parse::<u32>()
                .is_ok_and(|m| (1..=1440).contains(&m)),
            "a number of minutes from 1 to 1440",
        ),
        FEDERAL_STATE => check(
            FederalState::from_str(value).is_ok(),
            "a federal state's code (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH)",
        ),
        STANDING_ITEMS => parse_standing_items(value).map(|_| ()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_items_keep_their_order_and_place() {
        let items =
            parse_standing_items("start:Eröffnung| end:Anfragen |start:Niederschrift").unwrap();
        assert_eq!(
            items,
            vec![
                (Placement::Start, "Eröffnung".to_owned()),
                (Placement::End, "Anfragen".to_owned()),
                (Placement::Start, "Niederschrift".to_owned()),
            ]
        );
        assert!(parse_standing_items("Eröffnung").is_err());
        assert!(parse_standing_items("middle:Eröffnung").is_err());
    }

    #[test]
    fn settings_are_checked_with_a_message_naming_the_key() {
        assert_eq!(validate_setting(INVITATION_RULE, "working"), Some(Ok(())));
        let err = validate_setting(INVITATION_RULE, "weekly")
            .unwrap()
            .unwrap_err();
        assert!(err.contains("procedure.invitation_rule"), "{err}");
        assert!(validate_setting(QUORUM_PERCENT, "0").unwrap().is_err());
        assert!(validate_setting(INVITATION_DAYS, "400").unwrap().is_err());
        assert_eq!(validate_setting("branding.color", "#000000"), None);
    }
}
