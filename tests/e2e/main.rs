//! The one end-to-end test binary (one link step for every integration test). Every test runs
//! against the real PostgreSQL (and Redis) that `make test` starts.

mod archive;
mod council;
mod council_graphql;
mod demo;
mod documents;
mod edge;
mod events;
mod events_stream;
mod identity;
mod mail;
mod oidc;
mod oparl;
mod oparl_import;
mod ops;
mod portal;
mod portal_browser;
mod portal_signin;
mod search;
mod sitzungsdienst;
mod split;
mod tenancy;
