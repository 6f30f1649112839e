//! One declaration per kind gives its stored fields in the object type, its create input and its
//! patch input, so the three can never disagree about a field.

/// Declares the GraphQL side of one council kind.
///
/// - `fields` are the kind's `…Fields` (settable): each becomes an object field, a field of the
///   create input (non-null exactly when the model's is) and an optional field of the patch.
/// - `assigned` are server-assigned values and states: object fields only.
///
/// The kind's object type `$name` derefs to the model object. Its `#[Object]` impl is written by
/// hand next to the declaration, with the relations, and takes the stored fields in with
/// `#[graphql(flatten)] async fn stored(&self) -> &$stored { &self.0 }`. (The relations cannot
/// be spliced into a macro-generated impl: their complexity expressions would not see
/// `child_complexity` across the macro's hygiene.) Field names are the model's; GraphQL spells
/// them in camelCase.
macro_rules! council_object {
    (
        $name:ident($fields:ident, $stored:ident) {
            input: $input:ident,
            patch: $patch:ident,
            fields { $( $(#[$fdoc:meta])* $field:ident: $fty:ty ),* $(,)? }
            assigned { $( $(#[$adoc:meta])* $afield:ident: $aty:ty ),* $(,)? }
        }
    ) => {
        #[doc = concat!("The GraphQL object of one ", stringify!($name), ".")]
        pub struct $name(pub(crate) $stored);

        #[doc = concat!("The stored fields of one ", stringify!($name), ", flattened into it.")]
        pub struct $stored(pub(crate) plenum_tenants::council::model::$name);

        impl std::ops::Deref for $name {
            type Target = plenum_tenants::council::model::$name;

            fn deref(&self) -> &Self::Target {
                &self.0.0
            }
        }

        impl $crate::council::Node for $name {
            const KIND: plenum_tenants::council::model::Kind =
                plenum_tenants::council::model::Kind::$name;

            fn from_object(object: plenum_tenants::council::model::Object) -> Option<Self> {
                match object {
                    plenum_tenants::council::model::Object::$name(o) => Some($name($stored(o))),
                    _ => None,
                }
            }
        }

        #[async_graphql::Object]
        impl $stored {
            /// Stable for the object's lifetime.
            async fn id(&self) -> async_graphql::ID {
                async_graphql::ID(self.0.meta.id.to_string())
            }

            async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
                self.0.meta.created_at
            }

            /// Bumped by every change, deletion included (OParl `modified`).
            async fn modified_at(&self) -> chrono::DateTime<chrono::Utc> {
                self.0.meta.modified_at
            }

            /// A deleted object stays as a tombstone so that OParl clients learn of the
            /// deletion; lists leave tombstones out unless asked (`includeDeleted`).
            async fn deleted(&self) -> bool {
                self.0.meta.deleted
            }

            $(
                $(#[$fdoc])*
                async fn $field(&self) -> <$fty as $crate::council::wire::Wire>::Out {
                    $crate::council::wire::Wire::out(&self.0.fields.$field)
                }
            )*

            $(
                $(#[$adoc])*
                async fn $afield(&self) -> <$aty as $crate::council::wire::Wire>::Out {
                    $crate::council::wire::Wire::out(&self.0.$afield)
                }
            )*
        }

        #[doc = concat!(
            "The fields of one new ", stringify!($name),
            " (lists may be left out: empty); the service assigns the id, numbers and states."
        )]
        #[derive(async_graphql::InputObject)]
        pub struct $input {
            $(
                $(#[$fdoc])*
                pub $field: <$fty as $crate::council::wire::Wire>::In,
            )*
        }

        impl $crate::council::wire::IntoNew for $input {
            fn into_new(
                self,
            ) -> Result<plenum_tenants::council::model::NewObject, plenum_errors::ServiceError> {
                Ok(plenum_tenants::council::model::NewObject::$name(
                    plenum_tenants::council::model::$fields {
                        $(
                            $field: <$fty as $crate::council::wire::Wire>::parse(
                                self.$field,
                                stringify!($field),
                            )?,
                        )*
                    },
                ))
            }
        }

        #[doc = concat!(
            "A partial change to one ", stringify!($name),
            ": fields left out stay as they are, null clears a field (empties a list)."
        )]
        #[derive(async_graphql::InputObject)]
        pub struct $patch {
            $(
                $(#[$fdoc])*
                pub $field: async_graphql::MaybeUndefined<
                    <$fty as $crate::council::wire::Wire>::PatchIn,
                >,
            )*
        }

        impl $crate::council::wire::IntoPatch for $patch {
            fn into_patch(
                self,
            ) -> Result<serde_json::Map<String, serde_json::Value>, plenum_errors::ServiceError> {
                let mut patch = serde_json::Map::new();
                $(
                    $crate::council::wire::put::<$fty>(
                        &mut patch,
                        stringify!($field),
                        self.$field,
                    )?;
                )*
                Ok(patch)
            }
        }
    };
}

pub(crate) use council_object;
