//! Object keys: `<tenant id>/staging/<upload id>` while an upload streams in, then
//! `<tenant id>/files/<file id>/<version>`. Built from ids only, never from a name a user
//! chose, so no key can escape its tenant's prefix.

use uuid::Uuid;

/// A key in the object store, always below one tenant's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

/// What a key is, as [`ObjectKey::parse`] reads it back from a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Staging {
        tenant: Uuid,
        upload: Uuid,
    },
    Version {
        tenant: Uuid,
        file: Uuid,
        version: i32,
    },
}

impl ObjectKey {
    /// Where an upload's bytes stream to before its metadata is committed.
    pub fn staging(tenant: Uuid, upload: Uuid) -> ObjectKey {
        ObjectKey(format!("{tenant}/staging/{upload}"))
    }

    /// Where a committed version's bytes live for good.
    pub fn version(tenant: Uuid, file: Uuid, version: i32) -> ObjectKey {
        ObjectKey(format!("{tenant}/files/{file}/{version}"))
    }

    /// The prefix of all of a tenant's objects (listing, purge).
    pub fn tenant_prefix(tenant: Uuid) -> ObjectKey {
        ObjectKey(format!("{tenant}/"))
    }

    /// The prefix of a tenant's uploads in progress.
    pub fn staging_prefix(tenant: Uuid) -> ObjectKey {
        ObjectKey(format!("{tenant}/staging/"))
    }

    /// Reads a key from a store listing; `None` for anything not in our layout.
    pub fn parse(path: &str) -> Option<ObjectKey> {
        let path = path.trim_start_matches('/');
        Self::kind_of(path).map(|_| ObjectKey(path.to_owned()))
    }

    fn kind_of(path: &str) -> Option<KeyKind> {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            [tenant, "staging", upload] => Some(KeyKind::Staging {
                tenant: canonical_uuid(tenant)?,
                upload: canonical_uuid(upload)?,
            }),
            [tenant, "files", file, version] => {
                let v: i32 = version.parse().ok()?;
                (v >= 1 && v.to_string() == *version).then_some(())?;
                Some(KeyKind::Version {
                    tenant: canonical_uuid(tenant)?,
                    file: canonical_uuid(file)?,
                    version: v,
                })
            }
            _ => None,
        }
    }

    pub fn kind(&self) -> Option<KeyKind> {
        Self::kind_of(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn canonical_uuid(s: &str) -> Option<Uuid> {
    let id = Uuid::parse_str(s).ok()?;
    (id.to_string() == s).then_some(id)
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_stay_below_the_tenant() {
        let (t, f, u) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let v = ObjectKey::version(t, f, 3);
        assert_eq!(v.as_str(), format!("{t}/files/{f}/3"));
        assert_eq!(
            ObjectKey::parse(v.as_str()).unwrap().kind(),
            Some(KeyKind::Version {
                tenant: t,
                file: f,
                version: 3
            })
        );
        let s = ObjectKey::staging(t, u);
        assert!(
            s.as_str()
                .starts_with(ObjectKey::staging_prefix(t).as_str())
        );
        assert!(s.as_str().starts_with(ObjectKey::tenant_prefix(t).as_str()));
    }

    #[test]
    fn foreign_and_crafted_paths_are_not_keys() {
        let t = Uuid::new_v4();
        for bad in [
            "../etc/passwd".to_owned(),
            format!("{t}/files/../../x/1"),
            format!("{t}/files/{}/0", Uuid::new_v4()),
            format!("{t}/files/{}/01", Uuid::new_v4()),
            format!("{t}/other/{}", Uuid::new_v4()),
            format!("{}/staging/x", t.simple()),
        ] {
            assert_eq!(ObjectKey::parse(&bad), None, "{bad}");
        }
    }
}
