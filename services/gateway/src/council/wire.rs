//! How each stored field crosses the GraphQL boundary: its output type, its input type, and the
//! conversion back into the model (ids are parsed here, so that a bad id names its field).

use super::enums::VoteChoice;
use super::meeting::MemberVote;
use async_graphql::{ID, InputObject, InputType, MaybeUndefined, OutputType};
use chrono::{DateTime, NaiveDate, Utc};
use plenum_errors::ServiceError;
use plenum_tenants::council::model;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// A model field type as GraphQL sees it.
pub(crate) trait Wire: Sized + Serialize {
    /// The type of the field on an object.
    type Out: OutputType;
    /// The type of the field in a create input (nullable exactly when the model's is).
    type In: InputType;
    /// The type of the field in a patch, where null means "clear".
    type PatchIn: InputType;

    fn out(&self) -> Self::Out;

    /// Into the model; `field` (the model's field name) names the field in errors.
    fn parse(input: Self::In, field: &str) -> Result<Self, ServiceError>;

    /// A patch value into the model; `None` is an explicit null.
    fn parse_patch(input: Option<Self::PatchIn>, field: &str) -> Result<Self, ServiceError>;
}

/// Refuses null for a field that always has a value.
fn not_null<T>(input: Option<T>, field: &str) -> Result<T, ServiceError> {
    let field = super::graphql_name(field);
    input.ok_or_else(|| ServiceError::validation(&field, format!("{field} cannot be cleared")))
}

/// Types that are the same in the model and in GraphQL.
macro_rules! same_type {
    ($($ty:ty),+) => {$(
        impl Wire for $ty {
            type Out = $ty;
            type In = $ty;
            type PatchIn = $ty;
            fn out(&self) -> $ty {
                self.clone()
            }
            fn parse(input: $ty, _field: &str) -> Result<$ty, ServiceError> {
                Ok(input)
            }
            fn parse_patch(input: Option<$ty>, field: &str) -> Result<$ty, ServiceError> {
                not_null(input, field)
            }
        }
    )+};
}

same_type!(String, bool, i32, i64, f64, DateTime<Utc>, NaiveDate);

/// Model enums and their GraphQL twins (`#[graphql(remote)]` provides both conversions).
macro_rules! remote_enum {
    ($($model:ident => $gql:ty),+ $(,)?) => {$(
        impl Wire for model::$model {
            type Out = $gql;
            type In = $gql;
            type PatchIn = $gql;
            fn out(&self) -> $gql {
                (*self).into()
            }
            fn parse(input: $gql, _field: &str) -> Result<Self, ServiceError> {
                Ok(input.into())
            }
            fn parse_patch(input: Option<$gql>, field: &str) -> Result<Self, ServiceError> {
                not_null(input, field).map(Into::into)
            }
        }
    )+};
}

remote_enum!(
    OrganizationKind => super::enums::OrganizationKind,
    Gender => super::enums::Gender,
    MembershipRole => super::enums::MembershipRole,
    AgendaResult => super::enums::AgendaResult,
    ConsultationRole => super::enums::ConsultationRole,
    ConsultationState => super::enums::ConsultationState,
    FileRole => super::enums::FileRole,
    FileOwner => super::enums::FileOwner,
    VoteChoice => VoteChoice,
    MeetingState => super::enums::MeetingState,
    MinutesState => super::enums::MinutesState,
    ReleaseState => super::enums::ReleaseState,
);

impl Wire for Uuid {
    type Out = ID;
    type In = ID;
    type PatchIn = ID;
    fn out(&self) -> ID {
        ID(self.to_string())
    }
    fn parse(input: ID, field: &str) -> Result<Uuid, ServiceError> {
        super::parse_id(&input, field)
    }
    fn parse_patch(input: Option<ID>, field: &str) -> Result<Uuid, ServiceError> {
        super::parse_id(&not_null(input, field)?, field)
    }
}

impl<T: Wire> Wire for Option<T> {
    type Out = Option<T::Out>;
    type In = Option<T::In>;
    type PatchIn = T::In;
    fn out(&self) -> Option<T::Out> {
        self.as_ref().map(T::out)
    }
    fn parse(input: Option<T::In>, field: &str) -> Result<Self, ServiceError> {
        input.map(|v| T::parse(v, field)).transpose()
    }
    fn parse_patch(input: Option<T::In>, field: &str) -> Result<Self, ServiceError> {
        Self::parse(input, field)
    }
}

/// Lists: a create input may leave them out, null in a patch empties them.
impl<T: Wire> Wire for Vec<T> {
    type Out = Vec<T::Out>;
    type In = Option<Vec<T::In>>;
    type PatchIn = Vec<T::In>;
    fn out(&self) -> Vec<T::Out> {
        self.iter().map(T::out).collect()
    }
    fn parse(input: Option<Vec<T::In>>, field: &str) -> Result<Self, ServiceError> {
        let input = input.unwrap_or_default();
        input.into_iter().map(|v| T::parse(v, field)).collect()
    }
    fn parse_patch(input: Option<Vec<T::In>>, field: &str) -> Result<Self, ServiceError> {
        Self::parse(input, field)
    }
}

/// One member's vote on an agenda item (namentliche Abstimmung).
#[derive(InputObject)]
pub struct MemberVoteInput {
    pub person_id: ID,
    pub vote: VoteChoice,
}

impl Wire for model::MemberVote {
    type Out = MemberVote;
    type In = MemberVoteInput;
    type PatchIn = MemberVoteInput;
    fn out(&self) -> MemberVote {
        MemberVote(self.clone())
    }
    fn parse(input: MemberVoteInput, field: &str) -> Result<Self, ServiceError> {
        Ok(model::MemberVote {
            person_id: super::parse_id(&input.person_id, field)?,
            vote: input.vote.into(),
        })
    }
    fn parse_patch(input: Option<MemberVoteInput>, field: &str) -> Result<Self, ServiceError> {
        Self::parse(not_null(input, field)?, field)
    }
}

/// A create input that becomes a new object.
pub(crate) trait IntoNew {
    fn into_new(self) -> Result<model::NewObject, ServiceError>;
}

/// A patch input that becomes the partial change `CouncilApi::update` takes.
pub(crate) trait IntoPatch {
    fn into_patch(self) -> Result<Map<String, Value>, ServiceError>;
}

/// Adds one patch field under the model's name: absent stays absent, null clears, a value
/// replaces; values are checked and written in the model's serde form.
pub(crate) fn put<T: Wire>(
    patch: &mut Map<String, Value>,
    field: &str,
    value: MaybeUndefined<T::PatchIn>,
) -> Result<(), ServiceError> {
    let value = match value {
        MaybeUndefined::Undefined => return Ok(()),
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(v) => Some(v),
    };
    let model = T::parse_patch(value, field)?;
    let json = serde_json::to_value(model).map_err(ServiceError::internal)?;
    patch.insert(field.to_owned(), json);
    Ok(())
}
